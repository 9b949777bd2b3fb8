import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { AuditLog } from '../../src/events/audit.js';
import type { EventStore } from '../../src/events/model.js';
import { ServiceMetrics } from '../../src/ops/metrics.js';
import { startMetricsServer } from '../../src/ops/metricsServer.js';
import type { Logger } from 'pino';
import type { SessionStore } from '../../src/sessions/model.js';
import { postJson, seedAccount, sessionCookie, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { sample } from './support.js';

/** Scrapes over HTTP from a metrics listener of its own, as `serve` runs it by default. */
async function scrape(server: TestServer): Promise<string> {
  const listener = await startMetricsServer(server.ops.metrics!, { port: 0, host: '127.0.0.1', logger: server.app.log as Logger });
  try {
    const res = await fetch(`${listener.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return await res.text();
  } finally {
    await listener.close();
  }
}

const logins = (text: string, method: string, result: string) => sample(text, 'login_service_logins_total', { method, result });

async function login(server: TestServer, seed: SeededAccount, body: Record<string, string>) {
  return postJson(`${server.baseUrl}/api/account/${seed.accountId}/login?v=1.3`, body);
}

const human = (seed: SeededAccount, password = seed.human.password) => ({ username: seed.human.loginName, password });
const bot = (seed: SeededAccount, secret = seed.bot.key.secret) => ({ username: seed.bot.loginName, ...seed.bot.key, secret });

describe('metrics: logins, lockouts and sessions', () => {
  test('logins are counted by method and result, from the audit events', async () => {
    const server = await startTestServer({ env: { LOGIN_FAILURES_PER_MINUTE: '0' } });
    try {
      const seed = await seedAccount(server);
      const before = await scrape(server);
      for (const method of ['password', 'apikey']) {
        for (const result of ['success', 'failure', 'locked', 'rate_limited', 'expired']) assert.equal(logins(before, method, result), 0, `${method}/${result} starts at 0`);
      }
      assert.equal((await login(server, seed, human(seed))).status, 200);
      assert.equal((await login(server, seed, human(seed))).status, 200);
      assert.equal((await login(server, seed, human(seed, 'wrong password!'))).status, 401);
      assert.equal((await login(server, seed, bot(seed))).status, 200);
      assert.equal((await login(server, seed, bot(seed, 'not the secret'))).status, 401);
      // A bad request is no login attempt.
      assert.equal((await login(server, seed, { username: 'x' })).status, 400);

      const text = await scrape(server);
      assert.equal(logins(text, 'password', 'success'), 2);
      assert.equal(logins(text, 'password', 'failure'), 1);
      assert.equal(logins(text, 'apikey', 'success'), 1);
      assert.equal(logins(text, 'apikey', 'failure'), 1);
      assert.equal(sample(text, 'login_service_info', { backend: 'sqlite' }), 1);
    } finally {
      await server.close();
    }
  });

  test('active sessions are counted in the store', async () => {
    const server = await startTestServer();
    try {
      const seed = await seedAccount(server);
      for (let i = 0; i < 3; i++) assert.equal((await login(server, seed, human(seed))).status, 200);
      await server.stores.sessions.deleteUserSessions(seed.accountId, seed.human.user.userId);
      assert.equal((await login(server, seed, bot(seed))).status, 200);
      // The first scrape of this app: nothing cached yet.
      assert.equal(sample(await scrape(server), 'login_service_sessions_active'), 1);
    } finally {
      await server.close();
    }
  });

  test('a lockout is counted once, and a login on the locked user as locked', async () => {
    const server = await startTestServer({ env: { LOGIN_FAILURES_PER_MINUTE: '0' } });
    try {
      const seed = await seedAccount(server);
      // The default threshold is 5 consecutive failures.
      for (let i = 0; i < 5; i++) assert.equal((await login(server, seed, human(seed, `wrong password ${i}`))).status, 401);
      assert.equal((await login(server, seed, human(seed))).status, 401);
      const text = await scrape(server);
      assert.equal(logins(text, 'password', 'failure'), 5);
      assert.equal(sample(text, 'login_service_lockouts_total'), 1);
      assert.equal(logins(text, 'password', 'locked'), 1);
      assert.equal(logins(text, 'password', 'success'), 0);
    } finally {
      await server.close();
    }
  });

  test('rate-limited logins are counted with their method', async () => {
    const server = await startTestServer({ env: { LOGIN_FAILURES_PER_MINUTE: '2' } });
    try {
      const seed = await seedAccount(server);
      for (let i = 0; i < 2; i++) assert.equal((await login(server, seed, { username: `nobody-${i}`, password: 'not a password' })).status, 401);
      assert.equal((await login(server, seed, human(seed))).status, 429);
      assert.equal((await login(server, seed, bot(seed))).status, 429);
      assert.equal((await login(server, seed, bot(seed))).status, 429);
      const text = await scrape(server);
      assert.equal(logins(text, 'password', 'rate_limited'), 1);
      assert.equal(logins(text, 'apikey', 'rate_limited'), 2);
      assert.equal(logins(text, 'password', 'failure'), 2);
    } finally {
      await server.close();
    }
  });

  test('a login with an expired password is counted as expired', async () => {
    const server = await startTestServer();
    try {
      const seed = await seedAccount(server);
      await server.stores.accounts.updateAccount(seed.accountId, { settings: { passwordMaxAgeMs: 60_000 } });
      server.clock.advance(61_000);
      assert.equal((await login(server, seed, human(seed))).status, 401);
      const text = await scrape(server);
      assert.equal(logins(text, 'password', 'expired'), 1);
      assert.equal(logins(text, 'password', 'success'), 0);
    } finally {
      await server.close();
    }
  });
});

describe('metrics: refresh, logout, bearer check and latency', () => {
  let server: TestServer;
  let seed: SeededAccount;
  before(async () => {
    server = await startTestServer();
    seed = await seedAccount(server);
  });
  after(() => server.close());

  test('refreshes, logouts and bearer checks are counted by result', async () => {
    const base = `${server.baseUrl}/api/account/${seed.accountId}`;
    const res = await login(server, seed, human(seed));
    const cookie = `Session_id=${sessionCookie(res.headers)}`;
    const { csrf, bearer } = res.json;

    assert.equal((await postJson(`${base}/refresh`, { csrf }, { cookie })).status, 200);
    assert.equal((await postJson(`${base}/refresh`, { csrf }, { cookie })).status, 200);
    assert.equal((await postJson(`${base}/refresh`, { csrf: 'f'.repeat(64) }, { cookie })).status, 401);
    assert.equal((await postJson(`${base}/refresh`, { csrf })).status, 401);
    assert.equal((await postJson(`${base}/refresh`, { nothing: true }, { cookie })).status, 400);
    const check = (authorization: string) => fetch(`${base}/session`, { headers: { authorization } }).then((r) => r.status);
    assert.equal(await check(`Bearer ${bearer}`), 200);
    assert.equal(await check(`Bearer ${'0'.repeat(64)}`), 401);
    assert.equal((await postJson(`${base}/logout`, { csrf }, { cookie })).status, 200);
    assert.equal((await postJson(`${base}/logout`, { csrf }, { cookie })).status, 401);
    assert.equal(await check(`Bearer ${bearer}`), 401);

    const text = await scrape(server);
    const refreshes = (result: string) => sample(text, 'login_service_refreshes_total', { result });
    assert.equal(refreshes('success'), 2);
    assert.equal(refreshes('csrf_mismatch'), 1);
    assert.equal(refreshes('session_invalid'), 1);
    assert.equal(refreshes('bad_request'), 1);
    assert.equal(refreshes('error'), 0);
    assert.equal(sample(text, 'login_service_logouts_total', { result: 'success' }), 1);
    assert.equal(sample(text, 'login_service_logouts_total', { result: 'session_invalid' }), 1);
    assert.equal(sample(text, 'login_service_bearer_checks_total', { result: 'success' }), 1);
    assert.equal(sample(text, 'login_service_bearer_checks_total', { result: 'invalid' }), 2);
  });

  test('latency is recorded by route pattern and status, never by raw URL; probes and scrapes are left out', async () => {
    const base = `${server.baseUrl}/api/account/${seed.accountId}`;
    await fetch(`${base}/session`, { headers: { authorization: `Bearer ${'1'.repeat(64)}` } });
    await fetch(`${server.baseUrl}/healthz`);
    await fetch(`${server.baseUrl}/readyz`);
    await fetch(`${server.baseUrl}/no/such/route/${seed.accountId}`);
    await scrape(server);
    const text = await scrape(server);

    const histogram = 'login_service_http_request_duration_seconds_count';
    assert.ok((sample(text, histogram, { method: 'GET', route: '/api/account/:accountId/session', status_code: '401' }) ?? 0) >= 1);
    assert.equal(sample(text, histogram, { method: 'GET', route: 'unmatched', status_code: '404' }), 1);
    const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]));
    for (const quiet of ['/healthz', '/readyz', '/metrics']) assert.ok(!routes.has(quiet), `${quiet} is not in the histogram`);
    assert.ok(!text.includes(`/api/account/${seed.accountId}`), 'no raw URL (with an account id) in any label');
  });

  test('process metrics are exported too', async () => {
    const text = await scrape(server);
    assert.ok((sample(text, 'process_cpu_user_seconds_total') ?? -1) >= 0);
    assert.ok((sample(text, 'nodejs_heap_size_used_bytes') ?? 0) > 0);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  });
});

describe('metrics: registries and settings', () => {
  test('two apps in one process keep separate registries', async () => {
    const first = await startTestServer();
    const second = await startTestServer();
    try {
      const seed = await seedAccount(first);
      await seedAccount(second);
      assert.equal((await login(first, seed, human(seed))).status, 200);
      assert.equal(logins(await scrape(first), 'password', 'success'), 1);
      assert.equal(logins(await scrape(second), 'password', 'success'), 0);
    } finally {
      await first.close();
      await second.close();
    }
  });

  test('by default metrics have their own listener, port 9464 on 127.0.0.1', () => {
    const config = loadConfig({ HOST: '0.0.0.0' });
    assert.equal(config.metricsPort, 9464);
    assert.equal(config.metricsHost, '127.0.0.1');
    assert.equal(loadConfig({ METRICS_HOST: '0.0.0.0' }).metricsHost, '0.0.0.0');
    assert.throws(() => loadConfig({ PORT: '9464' }), /METRICS_PORT: must differ from the listening port/);
  });

  test('/metrics is not on the public port by default, nor with METRICS=false; METRICS_PORT=0 puts it there', async () => {
    const onPublicPort = await startTestServer({ env: { METRICS_PORT: '0' } });
    try {
      const res = await fetch(`${onPublicPort.baseUrl}/metrics`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /login_service_/);
    } finally {
      await onPublicPort.close();
    }
    for (const env of [{}, { METRICS: 'false' }, { METRICS_PORT: '9464' }] as Array<Record<string, string>>) {
      const server = await startTestServer({ env });
      try {
        const res = await fetch(`${server.baseUrl}/metrics`);
        assert.equal(res.status, 404, JSON.stringify(env));
        assert.equal((await res.json()).error.internalCode, 30);
      } finally {
        await server.close();
      }
    }
  });
});

describe('metrics: active sessions count', () => {
  const clock = new ManualClock();
  const audit = new AuditLog({ appendEvent: async () => {} } as unknown as EventStore, clock);

  function countingStore(count: () => Promise<number>) {
    const calls = { n: 0 };
    const sessions = { countLiveSessions: () => (calls.n++, count()) } as unknown as SessionStore;
    return { calls, metrics: new ServiceMetrics({ stores: { sessions, backend: 'test' }, clock, audit, defaultMetrics: false }) };
  }

  test('a slow count is reused rather than repeated, and concurrent scrapes share one count', async () => {
    const { calls, metrics } = countingStore(() => new Promise((resolve) => setTimeout(resolve, 30, 42)));
    const [a, b] = await Promise.all([metrics.activeSessions(), metrics.activeSessions()]);
    assert.deepEqual([a, b], [42, 42]);
    assert.equal(calls.n, 1);
    // 30 ms of counting buys about 3 s of reuse.
    assert.equal(await metrics.activeSessions(), 42);
    assert.equal(calls.n, 1);
  });

  test('a failing count keeps the scrape alive', async () => {
    const errors: unknown[] = [];
    const sessions = { countLiveSessions: async () => Promise.reject(new Error('store down')) } as unknown as SessionStore;
    const metrics = new ServiceMetrics({ stores: { sessions, backend: 'test' }, clock, audit, defaultMetrics: false, onCountError: (e) => errors.push(e) });
    assert.equal(await metrics.activeSessions(), null);
    assert.equal(errors.length, 1);
    assert.match(await metrics.render(), /login_service_logins_total/);
  });
});
