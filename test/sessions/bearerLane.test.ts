/**
 * The bearer check's fast lane (src/sessions/bearerLane.ts) against the route
 * it stands in for: every request is sent over a real socket, where the lane
 * sees it first, and again to the route alone (`app.inject` enters Fastify
 * directly). The answers must match, and a Fastify hook tells which of the two
 * answered on the socket.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ManualClock } from '../../src/clock.js';
import type { ServiceMetrics } from '../../src/ops/metrics.js';
import type { Stores } from '../../src/store/index.js';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';

const HOUR = 3600_000;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** True when Fastify's hooks ran for it, false when the lane answered alone. */
  viaRoute: boolean;
}

/** Headers that depend on the transport or the moment, not on the answer. */
const TRANSPORT_HEADERS = ['date', 'connection', 'keep-alive'];

describe('bearer check fast lane', () => {
  let server: TestServer;
  let app: FastifyInstance;
  let stores: Stores;
  let metrics: ServiceMetrics;
  let seeded: SeededAccount;
  let port: number;
  let bearer: string;
  let botBearer: string;
  let clock: ManualClock;
  const routeSaw = new Set<string>();

  before(async () => {
    server = await startTestServer({
      // Marks each request that reached Fastify; the lane's answers never do.
      beforeListen: (built) =>
        built.addHook('onRequest', (request, _reply, done) => {
          const mark = request.headers['x-test-mark'];
          if (typeof mark === 'string') routeSaw.add(mark);
          done();
        }),
    });
    ({ app, stores, port, clock } = server);
    metrics = server.ops.metrics!;
    seeded = await seedAccount(server);
    const base = `${server.baseUrl}/api/account/${seeded.accountId}`;
    bearer = (await postJson(`${base}/login?v=1.3`, { username: seeded.human.loginName, password: seeded.human.password })).json.bearer;
    const { key } = seeded.bot;
    botBearer = (await postJson(`${base}/login?v=1.3`, { username: seeded.bot.loginName, appKey: key.appKey, secret: key.secret, accessToken: key.accessToken, accessTokenSecret: key.accessTokenSecret })).json.bearer;
  });
  after(() => server.close());

  let marks = 0;
  /** Sends the request over the socket (lane first), then to the route alone; returns both answers. */
  async function both(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ socket: Answer; route: Answer }> {
    const mark = `m${++marks}`;
    const socket = await new Promise<Answer>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { ...headers, 'x-test-mark': mark }, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text, viaRoute: routeSaw.has(mark) }));
      });
      req.on('error', reject);
      req.end(body);
    });
    const injected = await app.inject({ method: method as 'GET', url: path, headers: { ...headers, 'x-test-mark': `${mark}-route` }, ...(body === undefined ? {} : { payload: body }) });
    const route = { status: injected.statusCode, headers: injected.headers as IncomingHttpHeaders, body: injected.body, viaRoute: true };
    return { socket, route };
  }

  /** The same answer, apart from transport headers and (unless one was sent) the generated request id. */
  function assertSameAnswer(a: Answer, b: Answer, requestIdSent: boolean): void {
    assert.equal(a.status, b.status);
    assert.equal(a.body, b.body);
    const strip = (h: IncomingHttpHeaders) =>
      Object.fromEntries(Object.entries(h).filter(([k]) => !TRANSPORT_HEADERS.includes(k) && (requestIdSent || k !== 'x-request-id')));
    assert.deepEqual(strip(a.headers), strip(b.headers));
    assert.match(String(a.headers['x-request-id']), /^[\w.:@/+=-]{1,128}$/);
  }

  const path = (account = seeded.accountId, rest = '') => `/api/account/${account}/session${rest}`;

  test('a live bearer is answered by the lane, with the route\'s status, body and headers', async () => {
    for (const token of [bearer, botBearer]) {
      const { socket, route } = await both('GET', path(), { authorization: `Bearer ${token}` });
      assert.equal(socket.viaRoute, false, 'the lane answered');
      assert.equal(socket.status, 200);
      assertSameAnswer(socket, route, false);
      assert.equal(JSON.parse(socket.body).accountId, seeded.accountId);
    }
    const bot = JSON.parse((await both('GET', path(), { authorization: `Bearer ${botBearer}` })).socket.body);
    assert.equal(bot.appKey, seeded.bot.key.appKey);
  });

  test('the lane takes a query string and any case of "Bearer", as the route does', async () => {
    for (const [rest, scheme] of [['?v=1.3', 'Bearer'], ['?anything=else', 'bearer'], ['', 'BEARER  ']] as const) {
      const { socket, route } = await both('GET', path(undefined, rest), { authorization: `${scheme} ${bearer}` });
      assert.equal(socket.viaRoute, false, `${rest} ${scheme}`);
      assertSameAnswer(socket, route, false);
    }
  });

  test('a sane X-Request-Id is echoed by the lane, an unsafe one replaced', async () => {
    const sane = await both('GET', path(), { authorization: `Bearer ${bearer}`, 'x-request-id': 'trace-42:abc' });
    assert.equal(sane.socket.viaRoute, false);
    assert.equal(sane.socket.headers['x-request-id'], 'trace-42:abc');
    assertSameAnswer(sane.socket, sane.route, true);
    const unsafe = await both('GET', path(), { authorization: `Bearer ${bearer}`, 'x-request-id': 'a b"c' });
    assert.equal(unsafe.socket.viaRoute, false);
    assert.notEqual(unsafe.socket.headers['x-request-id'], 'a b"c');
  });

  test('everything else is left to the route, which answers as it always has', async () => {
    const cases: Array<[string, string, Record<string, string>, string | undefined, number]> = [
      ['unknown bearer', path(), { authorization: `Bearer ${'0'.repeat(64)}` }, undefined, 401],
      ["another account's bearer", path('654321'), { authorization: `Bearer ${bearer}` }, undefined, 401],
      ['no Authorization', path(), {}, undefined, 401],
      ['not a bearer', path(), { authorization: `Basic ${bearer}` }, undefined, 401],
      ['a percent-encoded account id', path('%31%32%33%34%35%36'), { authorization: `Bearer ${bearer}` }, undefined, 200],
      ['an account id longer than the schema allows', path('1'.repeat(65)), { authorization: `Bearer ${bearer}` }, undefined, 400],
      ['a trailing slash', `${path()}/`, { authorization: `Bearer ${bearer}` }, undefined, 404],
      ['a body', path(), { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', 'content-length': '2' }, '{}', 200],
    ];
    for (const [name, url, headers, body, status] of cases) {
      const { socket, route } = await both('GET', url, headers, body);
      assert.equal(socket.viaRoute, true, `${name}: the route answered`);
      assert.equal(socket.status, status, name);
      assertSameAnswer(socket, route, false);
    }
    for (const method of ['HEAD', 'POST', 'DELETE']) {
      const { socket } = await both(method, path(), { authorization: `Bearer ${bearer}` });
      assert.equal(socket.viaRoute, true, method);
    }
  });

  test('an expired session is left to the route, which answers 401 in the documented shape', async () => {
    const base = `http://127.0.0.1:${port}/api/account/${seeded.accountId}`;
    const short = (await postJson(`${base}/login?v=1.3`, { username: seeded.human.loginName, password: seeded.human.password })).json.bearer;
    assert.equal((await both('GET', path(), { authorization: `Bearer ${short}` })).socket.viaRoute, false);
    clock.advance(9 * HOUR);
    try {
      const { socket, route } = await both('GET', path(), { authorization: `Bearer ${short}` });
      assert.equal(socket.viaRoute, true);
      assert.equal(socket.status, 401);
      assert.equal(JSON.parse(socket.body).error.internalCode, 23);
      assertSameAnswer(socket, route, false);
    } finally {
      clock.advance(-9 * HOUR);
    }
  });

  test("the lane's answers are counted in the route's metrics", async () => {
    const count = async () => {
      const text = await metrics.render();
      const success = Number(/login_service_bearer_checks_total\{result="success"\} (\d+)/.exec(text)![1]);
      let observed = 0;
      for (const line of text.split('\n')) {
        if (line.includes('route="/api/account/:accountId/session"') && line.includes('status_code="200"') && line.startsWith('login_service_http_request_duration_seconds_count')) {
          observed += Number(line.split(' ').pop());
        }
      }
      return { success, observed };
    };
    const before = await count();
    for (let i = 0; i < 3; i++) assert.equal((await both('GET', path(), { authorization: `Bearer ${bearer}` })).socket.viaRoute, false);
    const afterwards = await count();
    // Three by the lane on the socket, three by the route through inject.
    assert.equal(afterwards.success - before.success, 6);
    assert.equal(afterwards.observed - before.observed, 6);
  });

  test('a store error is left to the route, which reports it', async () => {
    const sessions = stores.sessions;
    const original = sessions.findSessionByBearer.bind(sessions);
    let calls = 0;
    sessions.findSessionByBearer = async () => {
      calls++;
      throw new Error('store down');
    };
    try {
      const { socket } = await both('GET', path(), { authorization: `Bearer ${bearer}` });
      assert.equal(socket.viaRoute, true);
      assert.ok(socket.status >= 500, `status ${socket.status}`);
      assert.equal(typeof JSON.parse(socket.body).error.message, 'string');
      assert.ok(calls >= 2, 'tried by the lane, then by the route');
    } finally {
      sessions.findSessionByBearer = original;
    }
    assert.equal((await both('GET', path(), { authorization: `Bearer ${bearer}` })).socket.status, 200);
  });
});

