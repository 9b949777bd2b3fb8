/**
 * The provider's keys: fetched again when a token names a key not yet held (a
 * rotation), but at most once per cooldown, so tokens with made-up key ids
 * cannot make the server fetch for each; and a discovery document that
 * cannot be had is remembered as such for a while.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OidcProviders } from '../../src/sso/oidc.js';
import type { OidcConfig } from '../../src/sso/model.js';
import { makeKey, startJwksProvider, type JwksProvider } from './oidcKeys.js';

let provider: JwksProvider;
let config: OidcConfig;
before(async () => {
  provider = await startJwksProvider();
  config = { issuer: provider.issuer, clientId: 'rotation', displayName: 'x', enforce: false };
});
after(() => provider.close());

const token = (key = provider.key) => provider.idToken({ clientId: 'rotation', now: Date.now(), claims: { preferred_username: 'a' }, key });

test('a new key is fetched on its first token; unknown key ids within the cooldown cost no fetch', async () => {
  const providers = new OidcProviders();
  provider.served = [provider.key];
  assert.equal((await providers.verifyIdToken(await token(), config, Date.now())).ok, true);
  const fetched = provider.hits.get('/jwks') ?? 0;
  for (let i = 0; i < 20; i++) {
    const check = await providers.verifyIdToken(await token(await makeKey()), config, Date.now());
    assert.deepEqual(check, { ok: false, reason: 'unknown_key' });
  }
  assert.ok((provider.hits.get('/jwks') ?? 0) - fetched <= 1, 'at most one fetch within the cooldown');
});

test('after the cooldown, a rotated key is found', async () => {
  const providers = new OidcProviders({ jwksCooldownMs: 0 });
  provider.served = [provider.key];
  assert.equal((await providers.verifyIdToken(await token(), config, Date.now())).ok, true);
  const next = await makeKey();
  provider.served = [provider.key, next];
  const check = await providers.verifyIdToken(await token(next), config, Date.now());
  assert.equal(check.ok, true, JSON.stringify(check));
  provider.served = [provider.key];
});

test('an unreachable provider: refused as provider_unavailable', async () => {
  const providers = new OidcProviders();
  const gone = { ...config, issuer: 'http://127.0.0.1:9' };
  for (let i = 0; i < 3; i++) assert.deepEqual(await providers.verifyIdToken(await token(), gone, Date.now()), { ok: false, reason: 'provider_unavailable' });
});

test('a discovery document naming another issuer is refused, and the failure remembered rather than fetched for each token', async () => {
  const providers = new OidcProviders();
  // Same discovery URL (the trailing slash aside), but the document's issuer is not exactly this one.
  const other = { ...config, issuer: `${provider.issuer}/` };
  const path = '/.well-known/openid-configuration';
  const before = provider.hits.get(path) ?? 0;
  for (let i = 0; i < 5; i++) assert.deepEqual(await providers.verifyIdToken(await token(), other, Date.now()), { ok: false, reason: 'provider_unavailable' });
  assert.equal((provider.hits.get(path) ?? 0) - before, 1);
});
