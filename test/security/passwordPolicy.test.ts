import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { DEFAULT_ACCOUNT_SETTINGS } from '../../src/accounts/model.js';
import { isCommonPassword, passwordProblem } from '../../src/directory/passwordPolicy.js';
import { createUser, requireUserByLoginName, resetPassword } from '../../src/directory/users.js';
import { actionContext } from '../helpers/actions.js';
import { auditTrail, bearerStatus, errorWithoutTime, openSession, passwordLogin, refresh, type OpenSession } from './support.js';

const DAY = 86_400_000;

describe('password policy', () => {
  const settings = DEFAULT_ACCOUNT_SETTINGS;

  test('defaults: at least 10 characters, at most 1024 bytes, not the login name, not a common password', () => {
    assert.equal(passwordProblem('a fine passphrase', 'agent', settings), null);
    assert.match(passwordProblem('short pw', 'agent', settings)!, /at least 10 characters/);
    // Characters, not bytes or UTF-16 units: ten emoji are ten characters.
    assert.equal(passwordProblem('🔑'.repeat(10), 'agent', settings), null);
    assert.match(passwordProblem('🔑'.repeat(9), 'agent', settings)!, /at least 10/);
    assert.equal(passwordProblem('é'.repeat(512), 'agent', settings), null, '1024 bytes is allowed');
    assert.match(passwordProblem('é'.repeat(512) + 'x', 'agent', settings)!, /at most 1024 bytes/);
    assert.match(passwordProblem('Agent.Smith.2026', 'agent.smith.2026', settings)!, /login name/);
    for (const common of ['password1234', 'Password123', 'qwertyuiop', '1q2w3e4r5t', 'basketball']) {
      assert.match(passwordProblem(common, 'agent', settings) ?? '', /too common/, common);
    }
  });

  test('the common-password list is the maintained zxcvbn-ts list and is checked case-insensitively', () => {
    assert.equal(isCommonPassword('iloveyou12'), true);
    assert.equal(isCommonPassword('ILoveYou12'), true);
    assert.equal(isCommonPassword('correct horse battery staple'), false);
  });

  test('each rule follows the account settings', () => {
    const custom = { ...settings, passwordMinLength: 16, passwordMaxBytes: 64 };
    assert.match(passwordProblem('fifteen chars!!', 'agent', custom)!, /at least 16/);
    assert.match(passwordProblem('x'.repeat(65), 'agent', custom)!, /at most 64 bytes/);
    assert.equal(passwordProblem('password1234', 'agent', { ...settings, rejectCommonPasswords: false }), null);
  });

  test('administrators cannot set a password that breaks the policy either', async () => {
    const server = await startTestServer();
    try {
      const seeded = await seedAccount(server);
      const deps = { stores: server.stores, clock: server.services.clock, hasher: server.services.hasher };
      await assert.rejects(resetPassword(actionContext(deps.stores, deps.clock, deps.hasher), await requireUserByLoginName(deps, seeded.accountId, seeded.human.loginName), 'password1234'), /too common/);
      await assert.rejects(createUser(deps, { accountId: seeded.accountId, loginName: 'new.agent', password: 'short' }), /at least 10/);
    } finally {
      await server.close();
    }
  });
});

