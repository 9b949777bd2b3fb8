/**
 * The bearer check, `GET /api/account/{accountId}/session`, over a real socket:
 * an ordinary route, so the app's hooks apply to every answer it gives: the
 * response headers, the request id, the metrics, the error shape, and
 * `Connection: close` once the app is closing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { ManualClock } from '../../src/clock.js';
import type { ServiceMetrics } from '../../src/ops/metrics.js';
import type { Stores } from '../../src/store/index.js';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';

const HOUR = 3600_000;
const ERROR_TIME = /^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M$/;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

/** The headers every answer of the app carries (app.ts, responseHeaders). */
function assertAppHeaders(answer: Answer): void {
  assert.equal(answer.headers['cache-control'], 'no-store');
  assert.equal(answer.headers['x-content-type-options'], 'nosniff');
  assert.equal(answer.headers['x-frame-options'], 'DENY');
  assert.equal(answer.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
  assert.equal(answer.headers['referrer-policy'], 'no-referrer');
  assert.match(String(answer.headers['content-type']), /^application\/json; charset=utf-8$/);
  assert.match(String(answer.headers['x-request-id']), /^[\w.:@/+=-]{1,128}$/);
}

function assertErrorShape(answer: Answer, status: number, internalCode: number, responseStatus: string): void {
  assert.equal(answer.status, status);
  const { error } = JSON.parse(answer.body);
  assert.equal(error.internalCode, internalCode);
  assert.equal(error.responseStatus, responseStatus);
  assert.equal(typeof error.message, 'string');
  assert.match(error.time, ERROR_TIME);
  assertAppHeaders(answer);
}

describe('bearer check through the router', () => {
  let server: TestServer;
  let stores: Stores;
  let metrics: ServiceMetrics;
  let seeded: SeededAccount;
  let clock: ManualClock;
  let bearer: string;
  let botBearer: string;
  const path = (account = seeded.accountId, rest = '') => `/api/account/${account}/session${rest}`;
  const check = (headers: Record<string, string>, url = path()) => get(server.port, url, headers);

  before(async () => {
    server = await startTestServer();
    ({ stores, clock } = server);
    metrics = server.ops.metrics!;
    seeded = await seedAccount(server);
    const base = `${server.baseUrl}/api/account/${seeded.accountId}`;
    bearer = (await postJson(`${base}/login?v=1.3`, { username: seeded.human.loginName, password: seeded.human.password })).json.bearer;
    const { key } = seeded.bot;
    botBearer = (await postJson(`${base}/login?v=1.3`, { username: seeded.bot.loginName, appKey: key.appKey, secret: key.secret, accessToken: key.accessToken, accessTokenSecret: key.accessTokenSecret })).json.bearer;
  });
  after(() => server.close());

  test('a live bearer: 200 with the session, and the app\'s headers', async () => {
    const human = await check({ authorization: `Bearer ${bearer}` });
    assert.equal(human.status, 200);
    assertAppHeaders(human);
    const body = JSON.parse(human.body);
    assert.equal(body.accountId, seeded.accountId);
    assert.equal(body.userId, seeded.human.user.userId);
    assert.equal(body.loginName, seeded.human.loginName);
    assert.equal(body.appKey, null);
    const bot = await check({ authorization: `Bearer ${botBearer}` });
    assert.equal(bot.status, 200);
    assert.equal(JSON.parse(bot.body).appKey, seeded.bot.key.appKey);
  });

  test('any case of "Bearer" and a query string are accepted', async () => {
    for (const [rest, scheme] of [['?v=1.3', 'Bearer'], ['?anything=else', 'bearer'], ['', 'BEARER  ']] as const) {
      assert.equal((await check({ authorization: `${scheme} ${bearer}` }, path(undefined, rest))).status, 200, `${scheme}${rest}`);
    }
  });

  test('a sane X-Request-Id is echoed, an unsafe one replaced', async () => {
    const sane = await check({ authorization: `Bearer ${bearer}`, 'x-request-id': 'trace-42:abc' });
    assert.equal(sane.headers['x-request-id'], 'trace-42:abc');
    const unsafe = await check({ authorization: `Bearer ${bearer}`, 'x-request-id': 'a b"c' });
    assert.equal(unsafe.status, 200);
    assert.notEqual(unsafe.headers['x-request-id'], 'a b"c');
    assertAppHeaders(unsafe);
    const failed = await check({ 'x-request-id': 'trace-43' });
    assert.equal(failed.status, 401);
    assert.equal(failed.headers['x-request-id'], 'trace-43', 'errors carry the request id too');
  });

  test('refusals are 401 (internal code 23) or 400, in the documented error shape', async () => {
    const unauthorized: Array<[string, Record<string, string>, string?]> = [
      ['unknown bearer', { authorization: `Bearer ${'0'.repeat(64)}` }],
      ["another account's bearer", { authorization: `Bearer ${bearer}` }, path('654321')],
      ['no Authorization', {}],
      ['not a bearer', { authorization: `Basic ${bearer}` }],
    ];
    for (const [name, headers, url] of unauthorized) {
      const answer = await check(headers, url);
      assert.equal(answer.status, 401, name);
      assertErrorShape(answer, 401, 23, 'UNAUTHORIZED');
    }
    assertErrorShape(await check({ authorization: `Bearer ${bearer}` }, path('1'.repeat(65))), 400, 1, 'BAD_REQUEST');
    // A percent-encoded account id is the same account.
    assert.equal((await check({ authorization: `Bearer ${bearer}` }, path('%31%32%33%34%35%36'))).status, 200);
  });

  test('an expired session: 401 in the documented shape', async () => {
    const base = `${server.baseUrl}/api/account/${seeded.accountId}`;
    const short = (await postJson(`${base}/login?v=1.3`, { username: seeded.human.loginName, password: seeded.human.password })).json.bearer;
    assert.equal((await check({ authorization: `Bearer ${short}` })).status, 200);
    clock.advance(9 * HOUR);
    try {
      assertErrorShape(await check({ authorization: `Bearer ${short}` }), 401, 23, 'UNAUTHORIZED');
    } finally {
      clock.advance(-9 * HOUR);
    }
  });

  test('every answer is counted by result and observed in the latency histogram', async () => {
    const count = async () => {
      const text = await metrics.render();
      const result = (name: string) => Number(new RegExp(`login_service_bearer_checks_total\\{result="${name}"\\} (\\d+)`).exec(text)![1]);
      const observed = (status: number) =>
        text
          .split('\n')
          .filter((line) => line.startsWith('login_service_http_request_duration_seconds_count') && line.includes('route="/api/account/:accountId/session"') && line.includes(`status_code="${status}"`))
          .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
      return { success: result('success'), invalid: result('invalid'), ok: observed(200), refused: observed(401) };
    };
    const before = await count();
    for (let i = 0; i < 3; i++) assert.equal((await check({ authorization: `Bearer ${bearer}` })).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await check({ authorization: `Bearer ${'f'.repeat(64)}` })).status, 401);
    const afterwards = await count();
    assert.deepEqual(
      { success: afterwards.success - before.success, invalid: afterwards.invalid - before.invalid, ok: afterwards.ok - before.ok, refused: afterwards.refused - before.refused },
      { success: 3, invalid: 2, ok: 3, refused: 2 },
    );
  });

  test('an unknown bearer reads the store once', async () => {
    const sessions = stores.sessions;
    const original = sessions.findSessionByBearer.bind(sessions);
    let calls = 0;
    sessions.findSessionByBearer = async (digest) => {
      calls++;
      return original(digest);
    };
    try {
      assert.equal((await check({ authorization: `Bearer ${'e'.repeat(64)}` })).status, 401);
      assert.equal(calls, 1);
    } finally {
      sessions.findSessionByBearer = original;
    }
  });

  test('a store error is a 500 in the documented shape, and the next check succeeds', async () => {
    const sessions = stores.sessions;
    const original = sessions.findSessionByBearer.bind(sessions);
    sessions.findSessionByBearer = async () => {
      throw new Error('store down');
    };
    try {
      assertErrorShape(await check({ authorization: `Bearer ${bearer}` }), 500, 50, 'INTERNAL_SERVER_ERROR');
    } finally {
      sessions.findSessionByBearer = original;
    }
    assert.equal((await check({ authorization: `Bearer ${bearer}` })).status, 200);
  });
});

describe('bearer check while closing', () => {
  test('once the app starts closing, checks are still answered, with Connection: close', async () => {
    let whileClosing: Answer | undefined;
    let seeded: SeededAccount;
    let bearer: string;
    const server = await startTestServer({
      beforeListen: (app) =>
        // Runs while the server still accepts connections.
        app.addHook('preClose', async () => {
          whileClosing = await get(server.port, `/api/account/${seeded.accountId}/session`, { authorization: `Bearer ${bearer}` });
        }),
    });
    try {
      seeded = await seedAccount(server);
      const base = `${server.baseUrl}/api/account/${seeded.accountId}`;
      bearer = (await postJson(`${base}/login?v=1.3`, { username: seeded.human.loginName, password: seeded.human.password })).json.bearer;
      const open = await get(server.port, `/api/account/${seeded.accountId}/session`, { authorization: `Bearer ${bearer}` });
      assert.equal(open.status, 200);
    } finally {
      await server.close();
    }
    assert.equal(whileClosing?.status, 200);
    assert.equal(whileClosing?.headers.connection, 'close');
    assert.equal(JSON.parse(whileClosing!.body).userId, seeded!.human.user.userId);
    assertAppHeaders(whileClosing!);
  });
});
