import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, seedAccount, sessionCookie, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { loadConfig } from '../../src/config.js';
import { sweep } from '../../src/housekeeping.js';
import { hashToken } from '../../src/security/tokens.js';
import { auditTrail } from './support.js';

const UA = 'AgentDesktop/7.1 (audit test)';
const DAY = 86_400_000;

describe('audit trail', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  /** Every secret the scenario handles; none may appear in any event. */
  const secrets: string[] = [];

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
  });
  after(() => server.close());

  const base = () => `${server.baseUrl}/api/account/${seeded.accountId}`;
  const send = (path: string, body: unknown, headers: Record<string, string> = {}) => postJson(`${base()}${path}`, body, { 'user-agent': UA, ...headers });

  test('records each kind of security event with time, account, user, address and user agent', async () => {
    const { human, bot } = seeded;
    const wrongPasswords = ['Summer2026!', 'hunter2-but-longer', 'correct horse battery stable'];
    const newPassword = 'an entirely new passphrase';
    secrets.push(human.password, newPassword, ...wrongPasswords, bot.key.secret, bot.key.accessToken, bot.key.accessTokenSecret);

    const login = await send('/login?v=1.3', { username: human.loginName, password: human.password });
    const sessionId = sessionCookie(login.headers)!;
    secrets.push(sessionId, login.json.csrf, login.json.bearer, hashToken(sessionId));
    const cookie = { cookie: `Session_id=${sessionId}` };

    await send('/login', { username: 'No.Such.User', password: wrongPasswords[0] });
    for (const password of [...wrongPasswords, ...wrongPasswords].slice(0, 5)) await send('/login', { username: human.loginName, password });
    server.clock.advance(60_000);

    const botLogin = await send('/login', { username: bot.loginName, ...bot.key });
    secrets.push(botLogin.json.csrf, botLogin.json.bearer, botLogin.json.sessionId);

    await send('/refresh', { csrf: 'b'.repeat(64) }, cookie);
    await send('/refresh', { csrf: login.json.csrf });
    assert.equal((await send('/password', { csrf: login.json.csrf, oldPassword: human.password, newPassword }, cookie)).status, 200);
    assert.equal((await send('/logout', { csrf: login.json.csrf }, cookie)).status, 200);

    const trail = await auditTrail(server, seeded.accountId);
    const byType = (type: string) => trail.filter((e) => e.type === type);
    for (const type of ['login_success', 'login_failure', 'lockout', 'apikey_used', 'refresh_failure', 'password_change', 'logout']) {
      assert.ok(byType(type).length > 0, `a ${type} event`);
    }
    for (const event of trail) {
      assert.equal(event.accountId, seeded.accountId);
      assert.equal(event.clientIp, '127.0.0.1', event.type);
      assert.equal(event.userAgent, UA, event.type);
      assert.ok(event.time > 0 && event.time <= server.clock.now());
    }
    const success = byType('login_success')[0]!;
    assert.equal(success.userId, human.user.userId);
    assert.equal(success.loginName, 'Agent.Smith');
    assert.deepEqual(success.detail, { method: 'password' });

    const reasons = byType('login_failure').map((e) => e.detail.reason);
    assert.deepEqual(reasons, ['unknown_user', 'wrong_password', 'wrong_password', 'wrong_password', 'wrong_password', 'wrong_password']);
    assert.equal(byType('login_failure')[0]!.loginName, 'No.Such.User', 'the name tried is kept for unknown users');
    assert.equal(byType('login_failure')[0]!.userId, null);
    assert.equal(byType('lockout')[0]!.userId, human.user.userId);

    assert.deepEqual(byType('apikey_used')[0]!.detail, { method: 'apikey', appKey: bot.key.appKey });
    assert.equal(byType('apikey_used')[0]!.userId, bot.user.userId);
    assert.deepEqual(byType('refresh_failure').map((e) => e.detail.reason), ['csrf_mismatch', 'no_cookie']);
    assert.equal(byType('logout')[0]!.userId, human.user.userId);
    assert.equal(byType('password_change')[0]!.userId, human.user.userId);
  });

  test('no event holds a password, an API secret or a session token', async () => {
    assert.ok(secrets.length >= 15);
    const stored = JSON.stringify(await server.stores.events.listEvents(seeded.accountId, { limit: 100_000 }));
    for (const secret of secrets) assert.ok(!stored.includes(secret), `an event holds a secret (${secret.slice(0, 4)}…)`);
  });

  test('events older than the retention are removed by housekeeping, newer ones kept', async () => {
    const countBefore = (await auditTrail(server, seeded.accountId)).length;
    server.clock.advance(60 * DAY);
    await send('/login', { username: 'Later.User', password: 'whatever it is' });
    server.clock.advance(31 * DAY);
    const removed = await sweep(server.stores, server.clock.now(), server.config.eventRetentionDays);
    assert.equal(removed.events, countBefore);
    const left = await auditTrail(server, seeded.accountId);
    assert.equal(left.length, 1);
    assert.equal(left[0]!.loginName, 'Later.User');
  });

  test('the retention is EVENT_RETENTION_DAYS, 90 days by default', () => {
    assert.equal(loadConfig({}).eventRetentionDays, 90);
    assert.equal(loadConfig({ EVENT_RETENTION_DAYS: '365' }).eventRetentionDays, 365);
    assert.throws(() => loadConfig({ EVENT_RETENTION_DAYS: '0' }), /EVENT_RETENTION_DAYS/);
  });
});
