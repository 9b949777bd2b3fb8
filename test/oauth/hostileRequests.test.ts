/**
 * Whatever a client sends to the token, revocation and introspection
 * endpoints: an answer in RFC 6749 §5.2 shape, never a 500, and nothing
 * changed (live tokens stay live, the keys stay as they were). Then the
 * per-address budget: client secrets cannot be guessed fast.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seedAccount, type SeededAccount, type TestServer } from '../helpers/server.js';
import { basic, install, issueCode, issuerOf, pkcePair, postForm, startOAuthServer, type TestInstallation } from './helpers.js';

let server: TestServer;
let seeded: SeededAccount;
let issuer: string;
let app: TestInstallation;
let live: { access: string; refresh: string };

const REDIRECT = 'https://app.example.com/cb';

before(async () => {
  server = await startOAuthServer({ env: { LOGIN_FAILURES_PER_MINUTE: '0' } });
  seeded = await seedAccount(server);
  issuer = issuerOf(server, seeded.accountId);
  app = await install(server, seeded.accountId, { grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'], redirectUris: [REDIRECT], scope: 'users.read' });
  const pkce = pkcePair();
  const code = await issueCode(server, { accountId: seeded.accountId, clientId: app.clientId, userId: seeded.human.user.userId, redirectUri: REDIRECT, scope: 'openid users.read', codeChallenge: pkce.challenge });
  const res = await postForm(`${issuer}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pkce.verifier }, { authorization: basic(app.clientId, app.secret) });
  assert.equal(res.status, 200, res.text);
  live = { access: res.json.access_token, refresh: res.json.refresh_token };
});
after(async () => {
  await server.close();
});

const introspect = async (token: string) => (await postForm(`${issuer}/introspect`, { token }, { authorization: basic(app.clientId, app.secret) })).json;

const NAMES = ['grant_type', 'client_id', 'client_secret', 'code', 'refresh_token', 'redirect_uri', 'code_verifier', 'scope', 'token', 'token_type_hint', 'v', 'username', 'password', '__proto__', 'constructor'];
const GRANTS = ['client_credentials', 'authorization_code', 'refresh_token', 'password', 'implicit', 'token', 'urn:ietf:params:oauth:grant-type:jwt-bearer', '', 'CLIENT_CREDENTIALS'];

const value = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(...GRANTS),
  fc.constant('x'.repeat(9000)),
);
const pair = fc.tuple(fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 12 })), value);

const body = fc.oneof(
  // A form, parameters possibly repeated.
  fc.array(pair, { maxLength: 8 }).map((pairs) => ({ type: 'application/x-www-form-urlencoded', text: new URLSearchParams(pairs).toString() })),
  // The same parameter twice, on purpose.
  fc.tuple(fc.constantFrom(...NAMES), value, value).map(([n, a, b]) => ({ type: 'application/x-www-form-urlencoded', text: `grant_type=client_credentials&${encodeURIComponent(n)}=${encodeURIComponent(a)}&${encodeURIComponent(n)}=${encodeURIComponent(b)}` })),
  // JSON instead of a form.
  fc.dictionary(fc.constantFrom(...NAMES), value, { maxKeys: 5 }).map((o) => ({ type: 'application/json', text: JSON.stringify(o) })),
  // Anything under any type.
  fc.tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded; charset=utf-8', 'multipart/form-data', 'application/xml', ''), fc.string({ maxLength: 200 })).map(([type, text]) => ({ type, text })),
);

const authorization = fc.oneof(
  fc.constant(undefined),
  fc.constant('right'),
  fc.constant(basic('no-such-client', 'x')),
  fc.string({ maxLength: 60 }).map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
  fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
);

const path = fc.constantFrom('/token', '/token?v=1.0', '/token?v=3.0', '/app/token?v=1.0', '/app/token?v=2.0&grant_type=password', '/revoke', '/introspect', '/userinfo', '/token?v=1.0&v=2.0');

test('any body, parameters, content type or credentials: a 4xx (or a 200 an honest client could get) in RFC shape, never a 500, nothing changed', async () => {
  const keysBefore = await server.stores.signingKeys.listSigningKeys();
  await fc.assert(
    fc.asyncProperty(path, body, authorization, async (p, b, auth) => {
      const headers: Record<string, string> = {};
      if (b.type) headers['content-type'] = b.type;
      if (auth === 'right') headers.authorization = basic(app.clientId, app.secret);
      else if (auth !== undefined && /^[\x20-\x7e]*$/.test(auth)) headers.authorization = auth;
      const res = await fetch(`${issuer}${p}`, { method: 'POST', headers, body: b.text });
      const text = await res.text();
      assert.notEqual(res.status, 500, `${p} ${b.type} ${text}`);
      if (res.status >= 400) {
        assert.ok(res.status < 500, `${res.status} ${text}`);
        const json = JSON.parse(text);
        assert.equal(typeof json.error, 'string', text);
        assert.equal(typeof json.error_description, 'string', text);
        assert.equal(json.internalCode, undefined);
      } else {
        assert.ok([200].includes(res.status), `${res.status} ${text}`);
      }
    }),
    { numRuns: 300 },
  );
  assert.equal((await introspect(live.access)).active, true, 'the live access token is still live');
  assert.equal((await introspect(live.refresh)).active, true, 'the live refresh token is still live');
  assert.deepEqual(await server.stores.signingKeys.listSigningKeys(), keysBefore, 'no key was made or retired');
});

test('named refusals: JSON body, a repeated parameter, an oversized value, an unknown version', async () => {
  const auth = { authorization: basic(app.clientId, app.secret) };
  const json = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ grant_type: 'client_credentials' }) });
  assert.equal(json.status, 400);
  assert.equal((await json.json()).error, 'invalid_request');
  const twice = await postForm(`${issuer}/token`, 'grant_type=client_credentials&scope=users.read&scope=users.read', auth);
  assert.deepEqual([twice.status, twice.json.error], [400, 'invalid_request']);
  const queryAndBody = await postForm(`${issuer}/app/token?v=1.0&grant_type=client_credentials`, 'grant_type=client_credentials', auth);
  assert.deepEqual([queryAndBody.status, queryAndBody.json.error], [400, 'invalid_request']);
  const long = await postForm(`${issuer}/token`, { grant_type: 'refresh_token', refresh_token: 'x'.repeat(9000) }, auth);
  assert.deepEqual([long.status, long.json.error], [400, 'invalid_request']);
  const version = await postForm(`${issuer}/app/token?v=3.0`, { grant_type: 'client_credentials' }, auth);
  assert.deepEqual([version.status, version.json.error], [400, 'invalid_request']);
  const huge = await postForm(`${issuer}/token`, { grant_type: 'client_credentials', scope: 'y'.repeat(2_000_000) }, auth);
  assert.ok(huge.status >= 400 && huge.status < 500, String(huge.status));
  assert.equal(typeof huge.json.error, 'string');
});

test('failed client authentications draw on the per-address budget: 429 temporarily_unavailable past it', async () => {
  const limited = await startOAuthServer({ env: { LOGIN_FAILURES_PER_MINUTE: '3' } });
  try {
    const { accountId } = await seedAccount(limited);
    const target = await install(limited, accountId);
    const url = `${issuerOf(limited, accountId)}/app/token?v=1.0`;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await postForm(url, { grant_type: 'client_credentials' }, { authorization: basic(target.clientId, `guess-${i}`) })).status);
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    const blocked = await postForm(url, { grant_type: 'client_credentials' }, { authorization: basic(target.clientId, target.secret) });
    assert.equal(blocked.status, 429, 'even the right secret waits: the address is out of budget');
    assert.equal(blocked.json.error, 'temporarily_unavailable');
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    limited.clock.advance(61_000);
    assert.equal((await postForm(url, { grant_type: 'client_credentials' }, { authorization: basic(target.clientId, target.secret) })).status, 200);
  } finally {
    await limited.close();
  }
});
