/**
 * The authorization-code flow end to end as a relying party runs it with
 * openid-client (discovery, PKCE, nonce, state, `iss` of the response, ID
 * token validation): the authorization request, the sign-in page's form,
 * the code exchanged at the token endpoint; a code used twice revokes the
 * tokens issued from it. On SQLite, PostgreSQL and SQLite + Redis (where
 * codes live beside the sessions).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { ManualClock } from '../../src/clock.js';
import { postJson, seedAccount, sessionCookie, type SeededAccount, type TestServer } from '../helpers/server.js';
import { getManual, installApp, startCallbackServer, type CallbackServer, type Installed } from './authorizeHelpers.js';
import { createTestDatabase } from '../store/postgresDatabase.js';
import { basic, install, issuerOf, postForm, startOAuthServer, type TestInstallation } from './helpers.js';

type Backend = { name: string; env: () => Promise<{ env: Record<string, string>; drop?: () => Promise<void> }> };
const backends: Backend[] = [{ name: 'SQLite', env: async () => ({ env: {} }) }];
if (process.env.TEST_DATABASE_URL) {
  backends.push({
    name: 'PostgreSQL',
    env: async () => {
      const db = await createTestDatabase(process.env.TEST_DATABASE_URL!);
      return { env: { DATABASE_URL: db.url }, drop: () => db.drop() };
    },
  });
}
if (process.env.TEST_REDIS_URL) {
  backends.push({ name: 'SQLite + Redis', env: async () => ({ env: { REDIS_URL: process.env.TEST_REDIS_URL!, REDIS_KEY_PREFIX: `test-authorize-${randomBytes(4).toString('hex')}:` } }) });
}

for (const backend of backends) describe(`the authorization-code flow with openid-client on ${backend.name}`, () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let callback: CallbackServer;
  let app: Installed;
  let resourceServer: TestInstallation;
  let issuer: string;
  let drop: (() => Promise<void>) | undefined;

  before(async () => {
    const setup = await backend.env();
    drop = setup.drop;
    // openid-client checks the ID token's times against the real clock.
    server = await startOAuthServer({ env: setup.env, clock: new ManualClock(Date.now()) });
    seeded = await seedAccount(server);
    issuer = issuerOf(server, seeded.accountId);
    callback = await startCallbackServer();
    app = await installApp(server, seeded.accountId, { clientName: 'Web app', redirectUris: [callback.redirectUri], scope: 'users.read', grantTypes: ['authorization_code', 'refresh_token'] });
    resourceServer = await install(server, seeded.accountId, { clientName: 'Resource server' });
  });
  after(async () => {
    await callback?.close();
    await server?.close();
    await drop?.();
  });

  const discover = () => client.discovery(new URL(issuer), app.clientId, app.clientSecret!, undefined, { execute: [client.allowInsecureRequests] });

  /** Fills in the sign-in page the authorization URL shows (the form, its token and cookie) and returns where the 303 goes. */
  async function signInThroughPage(authorizationUrl: URL): Promise<{ location: URL; sessionCookie: string }> {
    const page = await getManual(authorizationUrl.href);
    assert.equal(page.status, 200);
    const html = await page.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!.replaceAll('&amp;', '&');
    const token = /name="form_token" value="([^"]+)"/.exec(html)![1]!;
    const formCookie = page.headers.getSetCookie().find((c) => c.startsWith('oauth_sign_in='))!.split(';')[0]!;
    const res = await fetch(new URL(action, server.baseUrl), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: formCookie, origin: server.baseUrl },
      body: new URLSearchParams({ form_token: token, username: seeded.human.loginName, password: seeded.human.password }).toString(),
    });
    assert.equal(res.status, 303);
    return { location: new URL(res.headers.get('location')!), sessionCookie: sessionCookie(res.headers)! };
  }

  const introspect = async (token: string) => (await postForm(`${issuer}/introspect`, { token }, { authorization: basic(resourceServer.clientId, resourceServer.secret) })).json;

  test('sign in on the page, exchange the code: ID token with auth_time, nonce and amr; a second sign-in with the session skips the page', async () => {
    const config = await discover();
    assert.equal(config.serverMetadata().authorization_endpoint, `${issuer}/authorize`);
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: callback.redirectUri,
      scope: 'openid profile users.read',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state,
    });
    const signInAt = server.clock.now();
    const { location, sessionCookie: session } = await signInThroughPage(url);
    server.clock.advance(2_000);

    const tokens = await client.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true });
    const claims = tokens.claims()!;
    assert.equal(claims.iss, issuer);
    assert.equal(claims.aud, app.clientId);
    assert.equal(claims.sub, seeded.human.user.userId);
    assert.equal(claims.nonce, nonce);
    assert.equal(claims.auth_time, Math.floor(signInAt / 1000));
    assert.deepEqual(claims.amr, ['pwd']);
    assert.equal(claims.preferred_username, seeded.human.loginName);
    assert.equal(tokens.scope, 'openid profile users.read');
    assert.equal((await introspect(tokens.access_token)).active, true);

    // With the session: straight back, and the ID token's auth_time is still the sign-in's.
    server.clock.advance(60_000);
    const verifier2 = client.randomPKCECodeVerifier();
    const nonce2 = client.randomNonce();
    const url2 = client.buildAuthorizationUrl(config, { redirect_uri: callback.redirectUri, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier2), code_challenge_method: 'S256', nonce: nonce2, state });
    const straight = await getManual(url2.href, { cookie: `Session_id=${session}` });
    assert.equal(straight.status, 302);
    const tokens2 = await client.authorizationCodeGrant(config, new URL(straight.headers.get('location')!), { pkceCodeVerifier: verifier2, expectedNonce: nonce2, expectedState: state, idTokenExpected: true });
    assert.equal(tokens2.claims()!.auth_time, Math.floor(signInAt / 1000));
    assert.equal(tokens2.claims()!.nonce, nonce2);
  });

  test('a code used twice is refused and revokes the tokens issued from it', async () => {
    const login = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`, { username: seeded.human.loginName, password: seeded.human.password });
    const config = await discover();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: callback.redirectUri, scope: 'openid users.read', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
    const res = await getManual(url.href, { cookie: `Session_id=${sessionCookie(login.headers)}` });
    const location = new URL(res.headers.get('location')!);
    const tokens = await client.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state });
    assert.equal((await introspect(tokens.access_token)).active, true);

    await assert.rejects(client.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state }), (error: any) => {
      assert.equal(error.error ?? error.cause?.error, 'invalid_grant');
      return true;
    });
    assert.equal((await introspect(tokens.access_token)).active, false, 'the access token of the first exchange is revoked');
    if (tokens.refresh_token) assert.equal((await introspect(tokens.refresh_token)).active, false);
  });

  test('RFC 9207: a response naming another issuer is refused by the client', async () => {
    const login = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`, { username: seeded.human.loginName, password: seeded.human.password });
    const config = await discover();
    assert.equal(config.serverMetadata().authorization_response_iss_parameter_supported, true);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: callback.redirectUri, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
    const res = await getManual(url.href, { cookie: `Session_id=${sessionCookie(login.headers)}` });
    const location = new URL(res.headers.get('location')!);
    assert.equal(location.searchParams.get('iss'), issuer);
    location.searchParams.set('iss', 'https://attacker.example/');
    await assert.rejects(client.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state }));
  });
});
