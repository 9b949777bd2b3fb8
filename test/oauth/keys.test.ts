/**
 * Signing keys: verified by a resource server through the JWKS across a
 * rotation; ES256 as an account setting; and two instances on one
 * PostgreSQL + Redis, where a revocation on one is seen by the other at once
 * and a rotation on one reaches the other on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { listSigningKeys } from '../../src/oauth/keys.js';
import { seedAccount, type TestServer } from '../helpers/server.js';
import { createTestDatabase } from '../store/postgresDatabase.js';
import { basic, install, issuerOf, postForm, startOAuthServer, type TestInstallation } from './helpers.js';

async function clientCredentials(server: TestServer, accountId: string, app: TestInstallation) {
  const res = await postForm(`${issuerOf(server, accountId)}/app/token?v=1.0`, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.secret) });
  assert.equal(res.status, 200, res.text);
  return res.json.access_token as string;
}

test('createRemoteJWKSet verifies tokens before and after a rotation; the retired key stays in the JWKS', async () => {
  const server = await startOAuthServer();
  try {
    const { accountId } = await seedAccount(server);
    const issuer = issuerOf(server, accountId);
    const app = await install(server, accountId);
    // No cooldown: the test does not wait the 30 s jose waits by default before fetching again for an unknown kid.
    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`), { cooldownDuration: 0 });
    const verify = (token: string) => jwtVerify(token, jwks, { issuer, audience: accountId, typ: 'at+jwt', currentDate: new Date(server.clock.now()) });

    const before = await clientCredentials(server, accountId, app);
    await verify(before);
    const oldKid = decodeProtectedHeader(before).kid;
    const rotated = await server.services.keys.rotate('RS256');
    assert.notEqual(rotated.kid, oldKid);
    const after = await clientCredentials(server, accountId, app);
    assert.equal(decodeProtectedHeader(after).kid, rotated.kid, 'new tokens are signed with the new key');
    await verify(after);
    await verify(before);
    const served = (await (await fetch(`${issuer}/jwks`)).json()) as JSONWebKeySet;
    const kids = served.keys.map((k) => k.kid);
    assert.ok(kids.includes(oldKid) && kids.includes(rotated.kid));
    assert.ok(served.keys.every((k) => k.d === undefined && k.p === undefined), 'no private part in the JWKS');
    const listed = await listSigningKeys(server.stores);
    assert.deepEqual(listed.filter((k) => k.current).map((k) => k.alg).sort(), ['ES256', 'RS256']);
    assert.ok(listed.find((k) => k.kid === oldKid)?.retiredAt !== null);
  } finally {
    await server.close();
  }
});

test('the account setting oauthSignWithEs256: tokens signed ES256, verified through the JWKS', async () => {
  const server = await startOAuthServer();
  try {
    const { accountId } = await seedAccount(server);
    const account = (await server.stores.accounts.getAccount(accountId))!;
    await server.stores.accounts.updateAccount(accountId, { settings: { ...account.settings, oauthSignWithEs256: true } });
    const app = await install(server, accountId);
    const token = await clientCredentials(server, accountId, app);
    assert.equal(decodeProtectedHeader(token).alg, 'ES256');
    const issuer = issuerOf(server, accountId);
    const jwks = (await (await fetch(`${issuer}/jwks`)).json()) as JSONWebKeySet;
    await jwtVerify(token, createLocalJWKSet(jwks), { issuer, audience: accountId, currentDate: new Date(server.clock.now()) });
  } finally {
    await server.close();
  }
});

const pgUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;

test('two instances on one PostgreSQL + Redis: a revocation on one is seen by the other at once; a rotation reaches the other', { skip: pgUrl && redisUrl ? false : 'TEST_DATABASE_URL and TEST_REDIS_URL are needed' }, async () => {
  const db = await createTestDatabase(pgUrl!);
  const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: `test-oauth-keys-${randomBytes(4).toString('hex')}:`, OAUTH_KEYS_REFRESH_SECONDS: '5' };
  const one = await startOAuthServer({ env });
  const two = await startOAuthServer({ env, clock: one.clock });
  try {
    // Both instances name the same issuer, as behind one load balancer.
    two.config.publicHost = one.config.publicHost;
    const { accountId } = await seedAccount(one);
    const app = await install(one, accountId);
    const introspectAt = async (server: TestServer, token: string) =>
      (await postForm(`${server.baseUrl}/sentinel/api/account/${accountId}/introspect`, { token }, { authorization: basic(app.clientId, app.secret) })).json;

    const token = await clientCredentials(one, accountId, app);
    assert.equal((await introspectAt(two, token)).active, true, 'signed on one, live on the other');
    const revoked = await postForm(`${one.baseUrl}/sentinel/api/account/${accountId}/revoke`, { token }, { authorization: basic(app.clientId, app.secret) });
    assert.equal(revoked.status, 200);
    assert.deepEqual(await introspectAt(two, token), { active: false });

    const kidBefore = decodeProtectedHeader(await clientCredentials(two, accountId, app)).kid;
    const rotated = await one.services.keys.rotate('RS256');
    const signedOnOne = await clientCredentials(one, accountId, app);
    assert.equal(decodeProtectedHeader(signedOnOne).kid, rotated.kid);
    assert.equal((await introspectAt(two, signedOnOne)).active, true, 'an unknown kid makes the other instance read the keys again');
    one.clock.advance(6_000);
    const signedOnTwo = await clientCredentials(two, accountId, app);
    assert.notEqual(kidBefore, rotated.kid);
    assert.equal(decodeProtectedHeader(signedOnTwo).kid, rotated.kid, 'after OAUTH_KEYS_REFRESH_SECONDS the other instance signs with the new key');
  } finally {
    await two.close();
    await one.close();
    await db.drop();
  }
});

test('the first start makes one current key of each alg; a second start adds none', async () => {
  const { bootstrapStore } = await import('../../src/serve.js');
  const { openStores } = await import('../../src/store/index.js');
  const { loadConfig } = await import('../../src/config.js');
  const { ManualClock } = await import('../../src/clock.js');
  const { PasswordHasher } = await import('../../src/security/passwords.js');
  const stores = await openStores({ databaseUrl: 'sqlite::memory:' });
  const hasher = new PasswordHasher();
  try {
    const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', PORT: '0' });
    const out = { write: () => true } as unknown as NodeJS.WritableStream;
    await bootstrapStore(stores, config, { clock: new ManualClock(Date.now()), hasher, out });
    const first = await listSigningKeys(stores);
    assert.deepEqual(first.filter((k) => k.current).map((k) => k.alg).sort(), ['ES256', 'RS256']);
    await bootstrapStore(stores, config, { clock: new ManualClock(Date.now()), hasher, out });
    assert.deepEqual((await listSigningKeys(stores)).map((k) => k.kid), first.map((k) => k.kid));
  } finally {
    await stores.close();
  }
});
