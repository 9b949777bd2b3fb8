import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { buildApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { auditTrail, bearerStatus, openSession, refresh, type OpenSession } from './support.js';
import type { FastifyInstance } from 'fastify';

interface Answer {
  status: number;
  body: string;
}

/** One request over a keep-alive agent; header values the client itself refuses never leave. */
function send(port: number, agent: Agent, method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<Answer | null> {
  return new Promise((resolve, reject) => {
    let req;
    try {
      req = request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      });
    } catch {
      return resolve(null);
    }
    req.on('error', reject);
    req.end(body);
  });
}

/** Raw bytes on a fresh connection; resolves with the status of the first response, or null when the server just closes. */
function sendRaw(port: number, bytes: Buffer): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      received += chunk;
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      if (m) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve(null) : reject(e)));
    socket.on('close', () => resolve(null));
    // Half-close after the bytes: a request that claims more body than it sends then ends at once instead of at the timeout.
    socket.end(bytes);
  });
}

/** Percent-encodes every byte outside the unreserved set; lone surrogates become U+FFFD like any UTF-8 encoder makes them. */
const pathEncode = (text: string) => [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('');

const nasty = fc.constantFrom(
  "' OR '1'='1",
  '"; DROP TABLE users; --',
  '\u0000',
  '%00',
  '../../../../etc/passwd',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '\uD800',
  '🔑'.repeat(300),
  'a'.repeat(5000),
  '__proto__',
  'constructor',
  '-1',
  '1e309',
  'NaN',
  '',
  ' ',
);
const anyText = fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 64 }), nasty);
const headerSafe = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const anyJsonish: fc.Arbitrary<unknown> = fc.oneof(anyText, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(anyText, { maxLength: 3 }), fc.dictionary(anyText, anyText, { maxKeys: 3 }));

