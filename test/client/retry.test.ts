import { once } from './events.js';
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { LoginServiceClient, LoginServiceError, type RetryNotice } from '@login-service/client';
import { drivenTimers, type DrivenTimers } from './fakeTimers.js';
import { startScriptedServer, type ScriptedServer } from './scriptedServer.js';

const S = 1000;
const MIN = 60_000;
const credentials = { username: 'bot-1', appKey: 'k', secret: 's', accessToken: 't', accessTokenSecret: 'ts' };

describe('retry policy of the original documentation', () => {
  let server: ScriptedServer;
  let driven: DrivenTimers;
  let client: LoginServiceClient;

  before(async () => {
    server = await startScriptedServer();
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
    for (const route of Object.keys(server.script) as Array<keyof typeof server.script>) delete server.script[route];
    Object.assign(server.otherwise, { login: 200, refresh: 200, logout: 200 });
    driven = drivenTimers();
    client = new LoginServiceClient({ accountId: '123456', domain: server.host, protocol: 'http', timers: driven.timers });
  });

  const drive = <T>(done: Promise<T>) => driven.drive(done);

  test('5xx on login: retried after 5, 10 and 15 seconds, then succeeds', async () => {
    server.script.login = [500, 502, 503];
    const notices: RetryNotice[] = [];
    client.on('retrying', (n) => notices.push(n));
    const response = await drive(client.login(credentials));
    assert.equal(response.bearer, client.bearer);
    assert.deepEqual(driven.scheduled, [5 * S, 10 * S, 15 * S]);
    assert.equal(server.count('login'), 4);
    assert.deepEqual(notices.map((n) => [n.attempt, n.delayMs, n.error.status]), [[1, 5 * S, 500], [2, 10 * S, 502], [3, 15 * S, 503]]);
  });

  test('5xx four times: gives up after the third retry with a retryable error', async () => {
    server.script.login = [500, 500, 500, 500];
    await assert.rejects(drive(client.login(credentials)), (e: unknown) => {
      assert.ok(e instanceof LoginServiceError);
      assert.equal(e.status, 500);
      assert.equal(e.internalCode, 50);
      assert.equal(e.retryable, true);
      return true;
    });
    assert.deepEqual(driven.scheduled, [5 * S, 10 * S, 15 * S]);
    assert.equal(server.count('login'), 4);
  });

  test('network errors are retried like 5xx', async () => {
    server.script.login = ['drop', 'drop'];
    await drive(client.login(credentials));
    assert.deepEqual(driven.scheduled, [5 * S, 10 * S]);
    assert.equal(server.count('login'), 3);
  });

  test('an unreachable service gives a retryable error with no status', async () => {
    const down = new LoginServiceClient({ accountId: '123456', domain: '127.0.0.1:1', protocol: 'http', timers: driven.timers, retry: { retryDelaysMs: [] } });
    await assert.rejects(down.login(credentials), (e: LoginServiceError) => e.status === null && e.retryable && e.internalCode === null);
  });

  for (const status of [400, 401, 403, 429]) {
    test(`no retry on ${status}`, async () => {
      server.script.login = [{ status, body: { error: { time: 'x', message: 'refused', internalCode: 20, responseStatus: 'X' } }, headers: status === 429 ? { 'retry-after': '30' } : {} }];
      await assert.rejects(client.login(credentials), (e: LoginServiceError) => {
        assert.equal(e.status, status);
        assert.equal(e.internalCode, 20);
        assert.equal(e.retryable, false);
        if (status === 429) assert.equal(e.retryAfterMs, 30 * S);
        return true;
      });
      assert.equal(server.count('login'), 1);
      assert.deepEqual(driven.scheduled, []);
    });
  }

  test('refresh is retried on 5xx and sends the cookie and csrf', async () => {
    await client.login(credentials);
    server.script.refresh = [500];
    await drive(client.refresh());
    assert.deepEqual(driven.scheduled, [5 * S]);
    const refreshes = server.requests.filter((r) => r.route === 'refresh');
    assert.equal(refreshes.length, 2);
    for (const r of refreshes) {
      assert.equal(r.url, '/api/account/123456/refresh?v=1.3');
      assert.equal(r.headers.cookie, `Session_id=${client.sessionId}`);
      assert.deepEqual(JSON.parse(r.body), { csrf: client.csrf });
    }
  });

  test('keep-alive through a long outage: refresh retries, then re-login backing off 2, 4, 8 … minutes up to 32', async () => {
    await client.login(credentials);
    const firstBearer = client.bearer;
    server.otherwise.refresh = 500;
    server.script.login = [500, 500, 500, 500, 500, 500];
    const relogin = once(client, 'relogin');
    client.startKeepAlive();
    await drive(relogin);
    assert.equal(await driven.waitForPause(), 5 * MIN, 'the keep-alive goes on with the new session');
    assert.deepEqual(driven.scheduled, [5 * MIN, 5 * S, 10 * S, 15 * S, 2 * MIN, 4 * MIN, 8 * MIN, 16 * MIN, 32 * MIN, 32 * MIN, 32 * MIN, 5 * MIN]);
    assert.deepEqual(
      server.requests.map((r) => r.route),
      ['login', 'refresh', 'refresh', 'refresh', 'refresh', 'login', 'login', 'login', 'login', 'login', 'login', 'login'],
    );
    assert.notEqual(client.bearer, firstBearer);
    client.stopKeepAlive();
  });

  test('keep-alive after sessionExpired: logs in at once, then the same retries and backoff', async () => {
    await client.login(credentials);
    server.script.refresh = [401];
    server.script.login = [500, 500, 500, 500, 500];
    const expired = once(client, 'sessionExpired');
    const relogin = once(client, 'relogin');
    client.startKeepAlive();
    await drive(relogin);
    await expired;
    await driven.waitForPause();
    assert.deepEqual(driven.scheduled, [5 * MIN, 5 * S, 10 * S, 15 * S, 2 * MIN, 4 * MIN, 5 * MIN]);
    assert.deepEqual(server.requests.map((r) => r.route), ['login', 'refresh', 'login', 'login', 'login', 'login', 'login', 'login']);
    client.stopKeepAlive();
  });

  test('every delay is configurable, and the backoff stops at its cap', async () => {
    client = new LoginServiceClient({
      accountId: '123456',
      domain: server.host,
      protocol: 'http',
      timers: driven.timers,
      keepAliveIntervalMs: 1000,
      retry: { retryDelaysMs: [1, 2], reloginInitialDelayMs: 10, reloginMaxDelayMs: 40 },
    });
    await client.login(credentials);
    server.otherwise.refresh = 500;
    server.script.login = [500, 500, 500, 500];
    const relogin = once(client, 'relogin');
    client.startKeepAlive();
    await drive(relogin);
    await driven.waitForPause();
    assert.deepEqual(driven.scheduled, [1000, 1, 2, 10, 20, 40, 40, 40, 1000]);
    client.stopKeepAlive();
  });

  test('stopKeepAlive during the backoff cancels the pause and makes no more calls', async () => {
    await client.login(credentials);
    server.otherwise.refresh = 500;
    server.otherwise.login = 500;
    client.startKeepAlive();
    // The interval and the three refresh retries; the pause after them is the first of the backoff.
    for (let i = 0; i < 4; i++) await driven.runNext();
    assert.equal(await driven.waitForPause(), 2 * MIN);
    client.stopKeepAlive();
    assert.equal(driven.pending(), 0);
    const calls = server.requests.length;
    await new Promise((r) => setImmediate(r));
    assert.equal(server.requests.length, calls);
    assert.equal(client.keepAliveRunning, false);
  });
});