describe('bearer check fast lane while closing', () => {
  test('once the app starts closing, checks go to the route, which answers with Connection: close', async () => {
    let routeAnswered = 0;
    let whileClosing: Awaited<ReturnType<typeof check>> | undefined;
    const server = await startTestServer({
      beforeListen: (app) => {
        app.addHook('onRequest', (_request, _reply, done) => {
          routeAnswered++;
          done();
        });
        // Runs after the app's own preClose hook, while the server still accepts connections.
        app.addHook('preClose', async () => {
          whileClosing = await check();
        });
      },
    });
    let seeded: SeededAccount;
    let bearer: string;
    const check = (): Promise<{ status: number; connection: string | undefined; viaRoute: boolean }> => {
      const counted = routeAnswered;
      return new Promise((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port: server.port, path: `/api/account/${seeded.accountId}/session`, headers: { authorization: `Bearer ${bearer}` }, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, viaRoute: routeAnswered > counted }));
        })
          .on('error', reject)
          .end();
      });
    };
    try {
      seeded = await seedAccount(server);
      const base = `${server.baseUrl}/api/account/${seeded.accountId}`;
      bearer = (await postJson(`${base}/login?v=1.3`, { username: seeded.human.loginName, password: seeded.human.password })).json.bearer;
      assert.deepEqual(await check(), { status: 200, connection: 'close', viaRoute: false }, 'the lane answers while open');
    } finally {
      await server.close();
    }
    assert.deepEqual(whileClosing, { status: 200, connection: 'close', viaRoute: true }, 'the route answers once closing');
  });
});
