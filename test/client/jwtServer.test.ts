/**
 * The client package against the real authorization server: tokens from its
 * client-credentials endpoint (through the clientCredentials helper) are
 * verified locally against its JWKS; forged, expired and foreign ones are
 * refused; a key rotation is picked up with one JWKS fetch and no more; the
 * Fastify and Express middleware send JWTs to the local check and session
 * bearers to the service.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import Fastify from 'fastify';
import { SignJWT, generateKeyPair } from 'jose';
import {
  LoginServiceClient,
  OAuthError,
  clientCredentials,
  createBearerVerifier,
  createJwtVerifier,
  sessionOfAccessToken,
  type AccessTokenInfo,
  type FetchLike,
  type JwtVerifierOptions,
} from '@login-service/client';
import { bearerAuthMiddleware } from '@login-service/client/express';
import { bearerAuthPlugin } from '@login-service/client/fastify';
import { seedAccount, type SeededAccount, type TestServer } from '../helpers/server.js';
import { install, issuerOf, startOAuthServer, type TestInstallation } from '../oauth/helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (token: string, part: 0 | 1) => JSON.parse(Buffer.from(token.split('.')[part]!, 'base64url').toString());

/** A fetch that counts what it fetched, by the last segment of the path. */
function countingFetch() {
  const counts = { jwks: 0, session: 0, token: 0 };
  const fetchFn: FetchLike = (url, init) => {
    const path = new URL(url).pathname;
    if (path.endsWith('/jwks')) counts.jwks++;
    else if (path.endsWith('/session')) counts.session++;
    else if (path.endsWith('/token')) counts.token++;
    return fetch(url, init);
  };
  return { counts, fetch: fetchFn };
}

