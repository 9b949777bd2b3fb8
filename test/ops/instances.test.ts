/**
 * Two server processes on one PostgreSQL (and one Redis when TEST_REDIS_URL is
 * set), as behind a load balancer: whatever one instance does, the other sees
 * at once. Runs when TEST_DATABASE_URL is set; it creates its own database and
 * Redis key prefix and removes both at the end.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { sweep } from '../../src/housekeeping.js';
import { hashToken } from '../../src/security/tokens.js';
import { openStores } from '../../src/store/index.js';
import { postJson, seedAccount, startTestServer } from '../helpers/server.js';
import { cookieFrom, firstStartPassword, freePort, freshRequest, startCommand, relayTo, type CommandProcess } from './support.js';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
const TEST_REDIS_URL = process.env.TEST_REDIS_URL;

if (!TEST_DATABASE_URL) {
  test('many instances: needs TEST_DATABASE_URL (PostgreSQL), which is unset here', () => {
    assert.equal(process.env.TEST_DATABASE_URL, undefined);
  });
} else {
  const suffix = randomBytes(6).toString('hex');
  const databaseName = `login_service_ops_${suffix}`;
  const databaseUrl = (() => {
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${databaseName}`;
    return url.toString();
  })();
  const redisKeyPrefix = `login-service-test:ops:${suffix}:`;
  const backend = TEST_REDIS_URL ? 'postgres+redis' : 'postgres';
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    SWEEP_INTERVAL_MS: '0',
    ...(TEST_REDIS_URL ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redisKeyPrefix } : {}),
  };
  const storeOptions = { databaseUrl, redisUrl: TEST_REDIS_URL ?? null, redisKeyPrefix };

  async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  before(() => admin((c) => c.query(`CREATE DATABASE ${databaseName}`)));
  after(async () => {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
    if (TEST_REDIS_URL) {
      const redis = new Redis(TEST_REDIS_URL);
      try {
        const keys: string[] = [];
        let cursor = '0';
        do {
          const [next, batch] = await redis.scan(cursor, 'MATCH', `${redisKeyPrefix}*`, 'COUNT', 1000);
          cursor = next;
          keys.push(...batch);
        } while (cursor !== '0');
        if (keys.length > 0) await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    }
  });

  describe(`two instances on one ${backend}`, { timeout: 120_000 }, () => {
    let a: CommandProcess;
    let b: CommandProcess;
    let baseA: string;
    let baseB: string;
    let password: string;

    before(async () => {
      const [portA, portB] = [await freePort(), await freePort()];
      baseA = `http://127.0.0.1:${portA}/api/account/123456`;
      baseB = `http://127.0.0.1:${portB}/api/account/123456`;
      a = startCommand(['serve', '--port', String(portA)], env);
      await a.waitForOutput(/"msg":"login-service listening"/, 30_000);
      password = firstStartPassword(a.stdout());
      b = startCommand(['serve', '--port', String(portB)], env);
      await b.waitForOutput(/"msg":"login-service listening"/, 30_000);
    });
    after(() => {
      a?.kill();
      b?.kill();
    });

    test('the second instance finds the store already set up', () => {
      assert.doesNotMatch(b.stdout(), /First start/);
      assert.match(a.stdout(), new RegExp(`"backend":"${backend.replace('+', '\\+')}"`));
      assert.match(b.stdout(), new RegExp(`"backend":"${backend.replace('+', '\\+')}"`));
    });

    for (const [from, to] of [
      ['A', 'B'],
      ['B', 'A'],
    ] as const) {
      test(`login on ${from}; refresh and bearer check on ${to}; logout on ${from} is refused on ${to} at once`, async () => {
        const on = { A: baseA, B: baseB };
        const login = await freshRequest(`${on[from]}/login?v=1.3`, { body: { username: 'admin', password } });
        assert.equal(login.status, 200);
        const cookie = cookieFrom(login.headers)!;
        const { csrf, bearer } = login.json;

        assert.equal((await freshRequest(`${on[to]}/refresh`, { body: { csrf }, headers: { cookie } })).status, 200);
        const check = await freshRequest(`${on[to]}/session`, { headers: { authorization: `Bearer ${bearer}` } });
        assert.equal(check.status, 200);
        assert.equal(check.json.loginName, 'admin');

        assert.equal((await freshRequest(`${on[from]}/logout`, { body: { csrf }, headers: { cookie } })).status, 200);
        // No waiting: the very next request to the other instance is refused.
        assert.equal((await freshRequest(`${on[to]}/session`, { headers: { authorization: `Bearer ${bearer}` } })).status, 401);
        assert.equal((await freshRequest(`${on[to]}/refresh`, { body: { csrf }, headers: { cookie } })).status, 401);
        assert.equal((await freshRequest(`${on[from]}/session`, { headers: { authorization: `Bearer ${bearer}` } })).status, 401);
      });
    }

    test('failed logins on both instances add up to one lockout', async () => {
      // The default threshold is 5: the failures alternate between instances.
      for (let i = 0; i < 5; i++) {
        const res = await freshRequest(`${i % 2 ? baseB : baseA}/login`, { body: { username: 'admin', password: `wrong password ${i}` } });
        assert.equal(res.status, 401);
      }
      assert.equal((await freshRequest(`${baseB}/login`, { body: { username: 'admin', password } })).status, 401, 'locked on B');
      assert.equal((await freshRequest(`${baseA}/login`, { body: { username: 'admin', password } })).status, 401, 'locked on A');
    });

    test('SIGTERM stops both cleanly', async () => {
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      const [exitA, exitB] = await Promise.all([a.exited, b.exited]);
      assert.deepEqual(exitA, { code: 0, signal: null }, a.stderr());
      assert.deepEqual(exitB, { code: 0, signal: null }, b.stderr());
    });
  });

  describe(`housekeeping and readiness on ${backend}`, { timeout: 60_000 }, () => {
    test('the sweep removes expired sessions (clock travel)', async () => {
      const stores = await openStores(storeOptions);
      const server = await startTestServer({ stores });
      try {
        const seed = await seedAccount(server, '700001');
        const res = await postJson(`${server.baseUrl}/api/account/${seed.accountId}/login`, { username: seed.human.loginName, password: seed.human.password });
        assert.equal(res.status, 200);
        const idHash = hashToken(res.json.sessionId);
        server.clock.advance(9 * 3_600_000);
        const removed = await sweep(stores, server.clock.now(), 90);
        assert.ok(removed.sessions >= 1);
        assert.equal(await stores.sessions.findSessionById(idHash), null);
      } finally {
        await server.close();
        await stores.close();
      }
    });

    test('/readyz turns 503 when the connection to PostgreSQL is lost', async () => {
      // The server reaches PostgreSQL through a relay this test can cut.
      const { relay, url: relayed } = await relayTo(databaseUrl, 5432);
      const stores = await openStores({ databaseUrl: relayed, migrate: false });
      const server = await startTestServer({ stores });
      try {
        assert.equal((await fetch(`${server.baseUrl}/readyz`)).status, 200);
        await relay.cut();
        const res = await fetch(`${server.baseUrl}/readyz`);
        assert.equal(res.status, 503);
        assert.equal((await res.json()).error.internalCode, 51);
        assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);
      } finally {
        await server.app.close();
        await stores.close().catch(() => {});
        await relay.cut();
      }
    });

    if (TEST_REDIS_URL) {
      test('/readyz turns 503 when the connection to Redis is lost', async () => {
        const { relay, url: relayed } = await relayTo(TEST_REDIS_URL, 6379);
        const stores = await openStores({ databaseUrl, redisUrl: relayed, redisKeyPrefix, migrate: false });
        const server = await startTestServer({ stores });
        try {
          assert.equal((await fetch(`${server.baseUrl}/readyz`)).status, 200);
          await relay.cut();
          // Redis commands wait for a reconnection; readiness does not wait longer than its timeout.
          const res = await fetch(`${server.baseUrl}/readyz`);
          assert.equal(res.status, 503);
          assert.equal((await res.json()).error.internalCode, 51);
          // Redis back: readiness recovers without a restart (and the store can close cleanly).
          await relay.restore();
          let status = 0;
          for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
            status = (await fetch(`${server.baseUrl}/readyz`)).status;
            if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
          }
          assert.equal(status, 200);
        } finally {
          await server.app.close();
          await stores.close().catch(() => {});
          await relay.cut();
        }
      });
    }
  });
}
