import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { issueApiKey, revokeKey } from '../../src/directory/apiKeys.js';
import { createUser, requireUserByLoginName, resetPassword, setUserEnabled } from '../../src/directory/users.js';
import { actionContext } from '../helpers/actions.js';
import { auditTrail, bearerStatus, openSession, passwordLogin, refresh } from './support.js';

const MINUTE = 60_000;

describe('sessions end at once when credentials change', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  const colleaguePassword = 'the colleague passphrase';

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
    const deps = { stores: server.stores, clock: server.services.clock, hasher: server.services.hasher };
    await createUser(deps, { accountId: seeded.accountId, loginName: 'Colleague', password: colleaguePassword });
  });
  after(() => server.close());

  const deps = () => ({ stores: server.stores, clock: server.services.clock, hasher: server.services.hasher });
  const botLogin = async (key = seeded.bot.key, username = seeded.bot.loginName) => {
    const res = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login`, { username, ...key });
    return { status: res.status, bearer: res.json?.bearer as string };
  };

  test('an administrator setting a password ends every session of that user, and only theirs', async () => {
    const first = await openSession(server, seeded.accountId, seeded.human.loginName, seeded.human.password);
    const second = await openSession(server, seeded.accountId, seeded.human.loginName, seeded.human.password);
    const colleague = await openSession(server, seeded.accountId, 'Colleague', colleaguePassword);
    assert.equal(await bearerStatus(server, seeded.accountId, first.bearer), 200);

    await resetPassword(actionContext(server.stores, server.services.clock, server.services.hasher), await requireUserByLoginName(server, seeded.accountId, seeded.human.loginName), 'reset by the administrator');
    assert.equal(await bearerStatus(server, seeded.accountId, first.bearer), 401);
    assert.equal(await bearerStatus(server, seeded.accountId, second.bearer), 401);
    assert.equal((await refresh(server, seeded.accountId, second)).status, 401);
    assert.equal(await bearerStatus(server, seeded.accountId, colleague.bearer), 200);
    seeded.human.password = 'reset by the administrator';
  });

  test('disabling a user ends their sessions and refuses their logins', async () => {
    const colleague = await openSession(server, seeded.accountId, 'Colleague', colleaguePassword);
    const mine = await openSession(server, seeded.accountId, seeded.human.loginName, seeded.human.password);
    await setUserEnabled(actionContext(server.stores, server.services.clock), await requireUserByLoginName(server, seeded.accountId, 'Colleague'), false);
    assert.equal(await bearerStatus(server, seeded.accountId, colleague.bearer), 401);
    assert.equal((await refresh(server, seeded.accountId, colleague)).status, 401);
    assert.equal((await passwordLogin(server, seeded.accountId, 'Colleague', colleaguePassword)).status, 401);
    assert.equal(await bearerStatus(server, seeded.accountId, mine.bearer), 200);
  });

  test("revoking an API key ends its bots' sessions and refuses the key, and nothing else", async () => {
    const { issued: otherKey } = await issueApiKey(actionContext(server.stores, server.services.clock), seeded.accountId, 'other key');
    await createUser(deps(), { accountId: seeded.accountId, loginName: 'bot-2', bot: true, appKey: otherKey.appKey });
    const bot = await botLogin();
    const otherBot = await botLogin(otherKey, 'bot-2');
    const human = await openSession(server, seeded.accountId, seeded.human.loginName, seeded.human.password);
    assert.equal(bot.status, 200);

    assert.equal(await revokeKey(actionContext(server.stores, server.services.clock), seeded.accountId, seeded.bot.key.appKey), 1);
    assert.equal(await bearerStatus(server, seeded.accountId, bot.bearer), 401);
    assert.equal((await botLogin()).status, 401);
    assert.equal(await bearerStatus(server, seeded.accountId, otherBot.bearer), 200);
    assert.equal(await bearerStatus(server, seeded.accountId, human.bearer), 200);
  });
});

describe('optional session limits per account', () => {
  let server: TestServer;
  let seeded: SeededAccount;

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
  });
  after(() => server.close());

  const open = () => openSession(server, seeded.accountId, seeded.human.loginName, seeded.human.password);

  test('no cap by default', async () => {
    const sessions = [];
    for (let i = 0; i < 6; i++) sessions.push(await open());
    for (const s of sessions) assert.equal(await bearerStatus(server, seeded.accountId, s.bearer), 200);
  });

  test('a cap on concurrent sessions per user ends the oldest first', async () => {
    await server.stores.sessions.deleteUserSessions(seeded.accountId, seeded.human.user.userId);
    await server.stores.accounts.updateAccount(seeded.accountId, { settings: { maxSessionsPerUser: 2 } });
    try {
      const sessions = [];
      for (let i = 0; i < 4; i++) {
        sessions.push(await open());
        server.clock.advance(1000);
      }
      const statuses = await Promise.all(sessions.map((s) => bearerStatus(server, seeded.accountId, s.bearer)));
      assert.deepEqual(statuses, [401, 401, 200, 200]);
      const revoked = await auditTrail(server, seeded.accountId, 'session_revoked');
      assert.equal(revoked.length, 2);
      assert.deepEqual(revoked[0]?.detail, { reason: 'session_cap' });
      assert.equal(revoked[0]?.userId, seeded.human.user.userId);
    } finally {
      await server.stores.accounts.updateAccount(seeded.accountId, { settings: {} });
    }
  });

  test('an absolute lifetime ends a session however often it is refreshed', async () => {
    await server.stores.accounts.updateAccount(seeded.accountId, { settings: { absoluteSessionLifetimeMs: 60 * MINUTE } });
    try {
      const session = await open();
      for (let i = 0; i < 5; i++) {
        server.clock.advance(11 * MINUTE);
        assert.equal((await refresh(server, seeded.accountId, session)).status, 200);
      }
      server.clock.advance(5 * MINUTE - 1);
      assert.equal(await bearerStatus(server, seeded.accountId, session.bearer), 200, '1 ms before the end');
      server.clock.advance(1);
      assert.equal(await bearerStatus(server, seeded.accountId, session.bearer), 401);
      assert.equal((await refresh(server, seeded.accountId, session)).status, 401);
      // Without the setting, the same refreshes keep a session alive.
      await server.stores.accounts.updateAccount(seeded.accountId, { settings: {} });
      const unlimited = await open();
      for (let i = 0; i < 12; i++) {
        server.clock.advance(11 * MINUTE);
        assert.equal((await refresh(server, seeded.accountId, unlimited)).status, 200);
      }
      assert.equal(await bearerStatus(server, seeded.accountId, unlimited.bearer), 200);
    } finally {
      await server.stores.accounts.updateAccount(seeded.accountId, { settings: {} });
    }
  });
});
