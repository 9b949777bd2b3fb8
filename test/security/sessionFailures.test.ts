/**
 * Requests that name no live session (refresh, logout and password change
 * without a cookie, with a made-up one, or on an account that does not
 * exist) cost neither a store write per request in the audit log nor an
 * unbounded stream of answers: they are counted per address and minute
 * (429 past LOGIN_FAILURES_PER_MINUTE) and grouped into one event per
 * address, reason and minute. Over a real socket, on every backend the
 * environment offers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { UNKNOWN_ACCOUNT } from '../../src/events/audit.js';
import { createTestDatabase, type TestDatabase } from '../store/postgresDatabase.js';
import { openSession, refresh } from './support.js';

const MINUTE = 60_000;
const UA = 'SessionProbe/1.0';

interface Backend {
  name: string;
  env?(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }>;
  skip?: string;
}

const backends: Backend[] = [
  { name: 'SQLite' },
  {
    name: 'PostgreSQL',
    skip: process.env.TEST_DATABASE_URL ? undefined : 'TEST_DATABASE_URL is not set',
    async env() {
      const db: TestDatabase = await createTestDatabase(process.env.TEST_DATABASE_URL!);
      return { env: { DATABASE_URL: db.url }, cleanup: () => db.drop() };
    },
  },
  {
    name: 'SQLite + Redis',
    skip: process.env.TEST_REDIS_URL ? undefined : 'TEST_REDIS_URL is not set',
    async env() {
      const prefix = `test-session-failures-${randomBytes(4).toString('hex')}:`;
      const cleanup = async () => {
        const redis = new Redis(process.env.TEST_REDIS_URL!);
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        await redis.quit();
      };
      return { env: { REDIS_URL: process.env.TEST_REDIS_URL!, REDIS_KEY_PREFIX: prefix }, cleanup };
    },
  },
];

for (const backend of backends) {
  describe(`requests without a live session, ${backend.name}`, { skip: backend.skip }, () => {
    let server: TestServer;
    let seeded: SeededAccount;
    let cleanup = async () => {};

    before(async () => {
      const extra = backend.env ? await backend.env() : { env: {}, cleanup: async () => {} };
      cleanup = extra.cleanup;
      server = await startTestServer({ env: { TRUST_PROXY: '127.0.0.1', ...extra.env } });
      seeded = await seedAccount(server);
    });
    after(async () => {
      await server?.close();
      await cleanup();
    });

    const send = (address: string, accountId: string, path: 'refresh' | 'logout' | 'password', cookie: string | null) =>
      postJson(
        `${server.baseUrl}/api/account/${accountId}/${path}?v=1.3`,
        path === 'password' ? { csrf: 'c'.repeat(64), oldPassword: 'guess', newPassword: 'another guess entirely' } : { csrf: 'c'.repeat(64) },
        { 'x-forwarded-for': address, 'user-agent': UA, ...(cookie ? { cookie: `Session_id=${cookie}` } : {}) },
      );

    test('900 failed refreshes, logouts and password changes add a few dozen events, and 429 past the limit', async () => {
      server.clock.advance(MINUTE);
      const valid = await openSession(server, seeded.accountId, seeded.human.loginName, seeded.human.password);
      const addresses = ['203.0.113.50', '203.0.113.51', '2001:db8:7:7::1'];
      const before = (await server.stores.events.listEvents(seeded.accountId, { limit: 100_000 })).length;
      const beforeUnknown = (await server.stores.events.listEvents(UNKNOWN_ACCOUNT, { limit: 100_000 })).length;

      const statuses: number[] = [];
      const retryAfters = new Set<string | null>();
      for (let batch = 0; batch < 18; batch++) {
        const answers = await Promise.all(
          Array.from({ length: 50 }, (_, i) => {
            const n = batch * 50 + i;
            const address = addresses[n % addresses.length]!;
            const path = (['refresh', 'logout', 'password'] as const)[Math.floor(n / 3) % 3]!;
            const kind = n % 5;
            // No cookie, a made-up cookie, or an account id that names no account.
            const accountId = kind === 4 ? String(880_000 + n) : seeded.accountId;
            const cookie = kind === 0 || kind === 4 ? null : randomBytes(32).toString('hex');
            return send(address, accountId, path, cookie);
          }),
        );
        for (const res of answers) {
          statuses.push(res.status);
          if (res.status === 429) retryAfters.add(res.headers.get('retry-after'));
        }
      }
      assert.equal(statuses.length, 900);
      assert.ok(statuses.every((s) => s === 401 || s === 429), `only 401 and 429, got ${[...new Set(statuses)]}`);
      const limited = statuses.filter((s) => s === 429).length;
      // Each address has LOGIN_FAILURES_PER_MINUTE (20) answered with 401; password changes may also meet the login budget.
      assert.ok(limited >= 900 - 3 * 20, `${limited} answered 429`);
      assert.ok([...retryAfters].every((r) => r !== null && Number(r) >= 1 && Number(r) <= 60), `Retry-After: ${[...retryAfters]}`);

      // Refresh is a hot path: a valid session refreshes from an address past the limit (only failures count).
      const ok = await refresh(server, seeded.accountId, valid);
      assert.equal(ok.status, 200, ok.text);

      assert.equal((await server.stores.events.listEvents(seeded.accountId, { limit: 100_000 })).length, before, 'nothing stored while the minute lasts');
      await server.services.audit.flush();
      // Newest first: what the flood added is what lies before the earlier events.
      const added = async (accountId: string, earlier: number) => {
        const all = await server.stores.events.listEvents(accountId, { limit: 100_000 });
        return all.slice(0, all.length - earlier);
      };
      const stored = await added(seeded.accountId, before);
      const unknown = await added(UNKNOWN_ACCOUNT, beforeUnknown);
      const failures = [...stored, ...unknown].filter((e) => e.type === 'refresh_failure');
      assert.ok(failures.length <= 48, `a few dozen events at most, got ${failures.length}`);
      // A password change is also a login attempt: one refused by the login budget is counted there instead.
      const counted = [...stored, ...unknown].filter((e) => e.type === 'refresh_failure' || e.type === 'login_rate_limited');
      assert.equal(counted.reduce((sum, e) => sum + (e.detail.count as number), 0), 900, 'the counts add up to every refusal');
      const keys = failures.map((e) => `${e.accountId} ${e.clientIp} ${e.detail.action} ${e.detail.reason}`);
      assert.equal(new Set(keys.map((k) => k.replace(/2001:db8:7:7::1/, 'v6'))).size, keys.length, 'one event per account, address, action, reason and minute');
      assert.ok(unknown.every((e) => e.accountId === UNKNOWN_ACCOUNT && e.userAgent === null), 'unknown accounts are not stored under the id sent');
      for (let n = 4; n < 900; n += 5) assert.deepEqual(await server.stores.events.listEvents(String(880_000 + n)), [], 'no event under a made-up account id');
      assert.ok(failures.some((e) => e.detail.reason === 'rate_limited'));
      assert.ok(stored.some((e) => e.detail.reason === 'no_cookie') && stored.some((e) => e.detail.reason === 'session_invalid'));
    });
  });
}
