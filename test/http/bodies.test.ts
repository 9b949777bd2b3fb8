import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seedAccount, sessionCookie, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';

/** Every way a body reaches the parsers: JSON, JSON under another label or none, and forms. */
const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'text/plain; charset=utf-8', 'application/octet-stream', 'application/x-anything', null];

describe('request bodies', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let loginUrl: string;

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
    loginUrl = `${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`;
  });
  after(() => server.close());

  async function post(contentType: string | null, body: string) {
    const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
    // fetch labels a string body text/plain unless told otherwise; a Blob without a type sends no label.
    const res = await fetch(loginUrl, { method: 'POST', headers, body: contentType ? body : new Blob([body]) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, cookie: sessionCookie(res.headers) };
  }

  test('__proto__ and constructor.prototype are refused with 400 under every content type', async () => {
    const { loginName: username, password } = seeded.human;
    const poisoned = [
      `{"username":${JSON.stringify(username)},"password":${JSON.stringify(password)},"__proto__":{"isAdmin":true}}`,
      `{"username":${JSON.stringify(username)},"password":${JSON.stringify(password)},"constructor":{"prototype":{"isAdmin":true}}}`,
      `{"username":${JSON.stringify(username)},"password":${JSON.stringify(password)},"nested":{"__proto__":{"polluted":1}}}`,
    ];
    for (const type of JSON_TYPES) {
      for (const body of poisoned) {
        const res = await post(type, body);
        assert.equal(res.status, 400, `${type}: ${body}`);
        assert.equal(res.json.error.internalCode, 1);
        assert.equal(res.cookie, undefined);
      }
    }
    const form = `username=${encodeURIComponent(username)}&password=${encodeURIComponent(password)}&__proto__=x`;
    for (const type of ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8']) {
      const res = await post(type, form);
      assert.equal(res.status, 400, type);
      assert.equal(res.json.error.internalCode, 1);
      assert.match(res.json.error.message, /__proto__/);
      assert.equal(res.cookie, undefined);
    }
    assert.equal(({} as any).isAdmin, undefined);
    assert.equal(({} as any).polluted, undefined);
  });

  test('the same login without the poisoned key is accepted under every content type', async () => {
    const { loginName: username, password } = seeded.human;
    for (const type of JSON_TYPES) {
      const res = await post(type, JSON.stringify({ username, password }));
      assert.equal(res.status, 200, String(type));
      assert.ok(res.cookie);
    }
    const res = await post('application/x-www-form-urlencoded', new URLSearchParams({ username, password }).toString());
    assert.equal(res.status, 200);
  });

  test('invalid JSON under any label is 400 in the error shape', async () => {
    for (const type of JSON_TYPES) {
      const res = await post(type, '{"username":');
      assert.equal(res.status, 400, String(type));
      assert.equal(res.json.error.internalCode, 1);
    }
  });
});
