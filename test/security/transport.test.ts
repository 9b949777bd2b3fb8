import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function httpsCall(url: string, ca: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpsRequest(url, { method, ca, headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const cookieAttributes = (setCookie: string) => setCookie.split(';').slice(1).map((a) => a.trim().toLowerCase());

describe('native HTTPS', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let dir: string;
  let ca: string;

  before(async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] }],
    } as Parameters<typeof generate>[1]);
    dir = mkdtempSync(join(tmpdir(), 'login-service-tls-'));
    writeFileSync(join(dir, 'cert.pem'), pems.cert);
    writeFileSync(join(dir, 'key.pem'), pems.private, { mode: 0o600 });
    ca = pems.cert;
    server = await startTestServer({ env: { TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem') } });
    seeded = await seedAccount(server);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('serves HTTPS with a Secure session cookie and Strict-Transport-Security', async () => {
    assert.match(server.baseUrl, /^https:/);
    const login = await httpsCall(`${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`, ca, 'POST', {
      username: seeded.human.loginName,
      password: seeded.human.password,
    });
    assert.equal(login.status, 200);
    const setCookie = (login.headers['set-cookie'] as string[]).find((c) => c.startsWith('Session_id='))!;
    assert.ok(cookieAttributes(setCookie).includes('secure'), setCookie);
    assert.ok(cookieAttributes(setCookie).includes('httponly'));
    assert.ok(cookieAttributes(setCookie).includes('samesite=lax'));
    assert.equal(login.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    assert.equal(login.headers['cache-control'], 'no-store');

    const { csrf, sessionId, bearer } = JSON.parse(login.body);
    // The bearer check over TLS carries the same headers.
    const checked = await httpsCall(`${server.baseUrl}/api/account/${seeded.accountId}/session`, ca, 'GET', undefined, { authorization: `Bearer ${bearer}` });
    assert.equal(checked.status, 200);
    assert.equal(JSON.parse(checked.body).userId, seeded.human.user.userId);
    assert.equal(checked.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    assert.equal(checked.headers['cache-control'], 'no-store');
    const logout = await httpsCall(`${server.baseUrl}/api/account/${seeded.accountId}/logout`, ca, 'POST', { csrf }, { cookie: `Session_id=${sessionId}` });
    assert.equal(logout.status, 200);
    const cleared = (logout.headers['set-cookie'] as string[]).find((c) => c.startsWith('Session_id='))!;
    assert.ok(cookieAttributes(cleared).includes('secure'), 'the clearing cookie matches the one it clears');
    const failed = await httpsCall(`${server.baseUrl}/api/account/${seeded.accountId}/session`, ca, 'GET');
    assert.equal(failed.status, 401);
    assert.equal(failed.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', 'errors carry HSTS too');
  });

  test('refuses a client that does not trust the certificate (no silent downgrade in the client)', async () => {
    await assert.rejects(httpsCall(`${server.baseUrl}/healthz`, '', 'GET'), /self[- ]signed|unable to verify|certificate/i);
  });
});

describe('security headers over plain HTTP', () => {
  let server: TestServer;
  let seeded: SeededAccount;

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
  });
  after(() => server.close());

  test('no Secure cookie and no Strict-Transport-Security without TLS', async () => {
    const login = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login`, { username: seeded.human.loginName, password: seeded.human.password });
    assert.equal(login.status, 200);
    const setCookie = login.headers.getSetCookie().find((c) => c.startsWith('Session_id='))!;
    assert.ok(!cookieAttributes(setCookie).includes('secure'));
    assert.equal(login.headers.get('strict-transport-security'), null);
  });

  test('every kind of response is no-store, nosniff, unframeable, with a locked-down CSP and no referrer', async () => {
    const base = `${server.baseUrl}/api/account/${seeded.accountId}`;
    const login = await postJson(`${base}/login`, { username: seeded.human.loginName, password: seeded.human.password });
    const cookie = `Session_id=${login.json.sessionId}`;
    const responses: Array<[string, Response | { status: number; headers: Headers }]> = [
      ['login 200', login],
      ['login 401', await postJson(`${base}/login`, { username: 'nobody', password: 'nothing much' })],
      ['login 400', await postJson(`${base}/login`, '{"username": ')],
      ['refresh 200', await postJson(`${base}/refresh`, { csrf: login.json.csrf }, { cookie })],
      ['bearer check 200', await fetch(`${base}/session`, { headers: { authorization: `Bearer ${login.json.bearer}` } })],
      ['domain API', await fetch(`${base}/service/agentVep/baseURI.json?version=1.0`)],
      ['404', await fetch(`${server.baseUrl}/no/such/thing`)],
      ['health', await fetch(`${server.baseUrl}/healthz`)],
      ['logout 200', await postJson(`${base}/logout`, { csrf: login.json.csrf }, { cookie })],
    ];
    for (const [name, res] of responses) {
      const h = res.headers;
      assert.equal(h.get('cache-control'), 'no-store', name);
      assert.equal(h.get('x-content-type-options'), 'nosniff', name);
      assert.match(h.get('x-frame-options') ?? '', /^(DENY|SAMEORIGIN)$/, name);
      assert.match(h.get('content-security-policy') ?? '', /default-src 'none'/, name);
      assert.match(h.get('content-security-policy') ?? '', /frame-ancestors 'none'/, name);
      assert.equal(h.get('referrer-policy'), 'no-referrer', name);
      assert.equal(h.get('x-powered-by'), null, name);
      if (res instanceof Response) await res.arrayBuffer().catch(() => {});
    }
  });
});
