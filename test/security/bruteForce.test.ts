import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { ManualClock } from '../../src/clock.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { createUser } from '../../src/directory/users.js';
import { addressBucket } from '../../src/security/addresses.js';
import { auditTrail, errorWithoutTime, passwordLogin } from './support.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

async function addHuman(server: TestServer, accountId: string, loginName: string, password: string) {
  const deps = { stores: server.stores, clock: server.services.clock, hasher: server.services.hasher };
  return createUser(deps, { accountId, loginName, password });
}

describe('per-user lockout', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  const otherPassword = 'another fine passphrase';

  before(async () => {
    // No per-address limit here, so only the per-user lock is at work.
    server = await startTestServer({ env: { LOGIN_FAILURES_PER_MINUTE: '0' } });
    seeded = await seedAccount(server);
    await addHuman(server, seeded.accountId, 'Other.User', otherPassword);
  });
  after(() => server.close());

  const login = (password: string, username = seeded.human.loginName) => passwordLogin(server, seeded.accountId, username, password);

  test('fewer failures than the threshold do not lock, and a success resets the count', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await login('wrong password ' + i)).status, 401);
    assert.equal((await login(seeded.human.password)).status, 200);
    // Had the success not reset the count, 4 more failures would make 8 and lock.
    for (let i = 0; i < 4; i++) assert.equal((await login('wrong password ' + i)).status, 401);
    assert.equal((await login(seeded.human.password)).status, 200);
  });

  test('5 failures lock for 1 min, each further failure doubles the lock up to 15 min; a locked login looks like a wrong password', async () => {
    const lockoutsBefore = (await auditTrail(server, seeded.accountId, 'lockout')).length;
    const wrong = await login('wrong password');
    for (let i = 0; i < 4; i++) await login('wrong password');

    // After failure n the user is locked for expected[n-5]; just before it ends the right password is refused.
    const expected = [1, 2, 4, 8, 15, 15].map((m) => m * MINUTE);
    for (const [i, lockMs] of expected.entries()) {
      server.clock.advance(lockMs - 1);
      const refused = await login(seeded.human.password);
      assert.equal(refused.status, 401, `still locked 1 ms before the end of lock ${i + 1}`);
      assert.deepEqual(errorWithoutTime(refused.json), errorWithoutTime(wrong.json));
      assert.equal(refused.headers.get('retry-after'), null, 'a lock must not announce itself');
      // Other users are not affected.
      assert.equal((await login(otherPassword, 'Other.User')).status, 200);
      server.clock.advance(1);
      if (i < expected.length - 1) assert.equal((await login('wrong password')).status, 401);
    }
    // The last lock has ended: the right password works and resets the count.
    assert.equal((await login(seeded.human.password)).status, 200);
    assert.equal((await login('wrong password')).status, 401);
    assert.equal((await login(seeded.human.password)).status, 200);

    const lockouts = (await auditTrail(server, seeded.accountId, 'lockout')).slice(lockoutsBefore);
    assert.deepEqual(lockouts.map((e) => e.detail.lockedForMs), expected);
    assert.ok(lockouts.every((e) => e.userId === seeded.human.user.userId && e.loginName === 'Agent.Smith' && e.clientIp === '127.0.0.1'));
    await server.services.audit.flush();
    const locked = await auditTrail(server, seeded.accountId, 'login_locked');
    assert.equal(locked.length, expected.length, 'each refused locked login is recorded');
  });

  test('an administrator unlock (what `user unlock` does) lifts the lock at once', async () => {
    for (let i = 0; i < 5; i++) await login('wrong password');
    assert.equal((await login(seeded.human.password)).status, 401);
    await server.services.guard.unlock(seeded.accountId, seeded.human.user.userId);
    assert.equal((await login(seeded.human.password)).status, 200);
  });

  test('threshold and lock length are per account; a threshold of 0 never locks', async () => {
    await server.stores.accounts.updateAccount(seeded.accountId, { settings: { lockoutThreshold: 3, lockoutBaseMs: 10 * SECOND } });
    for (let i = 0; i < 3; i++) await login('wrong password');
    assert.equal((await login(seeded.human.password)).status, 401);
    server.clock.advance(10 * SECOND);
    assert.equal((await login(seeded.human.password)).status, 200);

    await server.stores.accounts.updateAccount(seeded.accountId, { settings: { lockoutThreshold: 0 } });
    for (let i = 0; i < 12; i++) await login('wrong password');
    assert.equal((await login(seeded.human.password)).status, 200);
    await server.stores.accounts.updateAccount(seeded.accountId, { settings: {} });
  });
});

