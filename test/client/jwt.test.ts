/**
 * The client package's local access-token check, against a JWKS served over a
 * real socket from keys made in the test with jose: what it accepts, what it
 * refuses, how often it fetches the JWKS, and that the bearer verifier sends
 * JWTs to it and session bearers to the service.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createJwtVerifier, createBearerVerifier, LoginServiceError, looksLikeJwt, type JwtVerifierOptions } from '@login-service/client';
import { startLocalIssuer, type LocalIssuer } from './localIssuer.js';

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createJwtVerifier', () => {
  let issuer: LocalIssuer;
  before(async () => {
    issuer = await startLocalIssuer();
  });
  after(async () => {
    await issuer.close();
  });
  beforeEach(() => {
    issuer.jwksStatus = null;
  });

  const verifier = (extra: Partial<JwtVerifierOptions> = {}) => createJwtVerifier({ serviceUrl: issuer.baseUrl, accountId: issuer.accountId, ...extra });

  test('a valid RS256 access token: its client, subject and scopes', async () => {
    const token = await issuer.sign({ client_id: 'app-7', sub: 'app-7', scope: 'users.read events.read' });
    const info = await verifier().verify(token);
    assert.ok(info);
    assert.equal(info.clientId, 'app-7');
    assert.equal(info.sub, 'app-7');
    assert.deepEqual(info.scopes, ['users.read', 'events.read']);
    assert.equal(info.accountId, issuer.accountId);
    assert.equal(info.issuer, issuer.issuer);
    assert.equal(info.expiresAt, (info.claims.exp as number) * 1000);
    assert.equal(typeof info.jwtId, 'string');
  });

  test('a valid ES256 access token, and the issuer given directly', async () => {
    const es = await issuer.newKey('ES256');
    issuer.published.push(es);
    try {
      const token = await issuer.sign({ sub: '1234' }, { key: es });
      const info = await createJwtVerifier({ issuer: issuer.issuer }).verify(token);
      assert.equal(info?.sub, '1234');
      assert.equal(info?.accountId, issuer.accountId, 'the audience defaults to the account named by the issuer');
      assert.equal(await verifier({ algorithms: ['RS256'] }).verify(token), null, 'ES256 refused when only RS256 is allowed');
    } finally {
      issuer.published.pop();
    }
  });

  test('tampered payload or signature: refused', async () => {
    const token = await issuer.sign();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const v = verifier();
    assert.ok(await v.verify(token), 'the untouched token is accepted');
    assert.equal(await v.verify(`${header}.${b64url({ ...claims, scope: 'users.write' })}.${signature}`), null);
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    assert.equal(await v.verify(`${header}.${payload}.${flipped}`), null);
    assert.equal(await v.verify(`${header}.${payload}.`), null, 'no signature');
  });

  test('expired (past the clock tolerance) refused; within it accepted', async () => {
    const iat = Math.floor(Date.now() / 1000) - 3600;
    const v = verifier({ clockTolerance: 5 });
    assert.equal(await v.verify(await issuer.sign({ iat, exp: Math.floor(Date.now() / 1000) - 30 })), null);
    assert.ok(await v.verify(await issuer.sign({ iat, exp: Math.floor(Date.now() / 1000) - 2 })), 'two seconds late is within 5 s of skew');
    // The verifier's clock decides: moved past exp, a fresh token is expired.
    const token = await issuer.sign({}, { expiresInSeconds: 60 });
    assert.equal(await verifier({ now: () => Date.now() + 120_000 }).verify(token), null);
  });

  test('another issuer or another audience: refused', async () => {
    const v = verifier();
    assert.equal(await v.verify(await issuer.sign({ iss: `${issuer.baseUrl}/sentinel/api/account/654321` })), null);
    assert.equal(await v.verify(await issuer.sign({ iss: 'https://evil.example.com/sentinel/api/account/123456' })), null);
    assert.equal(await v.verify(await issuer.sign({ aud: '654321' })), null);
    assert.ok(await v.verify(await issuer.sign({ aud: ['654321', issuer.accountId] })), 'an audience list naming the account is accepted');
    assert.equal(await verifier({ audience: 'resource-x' }).verify(await issuer.sign()), null, 'an explicit audience is enforced');
  });

  test('alg none, HS256 and a missing or wrong typ: refused', async () => {
    const iat = Math.floor(Date.now() / 1000);
    const claims = { iss: issuer.issuer, aud: issuer.accountId, sub: 'app-1', client_id: 'app-1', iat, exp: iat + 600 };
    const v = verifier();
    assert.equal(await v.verify(`${b64url({ alg: 'none', typ: 'at+jwt' })}.${b64url(claims)}.`), null);
    assert.equal(await v.verify(`${b64url({ alg: 'none', typ: 'at+jwt', kid: issuer.published[0]!.kid })}.${b64url(claims)}.c2ln`), null);
    // HS256 "signed" with the public key's modulus as the secret: the classic key-confusion attempt.
    const { createHmac } = await import('node:crypto');
    const head = `${b64url({ alg: 'HS256', typ: 'at+jwt', kid: issuer.published[0]!.kid })}.${b64url(claims)}`;
    const mac = createHmac('sha256', JSON.stringify(issuer.published[0]!.jwk)).update(head).digest('base64url');
    assert.equal(await v.verify(`${head}.${mac}`), null);
    assert.equal(await v.verify(await issuer.sign({}, { header: { typ: 'JWT' } })), null, 'an ID token or plain JWT is not an access token');
    assert.equal(await v.verify(await issuer.sign({ client_id: undefined })), null, 'no client_id');
  });

  test('a new key is fetched on an unknown kid; forged kids do not make every request a fetch', async () => {
    // Keys made first: an RSA key takes a while, and the cooldown is short.
    const stranger = await issuer.newKey('RS256');
    const rotated = await issuer.newKey('RS256');
    const forged = await Promise.all(Array.from({ length: 20 }, () => issuer.sign({}, { key: stranger })));
    const v = verifier({ jwksCooldownMs: 1000 });
    assert.ok(await v.verify(await issuer.sign()));
    const fetchesAfterFirst = issuer.counts.jwks;
    assert.ok(await v.verify(await issuer.sign()));
    assert.equal(issuer.counts.jwks, fetchesAfterFirst, 'a known kid is answered from the cached JWKS');

    // Forged kids within the cooldown: refused with no fetch.
    for (const token of forged) assert.equal(await v.verify(token), null);
    assert.equal(issuer.counts.jwks, fetchesAfterFirst, 'no fetch within the cooldown');

    // Rotation: the server publishes a new current key; after the cooldown its first token fetches the JWKS once.
    await sleep(1050);
    issuer.published.unshift(rotated);
    try {
      const before = issuer.counts.jwks;
      const info = await v.verify(await issuer.sign({ sub: 'after-rotation' }, { key: rotated }));
      assert.equal(info?.sub, 'after-rotation');
      assert.equal(issuer.counts.jwks, before + 1, 'one fetch for the new kid');
      // Unknown kids right after that fetch: refused, rate-limited again.
      await Promise.all(forged.map(async (token) => assert.equal(await v.verify(token), null)));
      assert.equal(issuer.counts.jwks, before + 1, 'still one fetch');
      // The previous key stays published until its tokens expire: its tokens still pass.
      assert.ok(await v.verify(await issuer.sign({}, { key: issuer.published[1] })));
    } finally {
      issuer.published.shift();
    }
  });

  test('the JWKS is fetched again when older than jwksCacheMaxAgeMs', async () => {
    const v = verifier({ jwksCacheMaxAgeMs: 200 });
    assert.ok(await v.verify(await issuer.sign()));
    const first = issuer.counts.jwks;
    assert.ok(await v.verify(await issuer.sign()));
    assert.equal(issuer.counts.jwks, first);
    await sleep(250);
    assert.ok(await v.verify(await issuer.sign()));
    assert.equal(issuer.counts.jwks, first + 1);
  });

  test('the JWKS unreachable: a LoginServiceError (retryable), not a verdict on the token', async () => {
    const token = await issuer.sign();
    issuer.jwksStatus = 503;
    await assert.rejects(verifier().verify(token), (error: unknown) => error instanceof LoginServiceError && error.retryable && error.status === null);
    const nobody = createJwtVerifier({ serviceUrl: 'http://127.0.0.1:1', accountId: issuer.accountId });
    await assert.rejects(nobody.verify(token), LoginServiceError);
  });

  test('options that cannot work are refused when the verifier is made', () => {
    assert.throws(() => createJwtVerifier({} as JwtVerifierOptions), TypeError);
    assert.throws(() => createJwtVerifier({ issuer: 'https://idp.example.com' }), /audience/);
    assert.throws(() => createJwtVerifier({ issuer: issuer.issuer, algorithms: ['HS256' as 'RS256'] }), TypeError);
  });

  test('looksLikeJwt: three base64url parts, which session bearers never are', async () => {
    assert.ok(looksLikeJwt(await issuer.sign()));
    assert.ok(!looksLikeJwt('a'.repeat(64)));
    assert.ok(!looksLikeJwt('a.b'));
    assert.ok(!looksLikeJwt('a.b.c.d'));
    assert.ok(!looksLikeJwt('a+b.c.d'));
  });
});

describe('createBearerVerifier routes bearers by their shape', () => {
  let issuer: LocalIssuer;
  before(async () => {
    issuer = await startLocalIssuer();
  });
  after(async () => {
    await issuer.close();
  });

  test('a JWT is checked locally (no bearer check); a session bearer goes to the service', async () => {
    const verifier = createBearerVerifier({ baseUrl: issuer.baseUrl, accountId: issuer.accountId });
    const sessionChecks = issuer.counts.session;
    for (let i = 0; i < 5; i++) {
      const caller = await verifier.verifyCaller(await issuer.sign({ sub: `u${i}` }));
      assert.equal(caller?.type, 'accessToken');
      assert.equal(caller?.type === 'accessToken' && caller.accessToken.sub, `u${i}`);
    }
    assert.equal(issuer.counts.session, sessionChecks, 'no JWT reached the bearer check');
    assert.equal(await verifier.verifyCaller(await issuer.sign({ aud: 'other' })), null);
    assert.equal(issuer.counts.session, sessionChecks, 'nor a refused one');

    const caller = await verifier.verifyCaller(issuer.sessionBearer);
    assert.deepEqual(caller, { type: 'session', session: issuer.session });
    assert.equal(issuer.counts.session, sessionChecks + 1);
    assert.equal(await verifier.verifyCaller('c'.repeat(64)), null);
    assert.equal(issuer.counts.session, sessionChecks + 2);
  });

  test('jwt: false sends JWTs to the service like any bearer; verify() always asks the service', async () => {
    const token = await issuer.sign();
    const remoteOnly = createBearerVerifier({ baseUrl: issuer.baseUrl, accountId: issuer.accountId, jwt: false });
    const before = issuer.counts.session;
    assert.equal(await remoteOnly.verifyCaller(token), null, 'this service answers 401 for it');
    assert.equal(issuer.counts.session, before + 1);
    const both = createBearerVerifier({ baseUrl: issuer.baseUrl, accountId: issuer.accountId, cacheTtlMs: 0 });
    await both.verify(token);
    assert.equal(issuer.counts.session, before + 2);
  });

  test('jwt options reach the local check (here: another issuer origin)', async () => {
    const verifier = createBearerVerifier({ baseUrl: 'http://127.0.0.1:1', accountId: issuer.accountId, jwt: { issuer: issuer.issuer } });
    const caller = await verifier.verifyCaller(await issuer.sign());
    assert.equal(caller?.type, 'accessToken');
    const shared = createJwtVerifier({ issuer: issuer.issuer });
    const sharing = createBearerVerifier({ baseUrl: 'http://127.0.0.1:1', accountId: issuer.accountId, jwt: shared });
    assert.equal((await sharing.verifyCaller(await issuer.sign()))?.type, 'accessToken');
  });

  test('a JWT longer than a session bearer may be is checked locally', async () => {
    const token = await issuer.sign({ scope: Array.from({ length: 300 }, (_, i) => `scope${i}.read`).join(' ') });
    assert.ok(token.length > 4096);
    const verifier = createBearerVerifier({ baseUrl: issuer.baseUrl, accountId: issuer.accountId });
    const caller = await verifier.verifyCaller(token);
    assert.equal(caller?.type === 'accessToken' && caller.accessToken.scopes.length, 300);
  });
});
