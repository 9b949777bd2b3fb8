import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { issueApiKey, revokeKey, type IssuedApiKey } from '../../src/directory/apiKeys.js';
import { actionContext } from '../helpers/actions.js';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';

const HOUR = 3_600_000;
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('POST /api/account/{accountId}/oauth/introspect (RFC 7662)', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let other: SeededAccount;
  /** A resource server's key: not bound to any bot. */
  let resourceKey: IssuedApiKey;
  let url: string;

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
    other = await seedAccount(server, '654321');
    resourceKey = (await issueApiKey(actionContext(server.stores, server.services.clock), seeded.accountId, 'resource server')).issued;
    url = `${server.baseUrl}/api/account/${seeded.accountId}/oauth/introspect`;
  });
  after(async () => {
    await server.close();
  });

  async function login(kind: 'human' | 'bot', account = seeded) {
    const body = kind === 'human' ? { username: account.human.loginName, password: account.human.password } : { username: account.bot.loginName, ...account.bot.key };
    const res = await postJson(`${server.baseUrl}/api/account/${account.accountId}/login`, body);
    assert.equal(res.status, 200);
    return res.json as { bearer: string; csrf: string; sessionId: string };
  }

  async function introspect(token: string, authorization: string | null = basic(resourceKey.appKey, resourceKey.secret), extraForm = '') {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (authorization !== null) headers.authorization = authorization;
    const res = await fetch(url, { method: 'POST', headers, body: `token=${encodeURIComponent(token)}${extraForm}` });
    return { status: res.status, headers: res.headers, json: (await res.json()) as any };
  }

  function assertClientAuthFailed(res: { status: number; headers: Headers; json: any }, what: string) {
    assert.equal(res.status, 401, what);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm=/, what);
    assert.equal(res.json.error.internalCode, 25, what);
    assert.equal(res.json.error.responseStatus, 'UNAUTHORIZED', what);
    assert.equal(typeof res.json.error.time, 'string', what);
  }

  test('a live human bearer: active with its fields', async () => {
    const session = await login('human');
    const res = await introspect(session.bearer, undefined, '&token_type_hint=access_token');
    assert.equal(res.status, 200);
    const now = Math.floor(server.clock.now() / 1000);
    assert.deepEqual(res.json, {
      active: true,
      sub: seeded.human.user.userId,
      username: 'Agent.Smith',
      exp: now + 8 * 3600,
      iat: now,
      client_id: null,
      token_type: 'Bearer',
      scope: '100 101 1730',
    });
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  test('a bot bearer carries its appKey as client_id; JSON bodies are accepted too', async () => {
    const session = await login('bot');
    const res = await postJson(url, { token: session.bearer }, { authorization: basic(resourceKey.appKey, resourceKey.secret) });
    assert.equal(res.status, 200);
    assert.equal(res.json.active, true);
    assert.equal(res.json.client_id, seeded.bot.key.appKey);
    assert.equal(res.json.scope, '1800');
  });

  test('the bot’s own key may introspect too, with form-urlencoded Basic credentials', async () => {
    const session = await login('bot');
    const { appKey, secret } = seeded.bot.key;
    const res = await introspect(session.bearer, basic(encodeURIComponent(appKey), encodeURIComponent(secret)));
    assert.equal(res.json.active, true);
  });

  test('inactive: unknown, ended by logout, expired, of another account', async () => {
    assert.deepEqual((await introspect('f'.repeat(64))).json, { active: false });
    assert.deepEqual((await introspect('')).json, { active: false });

    const ended = await login('human');
    const logout = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/logout`, { csrf: ended.csrf }, { cookie: `Session_id=${ended.sessionId}` });
    assert.equal(logout.status, 200);
    assert.deepEqual((await introspect(ended.bearer)).json, { active: false });

    const foreign = await login('human', other);
    assert.deepEqual((await introspect(foreign.bearer)).json, { active: false });

    const expiring = await login('human');
    assert.equal((await introspect(expiring.bearer)).json.active, true);
    server.clock.advance(8 * HOUR);
    assert.deepEqual((await introspect(expiring.bearer)).json, { active: false });
  });

  test('401 without client authentication, or with wrong credentials', async () => {
    const session = await login('human');
    assertClientAuthFailed(await introspect(session.bearer, null), 'no Authorization');
    assertClientAuthFailed(await introspect(session.bearer, basic(resourceKey.appKey, 'wrong')), 'wrong secret');
    assertClientAuthFailed(await introspect(session.bearer, basic('nosuchkey', resourceKey.secret)), 'unknown appKey');
    assertClientAuthFailed(await introspect(session.bearer, basic(other.bot.key.appKey, other.bot.key.secret)), 'key of another account');
    assertClientAuthFailed(await introspect(session.bearer, basic(resourceKey.appKey, resourceKey.accessTokenSecret)), 'accessTokenSecret is not the secret');
    assertClientAuthFailed(await introspect(session.bearer, `Bearer ${session.bearer}`), 'a bearer is not client authentication');
  });

  test('malformed Basic headers: 401, never 5xx', async () => {
    const malformed = [
      'Basic',
      'Basic ',
      'Basic !!!!',
      'Basic ====',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Basic ${Buffer.from(':').toString('base64')}`,
      `Basic ${Buffer.from(':secret').toString('base64')}`,
      `Basic ${Buffer.from('key:').toString('base64')}`,
      `Basic ${Buffer.from('%zz:%zz').toString('base64')}`,
      `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0x80]).toString('base64')}`,
      `Basic ${Buffer.from(`${'k'.repeat(5000)}:s`).toString('base64')}`,
      `Basic ${'A'.repeat(6000)}`,
      'Basic a b',
      'Digest username="x"',
    ];
    for (const authorization of malformed) assertClientAuthFailed(await introspect('x', authorization), authorization.slice(0, 40));
  });

  test('client authentication comes before body validation', async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"nothing": true}' });
    assert.equal(res.status, 401);
    const withAuth = await postJson(url, { nothing: true }, { authorization: basic(resourceKey.appKey, resourceKey.secret) });
    assert.equal(withAuth.status, 400);
    assert.equal(withAuth.json.error.internalCode, 1);
    const notJson = await postJson(url, '{', { authorization: basic(resourceKey.appKey, resourceKey.secret) });
    assert.equal(notJson.status, 400);
  });

  test('a revoked key is refused', async () => {
    const { issued } = await issueApiKey(actionContext(server.stores, server.services.clock), seeded.accountId, 'short-lived');
    const session = await login('human');
    assert.equal((await introspect(session.bearer, basic(issued.appKey, issued.secret))).json.active, true);
    await revokeKey(actionContext(server.stores, server.services.clock), seeded.accountId, issued.appKey);
    assertClientAuthFailed(await introspect(session.bearer, basic(issued.appKey, issued.secret)), 'revoked');
  });

  test('documented in /openapi.json', async () => {
    const doc = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as any;
    const op = doc.paths['/api/account/{accountId}/oauth/introspect']?.post;
    assert.ok(op, 'path present');
    assert.ok(op.requestBody.content['application/x-www-form-urlencoded'] || op.requestBody.content['application/json']);
    assert.ok(op.responses['200'].content['application/json'].schema.properties.active);
    assert.ok(op.responses['401']);
  });
});
