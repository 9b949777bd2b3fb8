import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cookieFrom, firstStartPassword, freePort, freshRequest, logLines, sample, startCommand, type CommandProcess } from './support.js';

/**
 * `serve --workers 2` on one SQLite file. Every request goes on a fresh
 * connection, which the cluster primary hands to the workers in turn; the
 * debug access lines (request id + pid) tell which worker answered what.
 */
// A bound so that a hung child process fails the suite instead of holding the run.
describe('serve --workers 2 (SQLite)', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'login-service-workers-'));
  let server: CommandProcess;
  let base: string;
  let metricsUrl: string;
  let password: string;

  const listeningWorkers = () => logLines(server.stdout()).filter((l) => l.msg === 'login-service listening');
  /** pid of the worker that answered each request id, waiting until all of them are logged. */
  async function answeredBy(ids: string[]): Promise<Map<string, number>> {
    for (let attempt = 0; ; attempt++) {
      const pids = new Map<string, number>();
      for (const line of logLines(server.stdout())) if (line.msg === 'request completed' && ids.includes(line.reqId)) pids.set(line.reqId, line.pid);
      if (pids.size === ids.length || attempt === 100) return pids;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  before(async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    base = `http://127.0.0.1:${port}/api/account/123456`;
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    server = startCommand(['serve', '--workers', '2', '--db', `sqlite:${join(dir, 'store.db')}`, '--port', String(port), '--metrics-port', String(metricsPort)], {
      LOG_LEVEL: 'debug',
      SWEEP_INTERVAL_MS: '0',
    });
    await server.waitForOutput(/"msg":"login-service listening"[^\n]*\n[^]*"msg":"login-service listening"/);
    password = firstStartPassword(server.stdout());
  });
  after(() => {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  interface Session {
    cookie: string;
    csrf: string;
    bearer: string;
  }
  const sessions: Session[] = [];

  test('logins spread over both workers, and each session works whichever worker answers', async () => {
    const workers = listeningWorkers();
    assert.deepEqual(workers.map((w) => w.worker).sort(), ['0', '1']);
    for (let i = 0; i < 6; i++) {
      const res = await freshRequest(`${base}/login?v=1.3`, { body: { username: 'admin', password }, headers: { 'x-request-id': `login-${i}` } });
      assert.equal(res.status, 200);
      sessions.push({ cookie: cookieFrom(res.headers)!, csrf: res.json.csrf, bearer: res.json.bearer });
    }
    for (const [i, s] of sessions.entries()) {
      const refresh = await freshRequest(`${base}/refresh`, { body: { csrf: s.csrf }, headers: { cookie: s.cookie, 'x-request-id': `refresh-${i}` } });
      assert.equal(refresh.status, 200);
      const check = await freshRequest(`${base}/session`, { headers: { authorization: `Bearer ${s.bearer}`, 'x-request-id': `check-${i}` } });
      assert.equal(check.status, 200);
      assert.equal(check.json.loginName, 'admin');
    }

    const ids = sessions.flatMap((_, i) => [`login-${i}`, `refresh-${i}`, `check-${i}`]);
    const pids = await answeredBy(ids);
    assert.equal(pids.size, ids.length, 'every request has its access line');
    const workerPids = new Set(workers.map((w) => w.pid));
    assert.deepEqual(new Set(sessions.map((_, i) => pids.get(`login-${i}`))), workerPids, 'logins were answered by both workers');
    const crossed = sessions.filter((_, i) => pids.get(`refresh-${i}`) !== pids.get(`login-${i}`) || pids.get(`check-${i}`) !== pids.get(`login-${i}`));
    assert.ok(crossed.length > 0, 'some sessions were used on the other worker than the one that created them');
  });

  test('a logout on one worker is honoured by all, at once', async () => {
    const ended = sessions[0]!;
    const logout = await freshRequest(`${base}/logout`, { body: { csrf: ended.csrf }, headers: { cookie: ended.cookie, 'x-request-id': 'logout-0' } });
    assert.equal(logout.status, 200);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(`after-check-${i}`, `after-refresh-${i}`);
      const check = await freshRequest(`${base}/session`, { headers: { authorization: `Bearer ${ended.bearer}`, 'x-request-id': `after-check-${i}` } });
      assert.equal(check.status, 401);
      const refresh = await freshRequest(`${base}/refresh`, { body: { csrf: ended.csrf }, headers: { cookie: ended.cookie, 'x-request-id': `after-refresh-${i}` } });
      assert.equal(refresh.status, 401);
    }
    const pids = await answeredBy(ids);
    assert.equal(new Set(pids.values()).size, 2, 'both workers refused the ended session');
    // The other sessions are untouched.
    const other = sessions[1]!;
    assert.equal((await freshRequest(`${base}/session`, { headers: { authorization: `Bearer ${other.bearer}` } })).status, 200);
  });

  test('the metrics port sums the workers; the store-wide session count is not multiplied', async () => {
    const scrape = await freshRequest(metricsUrl);
    assert.equal(scrape.status, 200);
    assert.equal(sample(scrape.text, 'login_service_logins_total', { method: 'password', result: 'success' }), 6);
    assert.equal(sample(scrape.text, 'login_service_refreshes_total', { result: 'success' }), 6);
    assert.equal(sample(scrape.text, 'login_service_refreshes_total', { result: 'session_invalid' }), 4);
    assert.equal(sample(scrape.text, 'login_service_logouts_total', { result: 'success' }), 1);
    assert.equal(sample(scrape.text, 'login_service_bearer_checks_total', { result: 'success' }), 7);
    assert.equal(sample(scrape.text, 'login_service_bearer_checks_total', { result: 'invalid' }), 4);
    assert.equal(sample(scrape.text, 'login_service_sessions_active'), 5);
    const latency = { method: 'POST', route: '/api/account/:accountId/login', status_code: '200' };
    assert.equal(sample(scrape.text, 'login_service_http_request_duration_seconds_count', latency), 6);
    assert.equal(sample(scrape.text, 'login_service_http_request_duration_seconds_bucket', { ...latency, le: '+Inf' }), 6);
    // Workers do not serve metrics on the public port when a metrics port is set.
    assert.equal((await freshRequest(`${base.replace(/\/api\/.*/, '')}/metrics`)).status, 404);
  });

  test('a worker that dies is replaced, with the same index', async () => {
    const victim = listeningWorkers().find((w) => w.worker === '1')!;
    process.kill(victim.pid, 'SIGKILL');
    await server.waitForOutput(/"msg":"worker exited; starting another"/);
    for (let attempt = 0; attempt < 200 && listeningWorkers().length < 3; attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
    const replacement = listeningWorkers()[2];
    assert.ok(replacement, 'a third worker started');
    assert.equal(replacement.worker, '1');
    assert.notEqual(replacement.pid, victim.pid);
    const s = sessions[2]!;
    for (let i = 0; i < 4; i++) assert.equal((await freshRequest(`${base}/session`, { headers: { authorization: `Bearer ${s.bearer}` } })).status, 200);
  });

  test('SIGTERM stops the primary and every worker cleanly', async () => {
    const live = listeningWorkers().filter((w) => {
      try {
        process.kill(w.pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    assert.equal(live.length, 2);
    server.child.kill('SIGTERM');
    const { code, signal } = await server.exited;
    assert.equal(signal, null);
    assert.equal(code, 0, server.stderr());
    for (const w of live) assert.throws(() => process.kill(w.pid, 0), { code: 'ESRCH' }, `worker ${w.pid} is gone`);
    const stopped = logLines(server.stdout()).filter((l) => l.msg === 'login-service stopped');
    assert.equal(stopped.filter((l) => l.inTime === true).length, 2, 'both workers finished in time');
    assert.ok(stopped.some((l) => l.graceful === true), 'the primary saw every worker exit 0');
  });
});