describe('per-address limit on failed logins', () => {
  let server: TestServer;
  let seeded: SeededAccount;

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
  });
  after(() => server.close());

  const login = (username: string, password: string, headers: Record<string, string> = {}) => passwordLogin(server, seeded.accountId, username, password, headers);

  test('the 21st failed login in a minute gets 429 with Retry-After, whatever the usernames (spraying)', async () => {
    server.clock.advance(MINUTE);
    for (let i = 0; i < 20; i++) {
      const res = await login(i % 7 === 0 ? seeded.human.loginName : `someone.${i}`, `Spring2026!${i}`);
      assert.equal(res.status, 401, `failure ${i + 1} is an ordinary 401`);
    }
    const limited = await login(seeded.human.loginName, seeded.human.password);
    assert.equal(limited.status, 429, 'even the right password is refused while the address is limited');
    assert.equal(limited.json.error.internalCode, 40);
    assert.equal(limited.json.error.responseStatus, 'TOO_MANY_REQUESTS');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    await server.services.audit.flush();
    const events = await auditTrail(server, seeded.accountId, 'login_rate_limited');
    assert.equal(events.at(-1)?.clientIp, '127.0.0.1');

    // The counter lives in the store: a server restarted on the same store still refuses.
    const restarted = await startTestServer({ stores: server.stores, clock: server.clock });
    try {
      assert.equal((await passwordLogin(restarted, seeded.accountId, seeded.human.loginName, seeded.human.password)).status, 429);
    } finally {
      await restarted.close();
    }

    server.clock.advance(retryAfter * SECOND);
    assert.equal((await login(seeded.human.loginName, seeded.human.password)).status, 200, 'allowed again once Retry-After has passed');
  });

  test('successful logins do not count', async () => {
    server.clock.advance(MINUTE);
    for (let i = 0; i < 25; i++) assert.equal((await login(seeded.human.loginName, seeded.human.password)).status, 200);
  });

  test('attempts on a locked user count against the address', async () => {
    server.clock.advance(MINUTE);
    for (let i = 0; i < 5; i++) await login(seeded.human.loginName, 'wrong password');
    for (let i = 0; i < 15; i++) assert.equal((await login(seeded.human.loginName, 'wrong password')).status, 401);
    assert.equal((await login(seeded.human.loginName, 'wrong password')).status, 429);
    server.clock.advance(15 * MINUTE);
    await server.services.guard.unlock(seeded.accountId, seeded.human.user.userId);
  });

  test('X-Forwarded-For is ignored without TRUST_PROXY: a spoofed header does not escape the limit', async () => {
    server.clock.advance(MINUTE);
    for (let i = 0; i < 20; i++) {
      assert.equal((await login(`someone.${i}`, 'guess', { 'x-forwarded-for': `198.51.100.${i + 1}` })).status, 401);
    }
    assert.equal((await login('someone', 'guess', { 'x-forwarded-for': '198.51.100.200' })).status, 429);
    const failures = await auditTrail(server, seeded.accountId, 'login_failure');
    assert.equal(failures.at(-1)?.clientIp, '127.0.0.1', 'the socket address is recorded, not the header');
  });
});

describe('per-address limit behind a trusted proxy (TRUST_PROXY=127.0.0.1)', () => {
  let server: TestServer;
  let seeded: SeededAccount;

  before(async () => {
    server = await startTestServer({ env: { TRUST_PROXY: '127.0.0.1' } });
    seeded = await seedAccount(server);
  });
  after(() => server.close());

  const login = (forwardedFor: string, username = 'someone', password = 'guess') =>
    passwordLogin(server, seeded.accountId, username, password, { 'x-forwarded-for': forwardedFor });

  test('each forwarded client address has its own count', async () => {
    server.clock.advance(MINUTE);
    for (let i = 0; i < 20; i++) assert.equal((await login('203.0.113.7', `someone.${i}`)).status, 401);
    assert.equal((await login('203.0.113.7')).status, 429);
    assert.equal((await login('203.0.113.8')).status, 401, 'another client behind the same proxy is not limited');
    assert.equal((await login('203.0.113.8', seeded.human.loginName, seeded.human.password)).status, 200);
    const failures = await auditTrail(server, seeded.accountId, 'login_failure');
    assert.equal(failures.at(-1)?.clientIp, '203.0.113.8', 'the forwarded address is recorded');
  });

  test('a client cannot escape by prepending addresses: the proxy appends the real one, and that one counts', async () => {
    assert.equal((await login('10.9.9.9, 203.0.113.7')).status, 429);
    assert.equal((await login('198.51.100.1,203.0.113.7')).status, 429);
  });

  test('IPv6 clients count by their /64', async () => {
    server.clock.advance(MINUTE);
    for (let i = 0; i < 20; i++) assert.equal((await login(`2001:db8:1:2::${(i + 1).toString(16)}`)).status, 401);
    assert.equal((await login('2001:db8:1:2:ffff:ffff:ffff:ffff')).status, 429);
    assert.equal((await login('2001:db8:1:3::1')).status, 401, 'the next /64 is another client');
  });
});

