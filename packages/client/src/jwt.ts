/**
 * Local verification of the Login Service's OAuth 2.0 access tokens (RFC 9068
 * JWTs) against the JSON Web Key Set its authorization server publishes: no
 * round trip per request. jose does the JWS work; this module decides what a
 * valid access token of one account is.
 *
 * The price of a local check: a token revoked (or whose installation or user
 * was disabled) stays valid here until its `exp`. Where that matters, ask the
 * service (token introspection, or the bearer check) instead.
 */
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload, type RemoteJWKSet } from 'jose';
import type { FetchLike } from './client.js';
import { LoginServiceError } from './errors.js';

/** The signature algorithms the Login Service issues: RS256 by default, ES256 as an account setting. */
export type AccessTokenAlgorithm = 'RS256' | 'ES256';

export interface JwtVerifierOptions {
  /** The issuer, exactly as in the tokens: `{origin}/sentinel/api/account/{accountId}`. Or give `serviceUrl` and `accountId`. */
  issuer?: string;
  /** The Login Service's public origin, e.g. `https://login.example.com`; with `accountId`, makes the issuer. */
  serviceUrl?: string;
  accountId?: string;
  /** The JWKS address. Default `{issuer}/jwks`. */
  jwksUrl?: string;
  /** The `aud` a token must name. Default the account id (from `accountId`, or the issuer's last segment). */
  audience?: string | string[];
  /** Accepted `alg` values. Default `['RS256', 'ES256']`; `none` and HMAC are never accepted. */
  algorithms?: AccessTokenAlgorithm[];
  /** Seconds of clock skew allowed on `exp`, `nbf` and `iat`. Default 5. */
  clockTolerance?: number;
  /**
   * After fetching the JWKS, a token signed with an unknown `kid` fetches it again only after this
   * long, so forged `kid`s cannot make every request a fetch. Default 30000.
   */
  jwksCooldownMs?: number;
  /** The JWKS is fetched again when older than this, even with no unknown `kid`. Default 600000 (10 minutes). */
  jwksCacheMaxAgeMs?: number;
  /** A JWKS fetch with no answer after this long fails. Default 5000. */
  jwksTimeoutMs?: number;
  fetch?: FetchLike;
  /** The clock of the `exp` check (ms since the epoch); tests move it. */
  now?: () => number;
}

/** A valid access token: who called (the client, and the user it acts for) and what it may do. */
export interface AccessTokenInfo {
  /** The installation (OAuth client) the token was issued to. */
  clientId: string;
  /** The user the token acts for; the client id itself for client credentials. */
  sub: string;
  /** The granted scopes, split (`scope` claim); empty when none. */
  scopes: string[];
  /** The account (the token's audience). */
  accountId: string;
  issuer: string;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
  /** Issue time, ms since the epoch; null when the token has no `iat`. */
  issuedAt: number | null;
  /** The `jti` claim, or null. */
  jwtId: string | null;
  /** Every claim of the token, for anything not above. */
  claims: JWTPayload;
}

export interface JwtVerifier {
  /**
   * The access token's claims, or null when it is not a valid access token of this account
   * (bad signature, unknown key, expired, other issuer or audience, not `at+jwt`, `alg` not allowed).
   * Throws a LoginServiceError when the JWKS cannot be fetched (not a verdict on the token).
   */
  verify(token: string): Promise<AccessTokenInfo | null>;
  /** The issuer the verifier expects. */
  readonly issuer: string;
  readonly jwksUrl: string;
}

/** Three base64url parts separated by dots: a JWS in compact form, which session bearers never are. */
export function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
}

const ISSUER_ACCOUNT = /\/sentinel\/api\/account\/([^/]+)\/?$/;

/** The issuer of an account's tokens on a Login Service. */
export function issuerOf(serviceUrl: string, accountId: string): string {
  return `${serviceUrl.replace(/\/+$/, '')}/sentinel/api/account/${encodeURIComponent(accountId)}`;
}

// Verdicts on the token itself; any other failure (the JWKS unreachable, or not a JWKS) says nothing about it.
const TOKEN_REFUSALS = [
  errors.JWTExpired,
  errors.JWTClaimValidationFailed,
  errors.JWTInvalid,
  errors.JWSInvalid,
  errors.JWSSignatureVerificationFailed,
  errors.JOSEAlgNotAllowed,
  errors.JOSENotSupported,
  errors.JWKSNoMatchingKey,
  errors.JWKSMultipleMatchingKeys,
  errors.JWKInvalid,
];

export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  let issuer: string;
  if (options.issuer) issuer = options.issuer.replace(/\/+$/, '');
  else if (options.serviceUrl && options.accountId) issuer = issuerOf(options.serviceUrl, options.accountId);
  else throw new TypeError('createJwtVerifier needs `issuer`, or `serviceUrl` and `accountId`');
  const issuerAccount = ISSUER_ACCOUNT.exec(issuer)?.[1];
  const audience = options.audience ?? options.accountId ?? (issuerAccount === undefined ? undefined : decodeURIComponent(issuerAccount));
  if (audience === undefined) throw new TypeError('createJwtVerifier needs `audience` (or `accountId`) when the issuer names no account');
  const algorithms = options.algorithms ?? ['RS256', 'ES256'];
  for (const alg of algorithms) {
    if (alg !== 'RS256' && alg !== 'ES256') throw new TypeError(`createJwtVerifier: algorithm ${String(alg)} is not one the Login Service issues`);
  }
  const jwksUrl = options.jwksUrl ?? `${issuer}/jwks`;
  const fetchFn = options.fetch;
  const keys: RemoteJWKSet = createRemoteJWKSet(new URL(jwksUrl), {
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
    timeoutDuration: options.jwksTimeoutMs ?? 5_000,
    ...(fetchFn ? { [customFetch]: (url: string, init: RequestInit) => fetchFn(url, init) } : {}),
  });
  const now = options.now;
  const clockTolerance = options.clockTolerance ?? 5;

  return {
    issuer,
    jwksUrl,
    async verify(token: string): Promise<AccessTokenInfo | null> {
      if (typeof token !== 'string' || !looksLikeJwt(token)) return null;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer,
          audience,
          algorithms,
          typ: 'at+jwt',
          clockTolerance,
          requiredClaims: ['exp', 'sub', 'client_id'],
          ...(now ? { currentDate: new Date(now()) } : {}),
        }));
      } catch (error) {
        if (TOKEN_REFUSALS.some((kind) => error instanceof kind)) return null;
        const reason = error instanceof Error ? error.message : String(error);
        throw new LoginServiceError({ status: null, internalCode: null, message: `access token check failed: the JWKS at ${jwksUrl} could not be read (${reason})`, cause: error });
      }
      const clientId = payload.client_id;
      if (typeof clientId !== 'string' || typeof payload.sub !== 'string') return null;
      const scope = typeof payload.scope === 'string' ? payload.scope : '';
      const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      const accountId = typeof audience === 'string' ? audience : audiences.find((a) => a !== undefined && audience.includes(a))!;
      return {
        clientId,
        sub: payload.sub,
        scopes: scope.split(' ').filter(Boolean),
        accountId,
        issuer,
        expiresAt: payload.exp! * 1000,
        issuedAt: typeof payload.iat === 'number' ? payload.iat * 1000 : null,
        jwtId: typeof payload.jti === 'string' ? payload.jti : null,
        claims: payload,
      };
    },
  };
}