describe('login and the password policy', () => {
  let server: TestServer;
  let seeded: SeededAccount;

  before(async () => {
    server = await startTestServer({ env: { LOGIN_FAILURES_PER_MINUTE: '0' } });
    seeded = await seedAccount(server);
  });
  after(() => server.close());

  test('a password longer than the limit is refused without hashing, with the ordinary 401', async () => {
    const hasher = server.services.hasher;
    const verify = hasher.verify;
    let verifications = 0;
    hasher.verify = (hash, password) => {
      verifications++;
      return verify.call(hasher, hash, password);
    };
    try {
      const wrong = await passwordLogin(server, seeded.accountId, seeded.human.loginName, 'not the password');
      assert.equal(verifications, 1, 'an ordinary failure is one verification');
      const tooLong = await passwordLogin(server, seeded.accountId, seeded.human.loginName, 'x'.repeat(1025));
      assert.equal(verifications, 1, 'no hashing for a password over the limit');
      assert.equal(tooLong.status, 401);
      assert.deepEqual(errorWithoutTime(tooLong.json), errorWithoutTime(wrong.json));
      const unknown = await passwordLogin(server, seeded.accountId, 'No.Such.User', 'é'.repeat(513));
      assert.equal(unknown.status, 401);
      assert.equal(verifications, 1);
    } finally {
      hasher.verify = verify;
    }
    const failures = await auditTrail(server, seeded.accountId, 'login_failure');
    assert.equal(failures.at(-2)?.detail.reason, 'password_too_long');
  });

  test('with a maximum age, an old password is refused with internalCode 21 until an administrator resets it', async () => {
    await server.stores.accounts.updateAccount(seeded.accountId, { settings: { passwordMaxAgeMs: 90 * DAY } });
    try {
      server.clock.advance(90 * DAY - 1);
      assert.equal((await passwordLogin(server, seeded.accountId, seeded.human.loginName, seeded.human.password)).status, 200);
      server.clock.advance(1);
      const expired = await passwordLogin(server, seeded.accountId, seeded.human.loginName, seeded.human.password);
      assert.equal(expired.status, 401);
      assert.equal(expired.json.error.internalCode, 21);
      assert.match(expired.json.error.message, /expired/i);
      assert.equal(expired.headers.get('set-cookie'), null);
      // Only the right password learns that it has expired.
      const wrong = await passwordLogin(server, seeded.accountId, seeded.human.loginName, 'not the password');
      assert.equal(wrong.json.error.internalCode, 20);
      assert.equal((await auditTrail(server, seeded.accountId, 'password_expired')).length, 1);

      const deps = { stores: server.stores, clock: server.services.clock, hasher: server.services.hasher };
      await resetPassword(actionContext(deps.stores, deps.clock, deps.hasher), await requireUserByLoginName(deps, seeded.accountId, seeded.human.loginName), 'a brand new passphrase');
      assert.equal((await passwordLogin(server, seeded.accountId, seeded.human.loginName, 'a brand new passphrase')).status, 200);
      // Bots have no password to expire.
      const { bot } = seeded;
      const botLogin = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login`, {
        username: bot.loginName,
        appKey: bot.key.appKey,
        secret: bot.key.secret,
        accessToken: bot.key.accessToken,
        accessTokenSecret: bot.key.accessTokenSecret,
      });
      assert.equal(botLogin.status, 200);
    } finally {
      await server.stores.accounts.updateAccount(seeded.accountId, { settings: {} });
    }
  });
});

describe('self-service password change', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let current: string;

  before(async () => {
    server = await startTestServer({ env: { LOGIN_FAILURES_PER_MINUTE: '0' } });
    seeded = await seedAccount(server);
    current = seeded.human.password;
  });
  after(() => server.close());

  const url = () => `${server.baseUrl}/api/account/${seeded.accountId}/password`;
  const change = (session: OpenSession, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    postJson(url(), body, { cookie: `Session_id=${session.sessionId}`, ...headers });
  const open = () => openSession(server, seeded.accountId, seeded.human.loginName, current);

  test('changes the password, keeps this session and ends the other sessions of the user', async () => {
    const mine = await open();
    const other = await open();
    const colleague = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login`, {
      username: seeded.bot.loginName,
      appKey: seeded.bot.key.appKey,
      secret: seeded.bot.key.secret,
      accessToken: seeded.bot.key.accessToken,
      accessTokenSecret: seeded.bot.key.accessTokenSecret,
    });
    const res = await change(mine, { csrf: mine.csrf, oldPassword: current, newPassword: 'my new passphrase 1' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, '');
    assert.equal(res.headers.get('cache-control'), 'no-store');

    assert.equal(await bearerStatus(server, seeded.accountId, mine.bearer), 200);
    assert.equal((await refresh(server, seeded.accountId, mine)).status, 200);
    assert.equal(await bearerStatus(server, seeded.accountId, other.bearer), 401);
    assert.equal((await refresh(server, seeded.accountId, other)).status, 401);
    assert.equal(await bearerStatus(server, seeded.accountId, colleague.json.bearer), 200, "another user's session is untouched");

    assert.equal((await passwordLogin(server, seeded.accountId, seeded.human.loginName, current)).status, 401);
    current = 'my new passphrase 1';
    assert.equal((await passwordLogin(server, seeded.accountId, seeded.human.loginName, current)).status, 200);

    const [event] = (await auditTrail(server, seeded.accountId, 'password_change')).slice(-1);
    assert.equal(event?.userId, seeded.human.user.userId);
    assert.equal(event?.clientIp, '127.0.0.1');
    assert.deepEqual(event?.detail, { otherSessionsEnded: 1 });
    const user = await server.stores.users.getUserById(seeded.accountId, seeded.human.user.userId);
    assert.equal(user?.passwordChangedAt, server.clock.now());
  });

  test('the csrf may come in an X-CSRF-Token header instead of the body', async () => {
    const mine = await open();
    const res = await change(mine, { oldPassword: current, newPassword: 'my new passphrase 2' }, { 'x-csrf-token': mine.csrf });
    assert.equal(res.status, 200, res.text);
    current = 'my new passphrase 2';
  });

  test('without a live session or with the wrong csrf nothing changes', async () => {
    const mine = await open();
    const body = { oldPassword: current, newPassword: 'never stored passphrase' };
    const noCookie = await postJson(url(), { csrf: mine.csrf, ...body });
    assert.equal(noCookie.status, 401);
    assert.equal(noCookie.json.error.internalCode, 22);
    const wrongCsrf = await change(mine, { csrf: 'a'.repeat(64), ...body });
    assert.equal(wrongCsrf.status, 401);
    assert.equal(wrongCsrf.json.error.internalCode, 10);
    const noCsrf = await change(mine, body);
    assert.equal(noCsrf.status, 400);
    assert.match(noCsrf.json.error.message, /csrf/);
    const otherAccount = await postJson(`${server.baseUrl}/api/account/654321/password`, { csrf: mine.csrf, ...body }, { cookie: `Session_id=${mine.sessionId}` });
    assert.equal(otherAccount.status, 401);
    const missingField = await change(mine, { csrf: mine.csrf, oldPassword: current });
    assert.equal(missingField.status, 400);
    assert.equal((await passwordLogin(server, seeded.accountId, seeded.human.loginName, current)).status, 200);
  });

  test('a new password that breaks the policy gets 400 with internalCode 26 and a clear message', async () => {
    const mine = await open();
    const cases: Array<[string, RegExp]> = [
      ['short', /at least 10 characters/],
      ['AGENT.SMITH', /login name/],
      ['password1234', /too common/],
      ['é'.repeat(600), /at most 1024 bytes/],
      [current, /differ from the current/],
    ];
    for (const [newPassword, message] of cases) {
      const res = await change(mine, { csrf: mine.csrf, oldPassword: current, newPassword });
      assert.equal(res.status, 400, newPassword);
      assert.equal(res.json.error.internalCode, 26);
      assert.match(res.json.error.message, message);
    }
    assert.equal((await passwordLogin(server, seeded.accountId, seeded.human.loginName, current)).status, 200, 'the password is unchanged');
    assert.equal(await bearerStatus(server, seeded.accountId, mine.bearer), 200);
  });

  test('a wrong current password counts as a failed login: 401, recorded, and 5 of them lock the user', async () => {
    const mine = await open();
    const before = (await auditTrail(server, seeded.accountId, 'login_failure')).length;
    for (let i = 0; i < 5; i++) {
      const res = await change(mine, { csrf: mine.csrf, oldPassword: `guess number ${i}`, newPassword: 'never stored passphrase' });
      assert.equal(res.status, 401);
      assert.equal(res.json.error.internalCode, 20);
    }
    const failures = (await auditTrail(server, seeded.accountId, 'login_failure')).slice(before);
    assert.equal(failures.length, 5);
    assert.deepEqual(failures[0]?.detail, { reason: 'wrong_password', method: 'password_change' });
    assert.equal((await auditTrail(server, seeded.accountId, 'lockout')).length, 1);

    assert.equal((await passwordLogin(server, seeded.accountId, seeded.human.loginName, current)).status, 401, 'locked');
    const whileLocked = await change(mine, { csrf: mine.csrf, oldPassword: current, newPassword: 'never stored passphrase' });
    assert.equal(whileLocked.status, 401, 'the right current password does not get past the lock either');
    server.clock.advance(60_000);
    assert.equal((await passwordLogin(server, seeded.accountId, seeded.human.loginName, current)).status, 200);
  });

  test('a bot has no password to change', async () => {
    const login = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login`, {
      username: seeded.bot.loginName,
      appKey: seeded.bot.key.appKey,
      secret: seeded.bot.key.secret,
      accessToken: seeded.bot.key.accessToken,
      accessTokenSecret: seeded.bot.key.accessTokenSecret,
    });
    const res = await postJson(url(), { csrf: login.json.csrf, oldPassword: 'anything at all', newPassword: 'a new passphrase' }, { cookie: `Session_id=${login.json.sessionId}` });
    assert.equal(res.status, 400);
    assert.match(res.json.error.message, /bot/);
  });

  test('a session opened before the password expired can still change it, which lifts the expiry', async () => {
    const mine = await open();
    await server.stores.accounts.updateAccount(seeded.accountId, { settings: { passwordMaxAgeMs: 60 * 60_000 } });
    try {
      server.clock.advance(60 * 60_000);
      assert.equal((await passwordLogin(server, seeded.accountId, seeded.human.loginName, current)).json.error.internalCode, 21);
      const res = await change(mine, { csrf: mine.csrf, oldPassword: current, newPassword: 'my new passphrase 3' });
      assert.equal(res.status, 200, res.text);
      current = 'my new passphrase 3';
      assert.equal((await passwordLogin(server, seeded.accountId, seeded.human.loginName, current)).status, 200);
    } finally {
      await server.stores.accounts.updateAccount(seeded.accountId, { settings: {} });
    }
  });
});