describe('two instances on one store share the counters', () => {
  // Counters in Redis when TEST_REDIS_URL is set, else in the shared SQLite file.
  const redisUrl = process.env.TEST_REDIS_URL ?? null;
  const prefix = `ls-test:${randomBytes(6).toString('hex')}:`;
  const dir = mkdtempSync(join(tmpdir(), 'login-service-bruteforce-'));
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  let storesA: Stores;
  let storesB: Stores;
  let a: TestServer;
  let b: TestServer;
  let seeded: SeededAccount;

  before(async () => {
    const open = () => openStores({ databaseUrl: `sqlite:${join(dir, 'shared.db')}`, redisUrl, redisKeyPrefix: prefix });
    storesA = await open();
    storesB = await open();
    a = await startTestServer({ stores: storesA, clock });
    b = await startTestServer({ stores: storesB, clock });
    seeded = await seedAccount(a);
  });
  after(async () => {
    await a.close();
    await b.close();
    await storesA.close();
    await storesB.close();
    if (redisUrl) {
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test(`failures on one instance lock the user and limit the address on the other (${redisUrl ? 'Redis' : 'SQLite'} counters)`, async () => {
    const { accountId, human } = seeded;
    for (let i = 0; i < 5; i++) await passwordLogin(i % 2 ? a : b, accountId, human.loginName, 'wrong password');
    assert.equal((await passwordLogin(a, accountId, human.loginName, human.password)).status, 401);
    assert.equal((await passwordLogin(b, accountId, human.loginName, human.password)).status, 401);
    clock.advance(MINUTE);
    assert.equal((await passwordLogin(b, accountId, human.loginName, human.password)).status, 200);

    clock.advance(MINUTE);
    for (let i = 0; i < 20; i++) await passwordLogin(i % 2 ? a : b, accountId, `someone.${i}`, 'guess');
    assert.equal((await passwordLogin(a, accountId, human.loginName, human.password)).status, 429);
    assert.equal((await passwordLogin(b, accountId, human.loginName, human.password)).status, 429);
  });
});

describe('addressBucket', () => {
  test('IPv4 stays as it is; IPv6 becomes its /64; IPv4-mapped IPv6 is its IPv4', () => {
    assert.equal(addressBucket('203.0.113.7'), '203.0.113.7');
    assert.equal(addressBucket('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(addressBucket('2001:db8:1:2::1'), '2001:db8:1:2::/64');
    assert.equal(addressBucket('2001:0DB8:0001:0002:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
    assert.equal(addressBucket('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressBucket('::1'), '0:0:0:0::/64');
    assert.equal(addressBucket('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressBucket('2001:db8::5:1.2.3.4'), '2001:db8:0:0::/64');
    assert.equal(addressBucket('not an address'), 'not an address');
  });
});

describe('familiar addresses: failures from strangers do not lock the user out where they usually log in', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  const dir = mkdtempSync(join(tmpdir(), 'login-service-familiar-'));
  const HOME = '192.0.2.44';
  const HOME_V6 = '2001:db8:aa:bb::10';
  const STRANGER = '203.0.113.9';
  let userCount = 0;

  before(async () => {
    // Behind a trusted proxy, so each test can speak from several addresses; no per-address limit here.
    server = await startTestServer({ env: { DATABASE_URL: `sqlite:${join(dir, 'familiar.db')}`, TRUST_PROXY: '127.0.0.1', LOGIN_FAILURES_PER_MINUTE: '0' } });
    seeded = await seedAccount(server);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function newUser() {
    const loginName = `traveller.${++userCount}`;
    const password = `passphrase of traveller ${userCount}`;
    const user = await addHuman(server, seeded.accountId, loginName, password);
    const login = (address: string, guess = password) => passwordLogin(server, seeded.accountId, loginName, guess, { 'x-forwarded-for': address });
    return { user, password, login };
  }

  test('locked by a stranger, the user still gets in from a familiar address; the stranger stays locked out', async () => {
    const { user, login } = await newUser();
    assert.equal((await login(HOME)).status, 200, 'home becomes familiar');
    for (let i = 0; i < 5; i++) assert.equal((await login(STRANGER, `guess ${i}`)).status, 401);

    assert.equal((await login(STRANGER)).status, 401, 'the stranger is locked out, even with the right password');
    assert.equal((await login('198.51.100.3')).status, 401, 'so is every address that is not familiar');
    assert.equal((await login(HOME)).status, 200, 'the user gets in from home');
    assert.equal((await login(HOME, 'wrong at home')).status, 401);
    assert.equal((await login(HOME)).status, 200, 'one failure at home does not lock home');
    assert.equal((await login(STRANGER)).status, 401, 'a success at home does not lift the lock elsewhere');

    // The lock elsewhere runs its course and doubles as usual.
    server.clock.advance(MINUTE);
    assert.equal((await login(STRANGER, 'guess 6')).status, 401);
    server.clock.advance(2 * MINUTE - 1);
    assert.equal((await login(STRANGER)).status, 401, 'locked for 2 min after the 6th failure');
    assert.equal((await login(HOME)).status, 200);

    const lockouts = (await auditTrail(server, seeded.accountId, 'lockout')).filter((e) => e.userId === user.userId);
    assert.deepEqual(lockouts.map((e) => [e.detail.from, e.detail.lockedForMs]), [['elsewhere', MINUTE], ['elsewhere', 2 * MINUTE]]);
    await server.services.audit.flush();
    const refusals = (await auditTrail(server, seeded.accountId, 'login_locked')).filter((e) => e.userId === user.userId);
    assert.ok(refusals.length > 0 && refusals.every((e) => e.detail.from === 'elsewhere'));
  });

  test('IPv6: a familiar address makes its whole /64 familiar, not the next /64', async () => {
    const { login } = await newUser();
    assert.equal((await login(HOME_V6)).status, 200);
    for (let i = 0; i < 5; i++) await login(STRANGER, `guess ${i}`);
    assert.equal((await login('2001:db8:aa:bb:ffff::1')).status, 200, 'same /64');
    assert.equal((await login('2001:db8:aa:bc::10')).status, 401, 'another /64 is elsewhere, and locked');
  });

  test('failures from a familiar address lock the familiar side, not the rest', async () => {
    const { login } = await newUser();
    assert.equal((await login(HOME)).status, 200);
    for (let i = 0; i < 5; i++) assert.equal((await login(HOME, `guess ${i}`)).status, 401);
    assert.equal((await login(HOME)).status, 401, 'home is locked');
    assert.equal((await login(STRANGER)).status, 200, 'elsewhere is not');
    assert.equal((await login(HOME)).status, 401, 'home stays locked');
    server.clock.advance(MINUTE);
    assert.equal((await login(HOME)).status, 200);
  });

  test('an address stops being familiar 30 days after the last success there', async () => {
    const { login } = await newUser();
    assert.equal((await login(HOME)).status, 200);
    server.clock.advance(29 * DAY);
    assert.equal((await login(HOME)).status, 200, 'a success renews the 30 days');
    server.clock.advance(29 * DAY);
    for (let i = 0; i < 5; i++) await login(STRANGER, `guess ${i}`);
    assert.equal((await login(HOME)).status, 200, 'still familiar 58 days after the first success');
    server.clock.advance(31 * DAY);
    for (let i = 0; i < 5; i++) await login(STRANGER, `guess ${i}`);
    assert.equal((await login(HOME)).status, 401, 'no longer familiar: locked with the rest');
  });

  test('the store keeps a digest of account, user and address, never the address', async () => {
    const { login } = await newUser();
    assert.equal((await login('192.0.2.201')).status, 200);
    const db = new Database(join(dir, 'familiar.db'), { readonly: true });
    try {
      const keys = (db.prepare('SELECT key FROM counters').all() as Array<{ key: string }>).map((r) => r.key);
      assert.ok(keys.some((k) => /^familiar:[0-9a-f]{64}$/.test(k)));
      assert.ok(!keys.some((k) => k.includes('192.0.2')), keys.join(' '));
    } finally {
      db.close();
    }
  });
});
