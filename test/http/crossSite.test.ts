import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.js';
import { seedAccount, sessionCookie, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { openSession } from '../security/support.js';

const EVIL = 'https://evil.example';
const CONSOLE = 'https://console.example';

async function send(url: string, init: RequestInit) {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json, headers: res.headers };
}

describe('cross-site requests', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let loginUrl: string;

  before(async () => {
    server = await startTestServer({ env: { ALLOWED_ORIGINS: `${CONSOLE}, http://localhost:5173` } });
    seeded = await seedAccount(server);
    loginUrl = `${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`;
  });
  after(() => server.close());

  const form = () => new URLSearchParams({ username: seeded.human.loginName, password: seeded.human.password }).toString();
  const json = () => JSON.stringify({ username: seeded.human.loginName, password: seeded.human.password });

  async function activeSessions(): Promise<number> {
    return server.stores.sessions.countLiveSessions(server.clock.now());
  }

  test('a cross-site form login is refused with 403 and opens no session', async () => {
    const victim = await openSession(server, seeded.accountId, seeded.human.loginName, seeded.human.password);
    const before = await activeSessions();
    const res = await send(loginUrl, {
      method: 'POST',
      headers: { origin: EVIL, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'content-type': 'application/x-www-form-urlencoded', cookie: `Session_id=${victim.sessionId}` },
      body: form(),
    });
    assert.equal(res.status, 403);
    assert.equal(res.json.error.internalCode, 11);
    assert.equal(res.json.error.responseStatus, 'FORBIDDEN');
    assert.equal(sessionCookie(res.headers), undefined);
    assert.ok(res.headers.get('x-request-id'));
    assert.equal(await activeSessions(), before);
  });

  test('JSON sent as text/plain from another origin is refused the same way', async () => {
    const before = await activeSessions();
    const res = await send(loginUrl, { method: 'POST', headers: { origin: EVIL, 'content-type': 'text/plain' }, body: json() });
    assert.equal(res.status, 403);
    assert.equal(res.json.error.internalCode, 11);
    assert.equal(sessionCookie(res.headers), undefined);
    assert.equal(await activeSessions(), before);
  });

  test('Sec-Fetch-Site: cross-site alone is enough to refuse; Origin: null is refused', async () => {
    const a = await send(loginUrl, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' }, body: json() });
    assert.equal(a.status, 403);
    const b = await send(loginUrl, { method: 'POST', headers: { origin: 'null', 'content-type': 'application/x-www-form-urlencoded' }, body: form() });
    assert.equal(b.status, 403);
  });

  test('every state-changing method is covered, including on routes that do not exist', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const res = await send(`${server.baseUrl}/api/some/future/route`, { method, headers: { origin: EVIL, 'sec-fetch-site': 'cross-site' } });
      assert.equal(res.status, 403, method);
    }
    // Reads are not state-changing: a cross-site GET reaches the router (and gets no CORS).
    const read = await send(`${server.baseUrl}/healthz`, { headers: { origin: EVIL, 'sec-fetch-site': 'cross-site' } });
    assert.equal(read.status, 200);
    assert.equal(read.headers.get('access-control-allow-origin'), null);
  });

  test('same-origin browser requests pass', async () => {
    const host = new URL(server.baseUrl).host;
    const cases: Record<string, string>[] = [
      { 'sec-fetch-site': 'same-origin', origin: `http://${host}` },
      { 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'none' },
      { origin: `http://${host}` },
      { origin: `https://${host}`, 'sec-fetch-site': 'same-origin' },
    ];
    for (const headers of cases) {
      const res = await send(loginUrl, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: json() });
      assert.equal(res.status, 200, JSON.stringify(headers));
      assert.ok(sessionCookie(res.headers));
    }
  });

  test('a same-site but different origin is refused unless listed', async () => {
    const res = await send(loginUrl, { method: 'POST', headers: { origin: 'http://other.127.0.0.1.nip.io', 'sec-fetch-site': 'same-site', 'content-type': 'application/json' }, body: json() });
    assert.equal(res.status, 403);
  });

  test('a client that is not a browser (no Origin, no Sec-Fetch-*) is unaffected, whatever the content type', async () => {
    for (const [type, body] of [['application/json', json()], ['text/plain', json()], ['application/x-www-form-urlencoded', form()]] as const) {
      const res = await send(loginUrl, { method: 'POST', headers: { 'content-type': type }, body });
      assert.equal(res.status, 200, type);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
    }
  });

  test('an allowed origin gets CORS with credentials, and a working preflight', async () => {
    const preflight = await fetch(loginUrl, {
      method: 'OPTIONS',
      headers: { origin: CONSOLE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' },
    });
    await preflight.arrayBuffer();
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), CONSOLE);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /content-type/i);
    assert.match(preflight.headers.get('vary') ?? '', /origin/i);

    const res = await send(loginUrl, { method: 'POST', headers: { origin: CONSOLE, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, body: json() });
    assert.equal(res.status, 200);
    assert.ok(sessionCookie(res.headers));
    assert.equal(res.headers.get('access-control-allow-origin'), CONSOLE);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /x-request-id/);
  });

  test('an origin that is not listed gets no CORS headers on its preflight', async () => {
    const preflight = await fetch(loginUrl, { method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'POST' } });
    await preflight.arrayBuffer();
    // Without Access-Control-Allow-Origin the browser sends nothing more.
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
  });
});

describe('cross-site requests without ALLOWED_ORIGINS', () => {
  test('no origin gets CORS, and a foreign origin is refused', async () => {
    const server = await startTestServer();
    try {
      const seeded = await seedAccount(server);
      const url = `${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`;
      const res = await send(url, { method: 'POST', headers: { origin: CONSOLE, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
      const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin: CONSOLE, 'access-control-request-method': 'POST' } });
      await preflight.arrayBuffer();
      assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    } finally {
      await server.close();
    }
  });
});

describe('ALLOWED_ORIGINS', () => {
  test('is read as a comma-separated list of origins, as browsers spell them', () => {
    assert.deepEqual(loadConfig({}).allowedOrigins, []);
    assert.deepEqual(loadConfig({ ALLOWED_ORIGINS: 'https://Console.Example:443/, http://localhost:5173' }).allowedOrigins, ['https://console.example', 'http://localhost:5173']);
    assert.deepEqual(loadConfig({}, { 'allowed-origins': 'https://a.example' }).allowedOrigins, ['https://a.example']);
  });

  test('refuses what is not an origin, naming the setting', () => {
    for (const bad of ['*', 'null', 'evil.example', 'https://a.example/path', 'https://a.example?x', 'ftp://a.example', 'https://user@a.example']) {
      assert.throws(() => loadConfig({ ALLOWED_ORIGINS: bad }), (e: Error) => e.name === 'ConfigError' && e.message.includes('ALLOWED_ORIGINS'), bad);
    }
  });
});
