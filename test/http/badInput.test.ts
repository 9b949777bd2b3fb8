import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';

/** Sends raw bytes with whatever content type, over the socket, and reads status and body. */
function rawPost(server: TestServer, path: string, body: string | Buffer, contentType?: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: server.port, path, method: 'POST', headers: contentType ? { 'content-type': contentType } : {} },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('Bad input gets a 4xx in the error shape and changes nothing', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let loginUrl: string;

  const sessionCount = () => server.stores.sessions.countLiveSessions(server.clock.now());

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
    loginUrl = `${server.baseUrl}/api/account/123456/login?v=1.3`;
  });
  after(() => server.close());

  const assertErrorShape = (json: any, status: string) => {
    assert.equal(typeof json.error.time, 'string');
    assert.equal(typeof json.error.message, 'string');
    assert.equal(typeof json.error.internalCode, 'number');
    assert.equal(json.error.responseStatus, status);
  };

  test('login bodies that are not credentials get 400', async () => {
    const before = await sessionCount();
    const password = seeded.human.password;
    const cases: Array<[string, unknown]> = [
      ['invalid JSON', '{"username": "Agent.Smith", "password": '],
      ['JSON array', '[]'],
      ['JSON string', '"hello"'],
      ['JSON null', 'null'],
      ['number password', { username: 'Agent.Smith', password: 12345 }],
      ['number username', { username: 42, password }],
      ['null password', { username: 'Agent.Smith', password: null }],
      ['object password', { username: 'Agent.Smith', password: { $ne: 1 } }],
      ['array username', { username: ['Agent.Smith'], password }],
      ['missing username', { password }],
      ['empty username', { username: '', password }],
      ['neither password nor key', { username: 'Agent.Smith' }],
      ['password and key both', { username: 'Agent.Smith', password, ...seeded.bot.key }],
      // appKey and secret are always needed; whether the access-token values are depends on the key's type.
      ['partial key', { username: 'bot-1', appKey: seeded.bot.key.appKey, accessToken: seeded.bot.key.accessToken }],
      ['prototype pollution', '{"username":"Agent.Smith","password":"x","__proto__":{"isAdmin":true}}'],
      ['oversized body', { username: 'Agent.Smith', password: 'x'.repeat(64 * 1024) }],
    ];
    for (const [name, body] of cases) {
      const res = await postJson(loginUrl, body);
      assert.equal(res.status, 400, name);
      assertErrorShape(res.json, 'BAD_REQUEST');
    }
    assert.equal(await sessionCount(), before);
  });

  test('an unsupported API version gets 400 with its own code', async () => {
    for (const v of ['1.4', '2', '', '1.3.0', 'abc']) {
      const res = await postJson(`${server.baseUrl}/api/account/123456/login?v=${v}`, { username: 'Agent.Smith', password: seeded.human.password });
      assert.equal(res.status, 400, `v=${v}`);
      assert.equal(res.json.error.internalCode, 2);
    }
    const twice = await postJson(`${server.baseUrl}/api/account/123456/login?v=1.3&v=1.3`, { username: 'Agent.Smith', password: seeded.human.password });
    assert.equal(twice.status, 400);
  });

  test('refresh and logout need a string csrf in a JSON body', async () => {
    for (const path of ['refresh', 'logout']) {
      for (const body of ['', '{}', '{"csrf": 1}', '{"csrf": null}', 'not json']) {
        const res = await rawPost(server, `/api/account/123456/${path}`, body, 'application/json');
        assert.equal(res.status, 400, `${path} ${body}`);
        assertErrorShape(res.json, 'BAD_REQUEST');
      }
    }
  });

  test('content types: JSON under another or no content type is still read; a form works; garbage is 400', async () => {
    const body = JSON.stringify({ username: 'Agent.Smith', password: seeded.human.password });
    assert.equal((await rawPost(server, '/api/account/123456/login?v=1.3', body, 'text/plain')).status, 200);
    assert.equal((await rawPost(server, '/api/account/123456/login?v=1.3', body)).status, 200);
    const form = new URLSearchParams({ username: 'Agent.Smith', password: seeded.human.password }).toString();
    assert.equal((await rawPost(server, '/api/account/123456/login?v=1.3', form, 'application/x-www-form-urlencoded')).status, 200);
    const binary = await rawPost(server, '/api/account/123456/login?v=1.3', Buffer.from([0xff, 0xfe, 0x00, 0x01]), 'application/octet-stream');
    assert.equal(binary.status, 400);
    assertErrorShape(binary.json, 'BAD_REQUEST');
  });

  test('unknown routes and methods get 404 in the error shape', async () => {
    for (const [method, path] of [['GET', '/nope'], ['GET', '/api/account/123456/login'], ['DELETE', '/api/account/123456/session'], ['GET', '/api/account/123456/nope'], ['POST', '/%']] as const) {
      const res = await fetch(`${server.baseUrl}${path}`, { method });
      assert.ok(res.status === 404 || res.status === 400, `${method} ${path}: ${res.status}`);
      const json: any = await res.json();
      assert.equal(typeof json.error.internalCode, 'number');
    }
  });

  test('an unknown or malformed account id is an unknown account, not a crash', async () => {
    for (const account of ['999', 'abc', '%20', '1'.repeat(60), "1'; DROP TABLE users; --"]) {
      const res = await postJson(`${server.baseUrl}/api/account/${encodeURIComponent(account)}/login?v=1.3`, { username: 'Agent.Smith', password: seeded.human.password });
      assert.equal(res.status, 401, account);
    }
    const long = await postJson(`${server.baseUrl}/api/account/${'1'.repeat(100)}/login?v=1.3`, { username: 'a', password: 'b' });
    assert.equal(long.status, 400);
  });
});