describe('hostile input at volume', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let known: OpenSession;
  let agent: Agent;

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
    known = await openSession(server, seeded.accountId, seeded.human.loginName, seeded.human.password);
    agent = new Agent({ keepAlive: true, maxSockets: 8 });
  });
  after(async () => {
    agent.destroy();
    await server.close();
  });

  test('thousands of random and adversarial requests: never a 5xx, never a state change, the known session still works', async (t) => {
    const { accountId } = seeded;
    const now = () => server.clock.now();
    const stateBefore = {
      sessions: await server.stores.sessions.countLiveSessions(now()),
      users: (await server.stores.users.listUsers(accountId)).length,
      apiKeys: (await server.stores.apiKeys.listApiKeys(accountId)).filter((k) => k.revokedAt === null).length,
      logins: (await auditTrail(server, accountId, 'login_success')).length,
      passwordHash: (await server.stores.users.getUserById(accountId, seeded.human.user.userId))!.passwordHash,
    };

    const accountIds = fc.oneof(fc.constantFrom(accountId, '999999', '0', '00123456', '1'.repeat(25)), anyText.map(pathEncode));
    const knownPaths = ['login', 'refresh', 'logout', 'session', 'password', 'service/agentVep/baseURI.json', 'service/baseURI.json', 'service/x/baseURI.json'];
    const path = fc.oneof(
      fc.tuple(accountIds, fc.constantFrom(...knownPaths)).map(([a, p]) => `/api/account/${a}/${p}`),
      fc.constantFrom('/', '/healthz', '/readyz', '/openapi.json', '/api', '/api/account', '/api/account//login', '//api/account/123456/login'),
      fc.array(anyText, { minLength: 1, maxLength: 5 }).map((parts) => '/' + parts.map(pathEncode).join('/')),
    );
    const query = fc.oneof(
      fc.constant(''),
      fc.constantFrom('?v=1.3', '?v=1.4', '?v=', '?v=1.3&v=1.3', '?version=1.0', '?v[]=1.3', '?__proto__[x]=1'),
      fc.dictionary(anyText, anyText, { maxKeys: 4 }).map((d) => '?' + new URLSearchParams(d as Record<string, string>).toString()),
    );
    const credentialBody = fc
      .record(
        { username: anyJsonish, password: anyJsonish, appKey: anyJsonish, secret: anyJsonish, accessToken: anyJsonish, accessTokenSecret: anyJsonish, csrf: anyJsonish, oldPassword: anyJsonish, newPassword: anyJsonish },
        { requiredKeys: [] },
      )
      .map((o) => JSON.stringify(o));
    const body = fc.oneof(
      credentialBody,
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.constantFrom(
        '{"__proto__": {"isAdmin": true}, "username": "Agent.Smith", "password": "x"}',
        '{"constructor": {"prototype": {"polluted": true}}}',
        '['.repeat(10_000),
        '{"username": "' + 'a'.repeat(20_000) + '"}',
        '{"username": "Agent.Smith", "password": "x", "password": "y"}',
        'username=Agent.Smith&password=x&password=y',
        '',
        'null',
      ),
    );
    const cookie = fc.oneof(
      fc.constant(undefined),
      fc.constant(`Session_id=${known.sessionId}`),
      headerSafe.map((v) => `Session_id=${v}`),
      headerSafe,
    );
    const requestArb = fc.record({
      method: fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
      path,
      query,
      body: fc.option(body, { nil: undefined }),
      contentType: fc.option(fc.constantFrom('application/json', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'application/xml', '*/*', ';;;'), { nil: undefined }),
      cookie,
      authorization: fc.option(fc.oneof(headerSafe.map((v) => `Bearer ${v}`), headerSafe, fc.constant(`Bearer ${'f'.repeat(64)}`)), { nil: undefined }),
      forwardedFor: fc.option(headerSafe, { nil: undefined }),
      csrfHeader: fc.option(headerSafe, { nil: undefined }),
    });

    // Random per run; a failure prints its seed, and FUZZ_SEED replays it.
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
    let sent = 0;
    let reconnects = 0;
    const noKeepAlive = new Agent({ keepAlive: false });
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const headers: Record<string, string> = {};
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.cookie) headers.cookie = r.cookie;
        if (r.authorization) headers.authorization = r.authorization;
        if (r.forwardedFor) headers['x-forwarded-for'] = r.forwardedFor;
        if (r.csrfHeader) headers['x-csrf-token'] = r.csrfHeader;
        const body = r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body;
        let answer: Answer | null;
        try {
          answer = await send(server.port, agent, r.method, r.path + r.query, headers, body);
        } catch (error) {
          // A reused keep-alive connection can race with the server closing it after an error answer; a fresh one settles it.
          if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
          reconnects++;
          answer = await send(server.port, noKeepAlive, r.method, r.path + r.query, headers, body);
        }
        if (answer === null) return;
        sent++;
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        assert.ok(answer.status >= 200 && answer.status < 500, `${r.method} ${r.path}${r.query} → ${answer.status} ${answer.body.slice(0, 200)}`);
        if (answer.status >= 400 && r.method !== 'HEAD') {
          const parsed = JSON.parse(answer.body);
          assert.equal(typeof parsed.error?.internalCode, 'number', answer.body.slice(0, 200));
        }
      }),
      { numRuns: 2500, seed },
    );

    const rawRequest = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a)),
      fc
        .tuple(
          fc.constantFrom('GET', 'POST', 'PUT', 'BREW', 'G E T', '', 'POST\u0000'),
          fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 60 }), fc.constantFrom('/api/account/123456/login', '/%', '/%zz', '/..%2f..%2f', '*', 'http://evil/', '/\u0000')),
          fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9', ''),
          fc.array(fc.tuple(fc.string({ unit: 'binary-ascii', maxLength: 20 }), fc.string({ unit: 'binary-ascii', maxLength: 40 })), { maxLength: 5 }),
          fc.constantFrom('', 'Content-Length: 5\r\n', 'Content-Length: -1\r\n', 'Content-Length: 99999999999999999999\r\n', 'Transfer-Encoding: chunked\r\n', 'Content-Length: 3\r\nTransfer-Encoding: chunked\r\n', 'Content-Length: 1\r\nContent-Length: 2\r\n'),
          fc.string({ unit: 'binary', maxLength: 100 }),
        )
        .map(([m, p, v, hs, framing, b]) => Buffer.from(`${m} ${p} ${v}\r\nHost: x\r\n${hs.map(([k, val]) => `${k}: ${val}\r\n`).join('')}${framing}\r\n${b}`, 'latin1')),
    );
    await fc.assert(
      fc.asyncProperty(rawRequest, async (bytes) => {
        const status = await sendRaw(server.port, bytes);
        sent++;
        if (status !== null) {
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          assert.ok(status < 500, `raw ${JSON.stringify(bytes.toString('latin1').slice(0, 120))} → ${status}`);
        }
      }),
      { numRuns: 500, seed: seed + 1 },
    );
    t.diagnostic(`seed ${seed}: ${sent} requests (${reconnects} retried on a fresh connection); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);

    assert.ok(sent > 2500);
    assert.deepEqual(
      {
        sessions: await server.stores.sessions.countLiveSessions(now()),
        users: (await server.stores.users.listUsers(accountId)).length,
        apiKeys: (await server.stores.apiKeys.listApiKeys(accountId)).filter((k) => k.revokedAt === null).length,
        logins: (await auditTrail(server, accountId, 'login_success')).length,
        passwordHash: (await server.stores.users.getUserById(accountId, seeded.human.user.userId))!.passwordHash,
      },
      stateBefore,
    );
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined, 'no prototype pollution');
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
    assert.equal(await bearerStatus(server, accountId, known.bearer), 200);
    assert.equal((await refresh(server, accountId, known)).status, 200);
  });
});

describe('malformed HTTP', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  /** Everything the server sends before it closes the connection. */
  const exchange = (bytes: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1');
      let received = '';
      socket.setEncoding('latin1');
      socket.on('data', (c) => (received += c));
      socket.on('error', reject);
      socket.on('close', () => resolve(received));
      socket.write(bytes);
    });

  test('requests the HTTP parser rejects still get the API error shape, and the connection closes', async () => {
    const cases: Array<[string, number]> = [
      ['BR EW / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      // A body with no framing on a DELETE is read as the start of a next, malformed request.
      ['DELETE /x HTTP/1.1\r\nHost: x\r\n\r\n{}', 400],
      ['GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400],
      [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ];
    for (const [bytes, status] of cases) {
      const answer = await exchange(bytes);
      const last = answer.lastIndexOf('HTTP/1.1 ');
      const response = answer.slice(last);
      assert.match(response, new RegExp(`^HTTP/1\\.1 ${status} `), JSON.stringify(bytes.slice(0, 40)));
      const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
      assert.equal(body.error.internalCode, 1);
      assert.match(response, /cache-control: no-store/i);
    }
  });
});

describe('slow clients (slowloris)', () => {
  let app: FastifyInstance;
  let stores: Stores;
  let port: number;
  let seeded: SeededAccount;
  const sockets: Socket[] = [];

  before(async () => {
    const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent', SWEEP_INTERVAL_MS: '0', SERVER_TIME_ZONE: 'UTC' });
    stores = await openStores({ databaseUrl: config.databaseUrl });
    const built = await buildApp({
      config,
      stores,
      clock: new ManualClock(Date.UTC(2026, 5, 1, 12)),
      httpTimeouts: { headersTimeoutMs: 1000, requestTimeoutMs: 2000, checkIntervalMs: 100 },
    });
    app = built.app;
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
    seeded = await seedAccount({ stores, services: built.services });
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await app.close();
    await stores.close();
  });

  test('50 connections trickling headers or never finishing a body do not stop others being served, and are closed at the timeouts', async () => {
    interface Slow {
      socket: Socket;
      kind: string;
      closed: Promise<string>;
    }
    const slow: Slow[] = [];
    const timers: NodeJS.Timeout[] = [];
    const head = `POST /api/account/${seeded.accountId}/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n`;
    for (let i = 0; i < 50; i++) {
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      const kind = ['headers byte by byte', 'body never finished', 'nothing sent'][i % 3]!;
      let received = '';
      socket.setEncoding('latin1');
      socket.on('data', (c) => (received += c));
      socket.on('error', () => {});
      const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      if (kind === 'headers byte by byte') {
        let at = 0;
        const filler = head + 'X-Padding: ' + 'a'.repeat(10_000);
        timers.push(setInterval(() => socket.writable && socket.write(filler[at++ % filler.length]!), 50));
      } else if (kind === 'body never finished') {
        socket.write(`${head}Content-Length: 1000\r\n\r\n{"username": "a`);
        timers.push(setInterval(() => socket.writable && socket.write('a'), 200));
      }
      slow.push({ socket, kind, closed });
    }
    try {
      // Served while all 50 are open.
      const session = await openSession({ baseUrl: `http://127.0.0.1:${port}` }, seeded.accountId, seeded.human.loginName, seeded.human.password);
      assert.equal(await bearerStatus({ baseUrl: `http://127.0.0.1:${port}` }, seeded.accountId, session.bearer), 200);
      assert.ok(slow.every((s) => !s.socket.destroyed), 'the slow connections were still open while others were served');

      // Then the server closes every one of them, answering 408 to those that had started a request.
      // 8 s: four times the configured request timeout, and under the 10 s default header timeout, so only the configured values can pass.
      const deadline = new Promise<'deadline'>((resolve) => timers.push(setTimeout(() => resolve('deadline'), 8_000)));
      const outcome = await Promise.race([Promise.all(slow.map((s) => s.closed)), deadline]);
      assert.notEqual(outcome, 'deadline', 'slow connections were still open long after the timeouts');
      const answers = outcome as string[];
      for (const [i, s] of slow.entries()) {
        if (s.kind === 'nothing sent') continue;
        assert.match(answers[i]!, /^HTTP\/1\.1 408 /, s.kind);
        assert.match(answers[i]!, /"internalCode":1,"responseStatus":"REQUEST_TIMEOUT"/, 'in the error shape of the API');
      }
    } finally {
      for (const timer of timers) clearInterval(timer);
    }
    assert.equal(await bearerStatus({ baseUrl: `http://127.0.0.1:${port}` }, seeded.accountId, 'f'.repeat(64)), 401, 'still serving');
  });
});
