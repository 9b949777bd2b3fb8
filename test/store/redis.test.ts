/**
 * Sessions and counters in Redis (identities in SQLite): the storage contract
 * plus what is Redis' own (expiry, key prefix, stale index members). Runs when
 * TEST_REDIS_URL is set (e.g. redis://127.0.0.1:6379); every key this run
 * writes starts with a prefix of its own and is deleted at the end.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearerSessionOf, type SessionRecord } from '../../src/sessions/model.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { withRedisSessions } from '../../src/store/redis/index.js';
import { openSqliteStores } from '../../src/store/sqlite/index.js';
import { session as contractSession, storeContract } from './contract.js';
import { createTestDatabase } from './postgresDatabase.js';

const redisUrl = process.env.TEST_REDIS_URL;
const HOUR = 3_600_000;

if (!redisUrl) {
  test('Redis sessions and counters: not exercised (TEST_REDIS_URL is not set)', (t) => {
    assert.ok(!process.env.TEST_REDIS_URL);
    t.diagnostic('Redis backend not exercised: set TEST_REDIS_URL=redis://HOST:PORT to run the storage contract with sessions and counters in Redis');
  });
} else {
  const runPrefix = `ls-test:${randomBytes(6).toString('hex')}:`;
  let opened = 0;
  let redis: Redis;

  const keysUnder = async (prefix: string): Promise<string[]> => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys.sort();
  };

  before(async () => {
    redis = new Redis(redisUrl);
  });
  after(async () => {
    const keys = await keysUnder(runPrefix);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const openWithPrefix = async (prefix: string, sqlitePath = ':memory:'): Promise<Stores> =>
    withRedisSessions(openSqliteStores(sqlitePath), redisUrl, { keyPrefix: prefix });

  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'login-service-redis-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  storeContract(
    'SQLite + Redis',
    () => openWithPrefix(`${runPrefix}${++opened}:`, join(dir, `stores-${opened}.db`)),
    // Another process on the same Redis keys and the same SQLite file (where the signing keys are).
    () => openWithPrefix(`${runPrefix}${opened}:`, join(dir, `stores-${opened}.db`)),
  );

  describe('Redis sessions: what is Redis\' own', () => {
    const session = (createdAt: number, lifetimeMs: number, overrides: Partial<SessionRecord> = {}): SessionRecord =>
      contractSession('1', '10', createdAt, lifetimeMs, overrides);

    let prefix: string;
    let stores: Stores;
    before(async () => {
      prefix = `${runPrefix}own:`;
      stores = await openWithPrefix(prefix);
    });
    after(async () => {
      await stores.close();
    });

    test('openStores puts sessions and counters in Redis under the given prefix', async () => {
      const own = `${runPrefix}open:`;
      const viaOpen = await openStores({ databaseUrl: 'sqlite::memory:', redisUrl, redisKeyPrefix: own });
      try {
        assert.equal(viaOpen.backend, 'sqlite+redis');
        await viaOpen.ping();
        const t = Date.now();
        const s = session(t, HOUR, { appKey: 'k' });
        await viaOpen.sessions.createSession(s);
        await viaOpen.counters.incrementCounter('c', 60_000, t);
        assert.deepEqual(await keysUnder(own), [
          `${own}account-sessions:1`,
          `${own}appkey-sessions:1:k`,
          `${own}bearer:${s.bearerHash}`,
          `${own}counter-expiry`,
          `${own}counter:c`,
          `${own}session-expiry`,
          `${own}session:${s.idHash}`,
          `${own}user-sessions:1:10`,
        ]);
        await viaOpen.sessions.deleteSession(s.idHash);
        await viaOpen.counters.deleteCounter('c');
        assert.deepEqual(await keysUnder(own), [], 'ending the session and deleting the counter leave no key behind');
      } finally {
        await viaOpen.close();
      }
    });

    test('OAuth grants live in Redis under the prefix and expire by TTL: codes and tokens with their life, marks at least as long as an access token', async () => {
      const own = `${runPrefix}oauth:`;
      const viaOpen = await openStores({ databaseUrl: 'sqlite::memory:', redisUrl, redisKeyPrefix: own });
      try {
        const t = Date.now();
        const code = { codeHash: 'c1', accountId: '1', clientId: 'app', userId: '10', redirectUri: 'https://app.example.com/cb', scope: 'openid', nonce: null, codeChallenge: null, authTime: t, amr: ['pwd'], familyId: 'f1', createdAt: t, expiresAt: t + 60_000 };
        await viaOpen.oauth.saveCode(code);
        await viaOpen.oauth.saveRefreshToken({ tokenHash: 'r1', familyId: 'f1', accountId: '1', clientId: 'app', userId: '10', scope: 'openid', authTime: t, amr: ['pwd'], createdAt: t, expiresAt: t + 2 * HOUR });
        await viaOpen.oauth.revokeAccessToken('j1', t + 60_000);
        assert.deepEqual(await keysUnder(own), [
          `${own}oauth-access-revoked:j1`,
          `${own}oauth-client-families:1:app`,
          `${own}oauth-code:c1`,
          `${own}oauth-family:f1`,
          `${own}oauth-refresh:r1`,
          `${own}oauth-user-families:1:10`,
        ]);
        const pttl = (key: string) => redis.pttl(`${own}${key}`);
        assert.ok((await pttl('oauth-code:c1')) <= 60_000 && (await pttl('oauth-code:c1')) > 50_000);
        assert.ok((await pttl('oauth-refresh:r1')) > HOUR && (await pttl('oauth-refresh:r1')) <= 2 * HOUR);
        assert.ok((await pttl('oauth-family:f1')) > HOUR, 'an index lives as long as its longest member');
        assert.ok((await pttl('oauth-access-revoked:j1')) > 23 * HOUR, 'a mark is kept at least as long as an access token can live');
        assert.equal(await viaOpen.oauth.deleteExpiredGrants(t + 3 * HOUR), 0, 'Redis expires them itself');
        assert.equal(await viaOpen.oauth.revokeUserGrants('1', '10', t + HOUR), 1);
        assert.deepEqual(
          (await keysUnder(own)).filter((k) => !k.includes('-revoked:') && !k.includes('client-families')),
          [],
          "revoking the user's grants leaves no code, token or index of theirs behind",
        );
      } finally {
        await viaOpen.close();
      }
    });

    test('openStores stacks Redis on PostgreSQL too, and close ends both', async (t) => {
      const databaseServer = process.env.TEST_DATABASE_URL;
      if (!databaseServer) {
        assert.ok(!process.env.TEST_DATABASE_URL);
        t.diagnostic('PostgreSQL + Redis not exercised: TEST_DATABASE_URL is not set');
        return;
      }
      const db = await createTestDatabase(databaseServer);
      try {
        const own = `${runPrefix}pg:`;
        const both = await openStores({ databaseUrl: db.url, redisUrl, redisKeyPrefix: own });
        assert.equal(both.backend, 'postgres+redis');
        await both.ping();
        await both.sessions.createSession(session(Date.now(), HOUR));
        assert.equal((await keysUnder(`${own}session:`)).length, 1, 'the session went to Redis');
        await both.close();
        await assert.rejects(both.ping());
      } finally {
        await db.drop();
      }
    });

    test('a Redis that cannot be reached fails the start with a clear reason', async () => {
      const sqlite = openSqliteStores(':memory:');
      try {
        await assert.rejects(withRedisSessions(sqlite, 'redis://127.0.0.1:1'), /cannot connect to Redis at 127\.0\.0\.1:1: .*ECONNREFUSED/);
      } finally {
        await sqlite.close();
      }
    });

    test('session keys expire with the session; a refresh moves the expiry, never past the hard end', async () => {
      const t = Date.now();
      const s = session(t, HOUR, { hardExpiresAt: t + 1.5 * HOUR });
      await stores.sessions.createSession(s);
      const ttl = await redis.pttl(`${prefix}session:${s.idHash}`);
      assert.ok(ttl > 0 && ttl <= HOUR, `session TTL ${ttl}`);
      const bearerTtl = await redis.pttl(`${prefix}bearer:${s.bearerHash}`);
      assert.ok(bearerTtl > 0 && bearerTtl <= HOUR, `bearer TTL ${bearerTtl}`);

      await stores.sessions.extendSession(s.idHash, t + 3 * HOUR);
      const extended = await redis.pttl(`${prefix}session:${s.idHash}`);
      assert.ok(extended > HOUR && extended <= 1.5 * HOUR, `extended TTL ${extended} is capped by the hard end`);
      assert.ok((await redis.pttl(`${prefix}bearer:${s.bearerHash}`)) > HOUR);
      assert.ok((await redis.pttl(`${prefix}user-sessions:1:10`)) > HOUR, 'the index lives as long as its longest member');
      assert.equal((await stores.sessions.findSessionByBearer(s.bearerHash))?.expiresAt, t + 3 * HOUR, 'the record keeps the value given');
      await stores.sessions.deleteSession(s.idHash);
    });

    test('expiry follows the service clock even when it is far from Redis\' clock', async () => {
      // A clock half a year behind (as in tests with a manual clock) must not make Redis drop new sessions at once.
      const past = Date.now() - 180 * 24 * HOUR;
      const s = session(past, 8 * HOUR);
      await stores.sessions.createSession(s);
      assert.deepEqual(await stores.sessions.findSessionByBearer(s.bearerHash), bearerSessionOf(s));
      const ttl = await redis.pttl(`${prefix}session:${s.idHash}`);
      assert.ok(ttl > 7 * HOUR && ttl <= 8 * HOUR, `TTL ${ttl}`);
      assert.deepEqual(
        (await stores.sessions.listSessions('1', past + HOUR)).map((x) => x.idHash),
        [s.idHash],
      );

      const counter = await stores.counters.incrementCounter('skewed', 60_000, past);
      assert.deepEqual(await stores.counters.getCounter('skewed', past + 1000), counter);
      const counterTtl = await redis.pttl(`${prefix}counter:skewed`);
      assert.ok(counterTtl > 0 && counterTtl <= 60_000, `counter TTL ${counterTtl}`);
      await stores.sessions.deleteSession(s.idHash);
      await stores.counters.deleteCounter('skewed');
    });

    test('index members of sessions Redis expired on its own are dropped when met', async () => {
      const t = Date.now();
      const kept = session(t, HOUR, { appKey: 'k' });
      const vanished = session(t + 1, HOUR, { appKey: 'k' });
      await stores.sessions.createSession(kept);
      await stores.sessions.createSession(vanished);
      // What Redis does at the end of a TTL: the keys go, the index members stay.
      await redis.del(`${prefix}session:${vanished.idHash}`, `${prefix}bearer:${vanished.bearerHash}`);

      assert.equal(await stores.sessions.findSessionByBearer(vanished.bearerHash), null);
      assert.deepEqual(
        (await stores.sessions.listSessions('1', t, '10')).map((x) => x.idHash),
        [kept.idHash],
      );
      assert.equal(await redis.zscore(`${prefix}user-sessions:1:10`, vanished.idHash), null, 'dropped from the user index');
      assert.deepEqual(
        (await stores.sessions.listSessions('1', t)).map((x) => x.idHash),
        [kept.idHash],
      );
      assert.equal(await redis.zscore(`${prefix}account-sessions:1`, vanished.idHash), null, 'dropped from the account index');
      assert.equal(await redis.zscore(`${prefix}session-expiry`, vanished.idHash), null, 'dropped from the expiry index');
      assert.equal(await stores.sessions.countLiveSessions(t), 1);
      assert.equal(await stores.sessions.extendSession(vanished.idHash, t + 2 * HOUR), false);
      assert.equal(await stores.sessions.deleteAppKeySessions('1', 'k'), 1, 'only the session that still existed is counted');
      assert.deepEqual(await keysUnder(`${prefix}appkey-sessions:`), []);
    });

    test('a sweep past the expiry of many sessions works through them in batches', async () => {
      const t = Date.now();
      const many = Array.from({ length: 1203 }, (_, i) => session(t + i, HOUR, { accountId: '7', userId: String(i % 3) }));
      await Promise.all(many.map((s) => stores.sessions.createSession(s)));
      assert.equal(await stores.sessions.countLiveSessions(t), 1203);
      assert.equal(await stores.sessions.countLiveSessions(t + HOUR + 1), 1201, 'the first two ended at t + 1h and t + 1h + 1');
      assert.equal(await stores.sessions.deleteExpiredSessions(t + 2 * HOUR), 1203);
      assert.deepEqual(await keysUnder(`${prefix}session:`), []);
      assert.deepEqual(await keysUnder(`${prefix}bearer:`), []);
      assert.deepEqual(await keysUnder(`${prefix}user-sessions:7:`), []);
      assert.deepEqual(await keysUnder(`${prefix}account-sessions:7`), []);
    });
  });
}
