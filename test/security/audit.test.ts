import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, seedAccount, sessionCookie, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { loadConfig } from '../../src/config.js';
import { sweep } from '../../src/housekeeping.js';
import { hashToken } from '../../src/security/tokens.js';
import { AuditLog, MAX_HELD_KEYS, UNKNOWN_ACCOUNT } from '../../src/events/audit.js';
import { ManualClock } from '../../src/clock.js';
import { openStores } from '../../src/store/index.js';
import { auditTrail } from './support.js';

const UA = 'AgentDesktop/7.1 (audit test)';
const DAY = 86_400_000;
const MINUTE = 60_000;

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
    // Requests without a session are counted per address and minute, stored when the minute ends.
    await server.services.audit.flush();

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

describe('audit trail under a flood of refused logins', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  const LONG_UA = 'FloodBot/1.0 ' + 'x'.repeat(2000);

  before(async () => {
    server = await startTestServer({ env: { TRUST_PROXY: '127.0.0.1' } });
    seeded = await seedAccount(server);
  });
  after(() => server.close());

  const login = (address: string, body: Record<string, string>, accountId = seeded.accountId) =>
    postJson(`${server.baseUrl}/api/account/${accountId}/login?v=1.3`, body, { 'x-forwarded-for': address, 'user-agent': LONG_UA });
  const stored = () => server.stores.events.listEvents(seeded.accountId, { limit: 100_000 });

  test('rate-limited refusals: one event per address and minute with a count, and no store write per refusal', async () => {
    server.clock.advance(MINUTE);
    const addresses = ['203.0.113.1', '203.0.113.2', '2001:db8:1:2::1'];
    for (const address of addresses) for (let i = 0; i < 20; i++) assert.equal((await login(address, { username: `someone.${i}`, password: 'guess' })).status, 401);
    const refusedPerMinute = [[40, 10, 25], [30, 0, 15]];
    for (const counts of refusedPerMinute) {
      const before = (await stored()).length;
      // Each address is over its budget for the whole of this minute.
      await Promise.all(addresses.flatMap((address, a) => Array.from({ length: counts[a]! }, (_, i) => login(address === addresses[2] ? `2001:db8:1:2::${i + 2}` : address, { username: 'x', password: 'y' }))))
        .then((answers) => assert.ok(answers.every((r) => r.status === 429)));
      assert.equal((await stored()).length, before, 'no event stored while the minute lasts');
      server.clock.advance(30_000);
      for (const address of addresses) await login(address, { username: 'x', password: 'y' });
      server.clock.advance(30_000);
      for (const address of addresses) for (let i = 0; i < 20; i++) await login(address, { username: `someone.${i}`, password: 'guess' });
    }
    await server.services.audit.flush();

    const limited = (await auditTrail(server, seeded.accountId, 'login_rate_limited'));
    const total = limited.reduce((sum, e) => sum + (e.detail.count as number), 0);
    const sent = refusedPerMinute.flat().reduce((a, b) => a + b, 0) + 2 * addresses.length;
    assert.equal(total, sent, 'the counts add up to every refusal');
    assert.ok(limited.length <= 3 * addresses.length, `at most one event per address and minute, got ${limited.length}`);
    const keys = limited.map((e) => `${Math.floor(e.time / MINUTE)} ${e.clientIp}`);
    assert.equal(new Set(keys.map((k) => k.replace(/2001:db8:1:2::\d+/, '2001:db8:1:2::/64'))).size, keys.length, 'one event per address (IPv6: per /64) and minute');
    for (const e of limited) {
      assert.equal(e.userAgent!.length, 256, 'the user agent is cut to 256 characters');
      assert.ok(e.detail.lastAt as number >= e.time);
    }
  });

  test('locked-out refusals: one event per user and minute with a count', async () => {
    server.clock.advance(10 * MINUTE);
    const { human } = seeded;
    for (let i = 0; i < 5; i++) await login('198.51.100.1', { username: human.loginName, password: `wrong ${i}` });
    for (let i = 0; i < 12; i++) assert.equal((await login(`198.51.100.${2 + i}`, { username: human.loginName, password: human.password })).status, 401);
    await server.services.audit.flush();
    const locked = (await auditTrail(server, seeded.accountId, 'login_locked')).filter((e) => e.userId === human.user.userId);
    assert.equal(locked.length, 1);
    assert.equal(locked[0]!.detail.count, 12);
    assert.equal(locked[0]!.loginName, human.loginName);
    server.clock.advance(15 * MINUTE);
    await server.services.guard.unlock(seeded.accountId, human.user.userId);
  });

  test('logins to account ids that do not exist are counted, not stored under those ids, without the text the client sent', async () => {
    server.clock.advance(MINUTE);
    const ghosts = Array.from({ length: 30 }, (_, i) => String(990_000 + i));
    for (const [i, ghost] of ghosts.entries()) {
      assert.equal((await login(`192.0.2.${1 + (i % 3)}`, { username: `attacker text ${i}`, password: 'guess' }, ghost)).status, 401);
    }
    // Over the address budget too: the 429s of a made-up account are no better.
    for (let i = 0; i < 25; i++) await login('192.0.2.99', { username: 'attacker text', password: 'guess' }, '990999');
    await server.services.audit.flush();

    for (const ghost of [...ghosts, '990999']) assert.deepEqual(await server.stores.events.listEvents(ghost), []);
    const unknown = (await server.stores.events.listEvents(UNKNOWN_ACCOUNT, { limit: 1000 })).filter((e) => e.time >= server.clock.now() - MINUTE);
    const failures = unknown.filter((e) => e.type === 'login_failure');
    assert.equal(failures.length, 4, 'one per address and minute');
    assert.equal(failures.reduce((sum, e) => sum + (e.detail.count as number), 0), 30 + 20);
    assert.ok(failures.every((e) => e.detail.reason === 'unknown_account'));
    const limited = unknown.filter((e) => e.type === 'login_rate_limited');
    assert.deepEqual(limited.map((e) => e.detail.count), [5]);
    const text = JSON.stringify(unknown);
    assert.ok(!text.includes('attacker text') && !text.includes('FloodBot') && !text.includes('99000'), text.slice(0, 300));
  });

  test('verified failures stay one event each, with the user agent cut to 256 characters', async () => {
    server.clock.advance(MINUTE);
    const before = (await auditTrail(server, seeded.accountId, 'login_failure')).length;
    for (let i = 0; i < 3; i++) assert.equal((await login('192.0.2.150', { username: `${i}${'n'.repeat(255)}`, password: 'guess' })).status, 401);
    const failures = (await auditTrail(server, seeded.accountId, 'login_failure')).slice(before);
    assert.equal(failures.length, 3);
    for (const e of failures) {
      assert.equal(e.loginName!.length, 256);
      assert.equal(e.userAgent!.length, 256);
    }
  });
});

