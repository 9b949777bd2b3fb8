/**
 * The authorization server end to end, driven by openid-client (the certified
 * relying-party library) over a real socket, on SQLite, PostgreSQL and
 * SQLite + Redis: discovery, client credentials on every path and way of
 * authenticating, the code grant with PKCE and ID token, refresh rotation and
 * reuse, UserInfo, revocation and introspection, which must say inactive at
 * once after every way a token can end.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createUser, setUserEnabled } from '../../src/directory/users.js';
import { actionContext } from '../helpers/actions.js';
import { seedAccount, type SeededAccount, type TestServer } from '../helpers/server.js';
import { createTestDatabase, type TestDatabase } from '../store/postgresDatabase.js';
import { basic, install, issueCode, issuerOf, pkcePair, postForm, startOAuthServer, type TestInstallation } from './helpers.js';

const REDIRECT = 'https://app.example.com/callback';

function backends(): Array<{ name: string; env: () => Promise<{ env: Record<string, string>; drop?: () => Promise<void> }> }> {
  const list: Array<{ name: string; env: () => Promise<{ env: Record<string, string>; drop?: () => Promise<void> }> }> = [{ name: 'SQLite', env: async () => ({ env: {} }) }];
  if (process.env.TEST_DATABASE_URL) {
    list.push({
      name: 'PostgreSQL',
      env: async () => {
        const db: TestDatabase = await createTestDatabase(process.env.TEST_DATABASE_URL!);
        return { env: { DATABASE_URL: db.url }, drop: () => db.drop() };
      },
    });
  }
  if (process.env.TEST_REDIS_URL) {
    list.push({ name: 'SQLite + Redis', env: async () => ({ env: { REDIS_URL: process.env.TEST_REDIS_URL!, REDIS_KEY_PREFIX: `test-oauth-${randomBytes(4).toString('hex')}:` } }) });
  }
  return list;
}

for (const backend of backends()) {
  describe(`the authorization server on ${backend.name}`, () => {
    let server: TestServer;
    let seeded: SeededAccount;
    let issuer: string;
    let drop: (() => Promise<void>) | undefined;
    let machine: TestInstallation;
    let webApp: TestInstallation;

    before(async () => {
      const setup = await backend.env();
      drop = setup.drop;
      server = await startOAuthServer({ env: setup.env });
      seeded = await seedAccount(server);
      issuer = issuerOf(server, seeded.accountId);
      machine = await install(server, seeded.accountId, { scope: 'users.read events.read' });
      webApp = await install(server, seeded.accountId, {
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [REDIRECT],
        scope: 'users.read',
      });
    });
    after(async () => {
      await server?.close();
      await drop?.();
    });

    const discover = (app: TestInstallation, auth?: client.ClientAuth) =>
      client.discovery(new URL(issuer), app.clientId, app.secret, auth, { execute: [client.allowInsecureRequests] });

    async function codeFor(app: TestInstallation, scope: string, extra: { nonce?: string; challenge?: string; userId?: string } = {}) {
      return issueCode(server, { accountId: seeded.accountId, clientId: app.clientId, userId: extra.userId ?? seeded.human.user.userId, redirectUri: REDIRECT, scope, nonce: extra.nonce ?? null, codeChallenge: extra.challenge ?? null });
    }

    /** The code grant as openid-client runs it: the callback URL, state, PKCE and nonce checks, ID token validation. */
    async function signIn(app: TestInstallation, scope = 'openid profile email users.read', userId?: string) {
      const config = await discover(app);
      const pkce = pkcePair();
      const nonce = client.randomNonce();
      const state = client.randomState();
      const code = await codeFor(app, scope, { nonce, challenge: pkce.challenge, userId });
      const callback = new URL(`${REDIRECT}?code=${code}&state=${state}&iss=${encodeURIComponent(issuer)}`);
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: pkce.verifier, expectedState: state, expectedNonce: nonce });
      return { config, tokens };
    }

    const introspect = async (token: string) => (await postForm(`${issuer}/introspect`, { token }, { authorization: basic(machine.clientId, machine.secret) })).json;

    test('discovery: the issuer is the account\'s, and every endpoint under it', async () => {
      const config = await discover(machine);
      const meta = config.serverMetadata();
      assert.equal(meta.issuer, issuer);
      assert.equal(meta.token_endpoint, `${issuer}/token`);
      assert.equal(meta.jwks_uri, `${issuer}/jwks`);
      assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
      const other = await fetch(`${issuer}/.well-known/oauth-authorization-server`);
      assert.equal((await other.json()).issuer, issuer);
      const unknown = await fetch(`${server.baseUrl}/sentinel/api/account/999999/.well-known/openid-configuration`);
      assert.equal(unknown.status, 404);
      assert.equal((await unknown.json()).error, 'invalid_request');
    });

    test('client credentials through openid-client (Basic and post): an RS256 at+jwt with the installation\'s scope', async () => {
      for (const auth of [client.ClientSecretBasic(machine.secret), client.ClientSecretPost(machine.secret)]) {
        const config = await discover(machine, auth);
        const tokens = await client.clientCredentialsGrant(config, { scope: 'users.read' });
        assert.equal(tokens.token_type, 'bearer');
        assert.equal(tokens.scope, 'users.read');
        assert.equal(tokens.expires_in, 3600);
        const header = decodeProtectedHeader(tokens.access_token);
        assert.equal(header.typ, 'at+jwt');
        assert.equal(header.alg, 'RS256');
        const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${issuer}/jwks`)), { issuer, audience: seeded.accountId, typ: 'at+jwt', currentDate: new Date(server.clock.now()) });
        assert.equal(payload.sub, machine.clientId);
        assert.equal(payload.client_id, machine.clientId);
        assert.equal(payload.azp, machine.clientId);
        assert.equal(payload.fid, undefined);
      }
      const all = await client.clientCredentialsGrant(await discover(machine));
      assert.equal(all.scope, 'users.read events.read', 'no scope asked: every API scope of the installation');
    });

    test('client credentials on the original\'s paths: v=1.0 and v=2.0, the v2 path, secrets in the query with an empty body', async () => {
      const query = `grant_type=client_credentials&client_id=${machine.clientId}&client_secret=${machine.secret}`;
      for (const url of [`${issuer}/app/token?v=1.0&${query}`, `${issuer}/app/token?v=2.0&${query}`, `${server.baseUrl}/sentinel/api/v2/account/${seeded.accountId}/app/token?${query}`]) {
        const res = await fetch(url, { method: 'POST' });
        assert.equal(res.status, 200, url);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        const body = await res.json();
        assert.equal(body.token_type, 'Bearer');
        assert.equal((await introspect(body.access_token)).active, true);
      }
      const form = await postForm(`${issuer}/app/token?v=1.0`, { grant_type: 'client_credentials' }, { authorization: basic(machine.clientId, machine.secret) });
      assert.equal(form.status, 200);
      // Query-string credentials are the app/token paths' only.
      const elsewhere = await fetch(`${issuer}/token?${query}`, { method: 'POST' });
      assert.equal(elsewhere.status, 400);
      assert.equal((await elsewhere.json()).error, 'invalid_request');
    });

    test('client authentication failures: 401 invalid_client, with a Basic challenge when Basic was used', async () => {
      const wrong = await postForm(`${issuer}/app/token?v=1.0`, { grant_type: 'client_credentials' }, { authorization: basic(machine.clientId, 'not the secret') });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.json.error, 'invalid_client');
      assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic /);
      const posted = await postForm(`${issuer}/app/token?v=1.0`, { grant_type: 'client_credentials', client_id: machine.clientId, client_secret: 'nope' });
      assert.equal(posted.status, 401);
      assert.equal(posted.json.error, 'invalid_client');
      const unknown = await postForm(`${issuer}/app/token?v=1.0`, { grant_type: 'client_credentials', client_id: 'no-such-client', client_secret: 'nope' });
      assert.equal(unknown.status, 401);
      const noGrant = await postForm(`${issuer}/app/token?v=1.0`, { grant_type: 'client_credentials' }, { authorization: basic(webApp.clientId, webApp.secret) });
      assert.equal(noGrant.status, 400);
      assert.equal(noGrant.json.error, 'unauthorized_client');
      const wideScope = await postForm(`${issuer}/app/token?v=1.0`, { grant_type: 'client_credentials', scope: 'users.write' }, { authorization: basic(machine.clientId, machine.secret) });
      assert.equal(wideScope.status, 400);
      assert.equal(wideScope.json.error, 'invalid_scope');
      for (const grant of ['password', 'implicit', 'urn:ietf:params:oauth:grant-type:device_code']) {
        const refused = await postForm(`${issuer}/token`, { grant_type: grant, username: 'x', password: 'y' }, { authorization: basic(machine.clientId, machine.secret) });
        assert.equal(refused.status, 400, grant);
        assert.equal(refused.json.error, 'unsupported_grant_type', grant);
      }
    });

    test('authorization code with PKCE: access, refresh and ID tokens; UserInfo by scope', async () => {
      const { config, tokens } = await signIn(webApp);
      assert.ok(tokens.refresh_token);
      const claims = tokens.claims()!;
      assert.equal(claims.iss, issuer);
      assert.equal(claims.sub, seeded.human.user.userId);
      assert.equal(claims.aud, webApp.clientId);
      assert.equal(claims.preferred_username, 'Agent.Smith');
      assert.deepEqual(claims.amr, ['pwd']);
      assert.equal(typeof claims.auth_time, 'number');
      const info = await client.fetchUserInfo(config, tokens.access_token, seeded.human.user.userId);
      assert.equal(info.preferred_username, 'Agent.Smith');
      assert.ok('email' in info && 'name' in info);
      const narrow = await signIn(webApp, 'openid');
      const plain = await client.fetchUserInfo(narrow.config, narrow.tokens.access_token, seeded.human.user.userId);
      assert.equal('email' in plain, false, 'no email without the email scope');
      const pkce = pkcePair();
      const noOpenid = await postForm(
        `${issuer}/token`,
        { grant_type: 'authorization_code', code: await codeFor(webApp, 'users.read', { challenge: pkce.challenge }), redirect_uri: REDIRECT, code_verifier: pkce.verifier },
        { authorization: basic(webApp.clientId, webApp.secret) },
      );
      assert.equal(noOpenid.json.id_token, undefined, 'no ID token without openid');
      const refused = await fetch(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${noOpenid.json.access_token}` } });
      assert.equal(refused.status, 403);
      assert.match(refused.headers.get('www-authenticate') ?? '', /insufficient_scope/);
    });

    test('a code: bound to its redirect URI and verifier, single use; the second use revokes what the first gave', async () => {
      const pkce = pkcePair();
      const auth = { authorization: basic(webApp.clientId, webApp.secret) };
      const wrongUri = await postForm(`${issuer}/token`, { grant_type: 'authorization_code', code: await codeFor(webApp, 'openid', { challenge: pkce.challenge }), redirect_uri: 'https://app.example.com/other', code_verifier: pkce.verifier }, auth);
      assert.equal(wrongUri.json.error, 'invalid_grant');
      const wrongVerifier = await postForm(`${issuer}/token`, { grant_type: 'authorization_code', code: await codeFor(webApp, 'openid', { challenge: pkce.challenge }), redirect_uri: REDIRECT, code_verifier: pkcePair().verifier }, auth);
      assert.equal(wrongVerifier.json.error, 'invalid_grant');
      const code = await codeFor(webApp, 'openid users.read', { challenge: pkce.challenge });
      const first = await postForm(`${issuer}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pkce.verifier }, auth);
      assert.equal(first.status, 200, first.text);
      assert.equal(first.headers.get('cache-control'), 'no-store');
      assert.equal((await introspect(first.json.access_token)).active, true);
      const second = await postForm(`${issuer}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pkce.verifier }, auth);
      assert.equal(second.status, 400);
      assert.equal(second.json.error, 'invalid_grant');
      assert.deepEqual(await introspect(first.json.access_token), { active: false });
      assert.deepEqual(await introspect(first.json.refresh_token), { active: false });
    });

    test('refresh: rotated on each use; the old token presented again revokes the whole family', async () => {
      const { config, tokens } = await signIn(webApp);
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
      assert.equal((await introspect(refreshed.access_token)).active, true);
      const refreshInfo = await introspect(refreshed.refresh_token!);
      assert.equal(refreshInfo.active, true);
      assert.equal(refreshInfo.token_type, 'refresh_token');
      await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token!), (e: any) => e.error === 'invalid_grant');
      assert.deepEqual(await introspect(refreshed.access_token), { active: false });
      assert.deepEqual(await introspect(tokens.access_token), { active: false });
      await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token!), (e: any) => e.error === 'invalid_grant');
    });

    test('revocation (RFC 7009): an access token, a refresh token and its family; inactive at once', async () => {
      const { config, tokens } = await signIn(webApp);
      await client.tokenRevocation(config, tokens.access_token);
      assert.deepEqual(await introspect(tokens.access_token), { active: false });
      assert.equal((await introspect(tokens.refresh_token!)).active, true, 'revoking an access token leaves its refresh token');
      const again = await signIn(webApp);
      await client.tokenRevocation(again.config, again.tokens.refresh_token!);
      assert.deepEqual(await introspect(again.tokens.refresh_token!), { active: false });
      assert.deepEqual(await introspect(again.tokens.access_token), { active: false }, 'the family\'s access token ends too');
      const unknown = await postForm(`${issuer}/revoke`, { token: 'no such token' }, { authorization: basic(webApp.clientId, webApp.secret) });
      assert.equal(unknown.status, 200, 'unknown tokens are not an error');
      const cc = await client.clientCredentialsGrant(await discover(machine));
      // Another client's token is not this client's to revoke.
      await postForm(`${issuer}/revoke`, { token: cc.access_token }, { authorization: basic(webApp.clientId, webApp.secret) });
      assert.equal((await introspect(cc.access_token)).active, true);
    });

    test('introspection says inactive at once: user disabled, installation disabled; the bearer check agrees', async () => {
      const agent = await createUser({ stores: server.stores, clock: server.clock, hasher: server.services.hasher }, { accountId: seeded.accountId, loginName: 'agent.two', password: 'another long passphrase', privileges: [100] });
      const { tokens } = await signIn(webApp, undefined, agent.userId);
      const check = (token: string) => fetch(`${server.baseUrl}/api/account/${seeded.accountId}/session`, { headers: { authorization: `Bearer ${token}` } });
      const live = await check(tokens.access_token);
      assert.equal(live.status, 200);
      const info = await live.json();
      assert.equal(info.userId, agent.userId);
      assert.equal(info.loginName, 'agent.two');
      assert.equal(info.clientId, webApp.clientId);
      assert.equal(info.isAdmin, false);
      const legacy = await fetch(`${server.baseUrl}/api/account/${seeded.accountId}/oauth/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(machine.clientId, machine.secret) },
        body: `token=${tokens.access_token}`,
      });
      assert.equal((await legacy.json()).active, true, 'the older introspection route answers access tokens too');
      const apiKey = await postForm(`${issuer}/introspect`, { token: tokens.access_token }, { authorization: basic(seeded.bot.key.appKey, seeded.bot.key.secret) });
      assert.equal(apiKey.json.active, true, 'an OAuth 1.0 API key of the account may introspect, as on the older route');
      const apiKeyToken = await postForm(`${issuer}/app/token?v=1.0`, { grant_type: 'client_credentials' }, { authorization: basic(seeded.bot.key.appKey, seeded.bot.key.secret) });
      assert.equal(apiKeyToken.status, 401, 'but it is no OAuth client');

      await setUserEnabled(actionContext(server.stores, server.clock), agent, false);
      assert.deepEqual(await introspect(tokens.access_token), { active: false });
      assert.deepEqual(await introspect(tokens.refresh_token!), { active: false });
      assert.equal((await check(tokens.access_token)).status, 401);
      await setUserEnabled(actionContext(server.stores, server.clock), { ...agent, enabled: false }, true);
      assert.deepEqual(await introspect(tokens.refresh_token!), { active: false }, 'enabled again, the grants ended with the disable stay ended');

      const other = await install(server, seeded.accountId, { scope: 'users.read' });
      const cc = await client.clientCredentialsGrant(await discover(other));
      assert.equal((await introspect(cc.access_token)).active, true);
      const key = (await server.stores.apiKeys.getApiKey(seeded.accountId, other.clientId))!;
      await server.stores.apiKeys.updateApiKey(seeded.accountId, other.clientId, { installation: { ...key.installation!, enabled: false } });
      assert.deepEqual(await introspect(cc.access_token), { active: false });
      assert.equal((await check(cc.access_token)).status, 401);
    });

    test('the access token expires with the clock', async () => {
      const cc = await client.clientCredentialsGrant(await discover(machine));
      server.clock.advance(3600_000 + 1000);
      assert.deepEqual(await introspect(cc.access_token), { active: false });
    });
  });
}
