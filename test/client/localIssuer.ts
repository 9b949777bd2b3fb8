/**
 * A local authorization server for the client package's tests: publishes a
 * JWKS of keys made here with jose, signs access tokens shaped like the Login
 * Service's (RFC 9068), answers the bearer check for one session bearer, and
 * counts every request, so tests can see which check a bearer went to and how
 * often the JWKS was fetched.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { SessionInfo } from '@login-service/client';

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  jwk: JWK;
}

export interface TokenRequest {
  headers: IncomingHttpHeaders;
  url: string;
  body: string;
}

export interface LocalIssuer {
  baseUrl: string;
  accountId: string;
  issuer: string;
  /** Keys in the JWKS, current first; tests add and remove. */
  published: SigningKey[];
  counts: { jwks: number; session: number; token: number };
  /** The one session bearer the bearer check accepts, and what it answers. */
  sessionBearer: string;
  session: SessionInfo;
  /** Answers the token endpoint with; default a fresh token each time. */
  tokenAnswer: (request: TokenRequest) => Promise<{ status: number; body: unknown }> | { status: number; body: unknown };
  tokenRequests: TokenRequest[];
  /** When set, the JWKS answers with this status. */
  jwksStatus: number | null;
  newKey(alg?: 'RS256' | 'ES256'): Promise<SigningKey>;
  /** An access token of this issuer signed with `key` (default the first published), claims and header overridable. */
  sign(claims?: JWTPayload, options?: { key?: SigningKey; header?: Record<string, unknown>; expiresInSeconds?: number }): Promise<string>;
  close(): Promise<void>;
}

export async function startLocalIssuer(accountId = '123456'): Promise<LocalIssuer> {
  let keyCount = 0;
  const issuerState = {} as LocalIssuer;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      void (async () => {
        const path = (req.url ?? '').split('?')[0]!;
        const send = (status: number, value: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(JSON.stringify(value));
        };
        if (path === `/sentinel/api/account/${accountId}/jwks`) {
          issuerState.counts.jwks++;
          if (issuerState.jwksStatus) return send(issuerState.jwksStatus, { error: 'down' });
          return send(200, { keys: issuerState.published.map((k) => k.jwk) });
        }
        if (path === `/api/account/${accountId}/session`) {
          issuerState.counts.session++;
          if (req.headers.authorization === `Bearer ${issuerState.sessionBearer}`) return send(200, issuerState.session);
          return send(401, { error: { time: 'Jun 1, 2026 12:00:00 PM', message: 'no', internalCode: 23, responseStatus: 'UNAUTHORIZED' } });
        }
        if (path === `/sentinel/api/account/${accountId}/app/token` && req.method === 'POST') {
          issuerState.counts.token++;
          const request = { headers: req.headers, url: req.url ?? '', body };
          issuerState.tokenRequests.push(request);
          const answer = await issuerState.tokenAnswer(request);
          return send(answer.status, answer.body);
        }
        send(404, { error: 'not found' });
      })().catch(() => {
        res.writeHead(500);
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const now = Date.now();

  Object.assign(issuerState, {
    baseUrl,
    accountId,
    issuer: `${baseUrl}/sentinel/api/account/${accountId}`,
    published: [],
    counts: { jwks: 0, session: 0, token: 0 },
    sessionBearer: 'b'.repeat(64),
    session: { accountId, userId: '42', loginName: 'Agent.Smith', userPrivileges: [], isAdmin: false, isLPA: false, appKey: null, createdAt: now, expiresAt: now + 3_600_000 },
    tokenRequests: [],
    jwksStatus: null,
    tokenAnswer: async () => ({
      status: 200,
      body: { access_token: await issuerState.sign({ client_id: 'app-1', sub: 'app-1', scope: 'users.read' }), token_type: 'Bearer', expires_in: 3600, scope: 'users.read' },
    }),
    async newKey(alg: 'RS256' | 'ES256' = 'RS256'): Promise<SigningKey> {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const kid = `key-${++keyCount}-${alg}`;
      const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
      return { kid, alg, privateKey, jwk };
    },
    async sign(claims: JWTPayload = {}, options: { key?: SigningKey; header?: Record<string, unknown>; expiresInSeconds?: number } = {}): Promise<string> {
      const key = options.key ?? issuerState.published[0]!;
      const iat = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: issuerState.issuer,
        aud: accountId,
        sub: 'app-1',
        client_id: 'app-1',
        azp: 'app-1',
        scope: 'users.read',
        iat,
        exp: iat + (options.expiresInSeconds ?? 3600),
        jti: randomUUID(),
        ...claims,
      })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...options.header })
        .sign(key.privateKey);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  } satisfies Partial<LocalIssuer>);
  issuerState.published.push(await issuerState.newKey('RS256'));
  return issuerState;
}