describe('AuditLog per-minute counts', () => {
  test('past MAX_HELD_KEYS distinct keys in a minute, further ones fold into one event per type and account; the counts still add up', async () => {
    const stores = await openStores({ databaseUrl: 'sqlite::memory:' });
    try {
      const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
      const audit = new AuditLog(stores.events, clock);
      const heard: number[] = [];
      audit.onEvent(() => heard.push(1));
      const flood = MAX_HELD_KEYS + 500;
      for (let i = 0; i < flood; i++) {
        await audit.recordPerMinute({ accountId: '123', accountKnown: true, type: 'login_rate_limited', clientIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` });
      }
      assert.equal((await stores.events.listEvents('123')).length, 0, 'nothing stored during the minute');
      clock.advance(MINUTE);
      await audit.record({ accountId: '123', type: 'logout' });
      const events = await stores.events.listEvents('123', { limit: 100_000 });
      const limited = events.filter((e) => e.type === 'login_rate_limited');
      assert.equal(limited.length, MAX_HELD_KEYS + 1);
      assert.equal(limited.reduce((sum, e) => sum + (e.detail.count as number), 0), flood);
      assert.equal(limited.find((e) => e.clientIp === null)?.detail.count, 500);
      assert.equal(heard.length, flood + 1, 'listeners (metrics) hear of every refusal');
    } finally {
      await stores.close();
    }
  });

  test('a detail too large is replaced by {truncated: true}; long strings in it are cut', async () => {
    const stores = await openStores({ databaseUrl: 'sqlite::memory:' });
    try {
      const audit = new AuditLog(stores.events, new ManualClock(Date.UTC(2026, 5, 1, 12)));
      await audit.record({ accountId: '123', type: 'admin_change', detail: { list: Array.from({ length: 500 }, (_, i) => i) } });
      await audit.record({ accountId: '123', type: 'admin_change', detail: { note: 'z'.repeat(5000) } });
      const details = (await stores.events.listEvents('123')).map((e) => e.detail);
      assert.ok(details.some((d) => d.truncated === true && Object.keys(d).length === 1));
      assert.ok(details.some((d) => typeof d.note === 'string' && d.note.length === 256));
    } finally {
      await stores.close();
    }
  });
});
