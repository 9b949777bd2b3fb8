/**
 * A minimal OpenID Connect provider for the JSON login path's tests: its
 * discovery document and JWKS served over a real socket on a free loopback
 * port, and ID tokens signed with keys made by `jose`. (The browser flow's
 * tests run the full `oidc-provider` instead: oidcProvider.ts.)
 */
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';

export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeKey(kid: string = randomUUID()): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export interface JwksProvider {
  issuer: string;
  key: TestKey;
  /** Keys served in the JWKS (replace to rotate). */
  served: TestKey[];
  /** Algorithms the discovery document advertises. */
  algorithms: string[];
  /** Requests seen, by path. */
  hits: Map<string, number>;
  /** An ID token for `clientId`, at `now` (ms), signed by `key` unless told otherwise. */
  idToken(o: { clientId: string; now: number; claims?: JWTPayload; key?: TestKey; lifetimeMs?: number; header?: Record<string, unknown> }): Promise<string>;
  close(): Promise<void>;
}

export async function startJwksProvider(): Promise<JwksProvider> {
  const key = await makeKey();
  const hits = new Map<string, number>();
  const provider: Partial<JwksProvider> = { key, served: [key], algorithms: ['RS256'], hits };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    res.setHeader('content-type', 'application/json');
    if (path === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({
        issuer: provider.issuer,
        jwks_uri: `${provider.issuer}/jwks`,
        authorization_endpoint: `${provider.issuer}/auth`,
        token_endpoint: `${provider.issuer}/token`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: provider.algorithms,
      }));
    } else if (path === '/jwks') {
      res.end(JSON.stringify({ keys: provider.served!.map((k) => k.publicJwk) }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  provider.issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  provider.idToken = async ({ clientId, now, claims = {}, key: signer = provider.key!, lifetimeMs = 5 * 60_000, header = {} }) => {
    const iat = Math.floor(now / 1000);
    return new SignJWT({ sub: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: signer.kid, typ: 'JWT', ...header })
      .setIssuer(typeof claims.iss === 'string' ? claims.iss : provider.issuer!)
      .setAudience((claims.aud as string | string[] | undefined) ?? clientId)
      .setIssuedAt(typeof claims.iat === 'number' ? claims.iat : iat)
      .setExpirationTime(typeof claims.exp === 'number' ? claims.exp : iat + Math.floor(lifetimeMs / 1000))
      .sign(signer.privateKey);
  };
  provider.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return provider as JwksProvider;
}