describe('the client package against the real authorization server', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let other: SeededAccount;
  let app: TestInstallation;
  let otherApp: TestInstallation;
  let sessionBearer: string;
  // The test server runs on a manual clock; tokens are judged on it.
  const now = () => server.clock.now();

  before(async () => {
    server = await startOAuthServer();
    seeded = await seedAccount(server);
    other = await seedAccount(server, '654321');
    app = await install(server, seeded.accountId, { scope: 'users.read events.read' });
    otherApp = await install(server, other.accountId, { scope: 'users.read' });
    const client = new LoginServiceClient({ accountId: seeded.accountId, domain: `127.0.0.1:${server.port}`, protocol: 'http' });
    await client.login({ username: seeded.human.loginName, password: seeded.human.password });
    sessionBearer = client.bearer!;
  });
  after(async () => {
    await server.close();
  });

  const credentials = (extra: Partial<Parameters<typeof clientCredentials>[0]> = {}) =>
    clientCredentials({ serviceUrl: server.baseUrl, accountId: seeded.accountId, clientId: app.clientId, clientSecret: app.secret, now, ...extra });
  const verifier = (extra: Partial<JwtVerifierOptions> = {}) => createJwtVerifier({ serviceUrl: server.baseUrl, accountId: seeded.accountId, now, ...extra });

  test('a client-credentials token (Basic or form-body authentication) verifies locally: client, sub, scopes', async () => {
    for (const authMethod of ['basic', 'post'] as const) {
      const info = await credentials({ authMethod, scope: 'users.read' }).getTokenInfo();
      assert.equal(info.scope, 'users.read');
      assert.deepEqual(decode(info.accessToken, 0).typ, 'at+jwt');
      const claims = await verifier().verify(info.accessToken);
      assert.ok(claims, authMethod);
      assert.equal(claims.clientId, app.clientId);
      assert.equal(claims.sub, app.clientId, 'client credentials: the subject is the client');
      assert.deepEqual(claims.scopes, ['users.read']);
      assert.equal(claims.accountId, seeded.accountId);
      assert.equal(claims.issuer, issuerOf(server, seeded.accountId));
      assert.ok(claims.expiresAt > now());
    }
  });

  test('the helper keeps the token, renews it before expiry, and concurrent callers share one request', async () => {
    const counter = countingFetch();
    let clock = now();
    const helper = credentials({ fetch: counter.fetch, now: () => clock });
    const tokens = await Promise.all(Array.from({ length: 10 }, () => helper.getToken()));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(counter.counts.token, 1, 'single-flight');
    assert.equal(await helper.getToken(), tokens[0]);
    assert.equal(counter.counts.token, 1, 'kept');
    const { expiresAt } = await helper.getTokenInfo();
    clock = expiresAt - 30_000;
    const renewed = await helper.getToken();
    assert.notEqual(renewed, tokens[0]);
    assert.equal(counter.counts.token, 2, 'renewed within the margin before exp');
    assert.ok(await verifier().verify(renewed));
  });

  test("the server's RFC 6749 errors arrive as OAuthError", async () => {
    await assert.rejects(credentials({ clientSecret: 'wrong' }).getToken(), (error: unknown) => error instanceof OAuthError && error.error === 'invalid_client' && error.status === 401);
    await assert.rejects(credentials({ scope: 'settings.write' }).getToken(), (error: unknown) => error instanceof OAuthError && error.error === 'invalid_scope');
  });

  test('tampered, expired, other issuer, other audience and alg none: refused', async () => {
    const token = await credentials().getToken();
    const v = verifier();
    assert.ok(await v.verify(token));
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = decode(token, 1);
    assert.equal(await v.verify(`${header}.${b64url({ ...claims, scope: 'users.read users.write' })}.${signature}`), null, 'tampered');
    assert.equal(await v.verify(`${header}.${payload}.${signature.slice(0, -6)}AAAAAA`), null, 'bad signature');
    assert.equal(await verifier({ now: () => (claims.exp + 60) * 1000 }).verify(token), null, 'expired');
    const foreign = await clientCredentials({ serviceUrl: server.baseUrl, accountId: other.accountId, clientId: otherApp.clientId, clientSecret: otherApp.secret, now }).getToken();
    assert.ok(await verifier({ accountId: other.accountId }).verify(foreign), "valid for its own account's verifier");
    assert.equal(await v.verify(foreign), null, 'another account: other issuer, other audience');
    assert.equal(await verifier({ issuer: issuerOf(server, other.accountId), audience: seeded.accountId }).verify(token), null, 'other issuer');
    assert.equal(await verifier({ audience: other.accountId }).verify(token), null, 'other audience');
    assert.equal(await v.verify(`${b64url({ alg: 'none', typ: 'at+jwt' })}.${payload}.`), null, 'alg none');
    assert.equal(await v.verify(`${b64url({ ...decode(token, 0), alg: 'none' })}.${payload}.`), null, 'alg none with the real kid');
  });

  test('ES256 (the account setting): verified against the same JWKS', async () => {
    await server.stores.accounts.updateAccount(other.accountId, { settings: { oauthSignWithEs256: true } });
    try {
      const token = await clientCredentials({ serviceUrl: server.baseUrl, accountId: other.accountId, clientId: otherApp.clientId, clientSecret: otherApp.secret, now }).getToken();
      assert.equal(decode(token, 0).alg, 'ES256');
      assert.equal((await verifier({ accountId: other.accountId }).verify(token))?.clientId, otherApp.clientId);
      assert.equal(await verifier({ accountId: other.accountId, algorithms: ['RS256'] }).verify(token), null);
    } finally {
      await server.stores.accounts.updateAccount(other.accountId, { settings: { oauthSignWithEs256: false } });
    }
  });

  test('a key rotation: the new kid is fetched once; forged kids do not make fetches', async () => {
    const counter = countingFetch();
    const v = verifier({ fetch: counter.fetch, jwksCooldownMs: 1000 });
    const { privateKey } = await generateKeyPair('RS256');
    const before = await credentials().getToken();
    assert.ok(await v.verify(before));
    assert.equal(counter.counts.jwks, 1);
    const claims = decode(before, 1);
    const forged = await Promise.all(
      Array.from({ length: 10 }, (_, i) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: `forged-${i}` }).sign(privateKey)),
    );
    for (const token of forged) assert.equal(await v.verify(token), null);
    assert.equal(counter.counts.jwks, 1, 'within the cooldown, unknown kids are refused without a fetch');

    await sleep(1100);
    const rotated = await server.services.keys.rotate('RS256');
    const after = await credentials().getToken();
    assert.equal(decode(after, 0).kid, rotated.kid);
    assert.notEqual(decode(after, 0).kid, decode(before, 0).kid);
    assert.equal((await v.verify(after))?.clientId, app.clientId);
    assert.equal(counter.counts.jwks, 2, 'one fetch for the new kid');
    await Promise.all(forged.map(async (token) => assert.equal(await v.verify(token), null)));
    assert.equal(counter.counts.jwks, 2, 'and none for forged kids right after it');
    assert.ok(await v.verify(before), 'the retired key stays in the JWKS until its tokens expire');
  });

  test('the bearer verifier: JWTs checked locally, session bearers by the service; verify() asks the service for either', async () => {
    const counter = countingFetch();
    const bearers = createBearerVerifier({ baseUrl: server.baseUrl, accountId: seeded.accountId, fetch: counter.fetch, cacheTtlMs: 0, now });
    const token = await credentials().getToken();
    const caller = await bearers.verifyCaller(token);
    assert.equal(caller?.type === 'accessToken' && caller.accessToken.clientId, app.clientId);
    assert.equal(counter.counts.session, 0);
    const session = await bearers.verifyCaller(sessionBearer);
    assert.equal(session?.type === 'session' && session.session.userId, seeded.human.user.userId);
    assert.equal(counter.counts.session, 1);
    const remote = await bearers.verify(token);
    assert.ok(remote, 'the service accepts the access token at its bearer check too');
    const local = sessionOfAccessToken((caller as { accessToken: AccessTokenInfo }).accessToken);
    for (const field of ['accountId', 'userId', 'loginName', 'appKey', 'expiresAt'] as const) assert.deepEqual(local[field], remote[field], `the local session view agrees with the service on ${field}`);
    assert.equal(counter.counts.session, 2);
  });

  test('Fastify and Express: an access token reaches the route with its client and scopes; a session bearer with its session', async () => {
    const counter = countingFetch();
    const options = { baseUrl: server.baseUrl, accountId: seeded.accountId, fetch: counter.fetch, now };
    const fastify = Fastify();
    await fastify.register(bearerAuthPlugin, options);
    fastify.get('/me', async (request) => ({ clientId: request.loginAccessToken?.clientId ?? null, scopes: request.loginAccessToken?.scopes ?? null, userId: request.loginSession?.userId ?? null }));
    const expressApp = express();
    expressApp.use(bearerAuthMiddleware(options));
    expressApp.get('/me', (req, res) => {
      res.json({ clientId: req.loginAccessToken?.clientId ?? null, scopes: req.loginAccessToken?.scopes ?? null, userId: req.loginSession?.userId ?? null });
    });
    const listening: Server = expressApp.listen(0, '127.0.0.1');
    await new Promise((resolve) => listening.once('listening', resolve));
    const expressUrl = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
    try {
      const token = await credentials({ scope: ['users.read', 'events.read'] }).getToken();
      const calls = [
        async (authorization: string) => {
          const res = await fastify.inject({ url: '/me', headers: { authorization } });
          return { status: res.statusCode, body: res.json() };
        },
        async (authorization: string) => {
          const res = await fetch(`${expressUrl}/me`, { headers: { authorization } });
          return { status: res.status, body: await res.json() };
        },
      ];
      for (const call of calls) {
        assert.deepEqual(await call(`Bearer ${token}`), { status: 200, body: { clientId: app.clientId, scopes: ['users.read', 'events.read'], userId: app.clientId } });
        assert.deepEqual(await call(`Bearer ${sessionBearer}`), { status: 200, body: { clientId: null, scopes: null, userId: seeded.human.user.userId } });
        const refused = await call(`Bearer ${token.slice(0, -6)}AAAAAA`);
        assert.equal(refused.status, 401);
        assert.equal(refused.body.error.internalCode, 23);
      }
      assert.equal(counter.counts.session, 2, 'one bearer check per framework, for the session bearer only');
    } finally {
      await fastify.close();
      await new Promise((resolve) => listening.close(resolve));
    }
  });
});
