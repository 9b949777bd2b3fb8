/**
 * Bearer verification for other services. Two kinds of bearer reach a service:
 *
 * - session bearers (from a login): the verifier asks the Login Service's
 *   bearer check (GET /api/account/{accountId}/session) and keeps the answer
 *   briefly, so a busy service makes one check per token per few seconds, not
 *   per request. The price of the cache is staleness: a bearer ended by logout
 *   is still accepted for at most `cacheTtlMs`. An answer is never kept past
 *   the session's own expiry. Failures to reach the service are never cached.
 * - OAuth 2.0 access tokens (JWTs: three base64url parts): checked locally
 *   against the authorization server's JWKS (jwt.ts), with no round trip; a
 *   revocation is not seen before the token's `exp`.
 */
import type { FetchLike } from './client.js';
import { errorFromResponse, networkError } from './errors.js';
import { createJwtVerifier, looksLikeJwt, type AccessTokenInfo, type JwtVerifier, type JwtVerifierOptions } from './jwt.js';
import { BEARER_INVALID_MESSAGE, InternalCode, bearerToken, createErrorBodyFactory, type ErrorBody, type SessionInfo } from './protocol.js';

export interface BearerVerifierOptions {
  /** The Login Service, e.g. `https://login.example.com` (no trailing path). */
  baseUrl: string;
  accountId: string;
  /** How long an answer (valid or not) is reused. Default 5000; 0 turns the cache off. */
  cacheTtlMs?: number;
  /** Most tokens remembered; the least recently used go first. Default 10000. */
  maxEntries?: number;
  fetch?: FetchLike;
  /** Clock of the cache (ms since the epoch); tests move it. */
  now?: () => number;
  /** A check with no answer after this long fails. Default 10 seconds. */
  requestTimeoutMs?: number;
  /**
   * How `verifyCaller` (and so the Fastify and Express adapters) checks access tokens (JWTs).
   * Default: locally, against `{baseUrl}/sentinel/api/account/{accountId}/jwks`, with the issuer
   * `{baseUrl}/sentinel/api/account/{accountId}` and the audience `accountId`. Pass options to change
   * any of that (e.g. `issuer` when the authorization server has another origin), a JwtVerifier to
   * share one, or false to send JWTs to the service's bearer check like session bearers.
   */
  jwt?: Partial<JwtVerifierOptions> | JwtVerifier | false;
}

/**
 * An access token seen as a session, for code written for session bearers: as the service's bearer
 * check answers for one, `userId` is the token's `sub` and `appKey` its client id; a client's token
 * has `loginName` `client:<client_id>`. What a local check cannot know is left at its least:
 * no privileges, not an administrator, and (a person's token) an empty `loginName`.
 */
export function sessionOfAccessToken(token: AccessTokenInfo): SessionInfo {
  return {
    accountId: token.accountId,
    userId: token.sub,
    loginName: token.sub === token.clientId ? `client:${token.clientId}` : '',
    userPrivileges: [],
    isAdmin: false,
    isLPA: false,
    appKey: token.clientId,
    createdAt: token.issuedAt ?? token.expiresAt,
    expiresAt: token.expiresAt,
  };
}

/** Who a valid bearer belongs to: a login's session, or an OAuth 2.0 access token checked locally. */
export type BearerCaller =
  | { type: 'session'; session: SessionInfo }
  | { type: 'accessToken'; accessToken: AccessTokenInfo };

export interface BearerVerifier {
  /**
   * The session a bearer belongs to, or null when it is unknown, expired, ended or of another account,
   * as the service's bearer check answers it (for any bearer, access tokens included: a revocation is
   * seen at once, within `cacheTtlMs`). Throws a LoginServiceError when the service cannot answer.
   */
  verify(token: string): Promise<SessionInfo | null>;
  /**
   * The caller a bearer belongs to, or null when it is not valid. JWT-shaped bearers (three base64url
   * parts) are checked locally against the JWKS (unless `jwt: false`); session bearers go to `verify`.
   * Throws a LoginServiceError when the service or the JWKS cannot be reached.
   */
  verifyCaller(token: string): Promise<BearerCaller | null>;
  /** Forgets every cached answer (the JWKS excepted: it has its own age and cooldown). */
  clear(): void;
}

interface CachedAnswer {
  session: SessionInfo | null;
  until: number;
}

export function createBearerVerifier(options: BearerVerifierOptions): BearerVerifier {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const sessionUrl = `${baseUrl}/api/account/${encodeURIComponent(options.accountId)}/session`;
  const ttl = options.cacheTtlMs ?? 5000;
  const maxEntries = Math.max(1, options.maxEntries ?? 10_000);
  const fetchFn: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const now = options.now ?? Date.now;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;

  // A Map iterates in insertion order: re-inserting on a hit makes the first key the least recently used.
  const cache = new Map<string, CachedAnswer>();
  const inFlight = new Map<string, Promise<SessionInfo | null>>();
  // Bumped by clear(), so a check already under way does not refill the cache with an old answer.
  let generation = 0;

  async function ask(token: string): Promise<SessionInfo | null> {
    let response: Response;
    try {
      response = await fetchFn(sessionUrl, {
        method: 'GET',
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (cause) {
      throw networkError('bearer check', cause);
    }
    if (response.status === 401) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) throw await errorFromResponse(response, 'bearer check');
    return (await response.json()) as SessionInfo;
  }

  function remember(token: string, session: SessionInfo | null): void {
    const at = now();
    const until = Math.min(at + ttl, session ? session.expiresAt : Infinity);
    if (until <= at) return;
    cache.delete(token);
    cache.set(token, { session, until });
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
  }

  const jwtOption = options.jwt ?? {};
  const jwtVerifier: JwtVerifier | null =
    jwtOption === false
      ? null
      : 'verify' in jwtOption
        ? jwtOption
        : createJwtVerifier({ serviceUrl: baseUrl, accountId: options.accountId, fetch: options.fetch, now: options.now, ...jwtOption });

  async function verify(token: string): Promise<SessionInfo | null> {
    // The check's own rule for a well-formed token; anything else could not be sent in a header anyway.
    if (typeof token !== 'string' || bearerToken(`Bearer ${token}`) !== token) return null;
    const hit = cache.get(token);
    if (hit) {
      cache.delete(token);
      if (hit.until > now()) {
        cache.set(token, hit);
        return hit.session;
      }
    }
    const pending = inFlight.get(token);
    if (pending) return pending;
    const started = generation;
    const check = ask(token)
      .then((session) => {
        if (started === generation) remember(token, session);
        return session;
      })
      .finally(() => inFlight.delete(token));
    inFlight.set(token, check);
    return check;
  }

  async function verifyCaller(token: string): Promise<BearerCaller | null> {
    if (jwtVerifier && typeof token === 'string' && looksLikeJwt(token)) {
      const accessToken = await jwtVerifier.verify(token);
      return accessToken ? { type: 'accessToken', accessToken } : null;
    }
    const session = await verify(token);
    return session ? { type: 'session', session } : null;
  }

  return {
    verify,
    verifyCaller,
    clear(): void {
      generation++;
      cache.clear();
      inFlight.clear();
    },
  };
}

export type BearerAuthOptions = (BearerVerifierOptions | { verifier: BearerVerifier }) & {
  /** IANA zone of the `time` in error bodies. Default UTC. */
  serverTimeZone?: string;
};

/**
 * What to do with a request: let it through with its caller, or answer with the contract's error shape.
 * `session` is set for every caller (for an access token, `sessionOfAccessToken`'s view of it, so code
 * written for session bearers keeps working); `accessToken` only for an access token.
 */
export type BearerAuthOutcome =
  | { caller: BearerCaller; session: SessionInfo; accessToken: AccessTokenInfo | null }
  | { caller: null; session: null; accessToken: null; status: number; headers: Record<string, string>; body: ErrorBody; cause?: unknown };

/**
 * A JWT in an `Authorization: Bearer` header beyond the 4096 characters the
 * service's own rule (`bearerToken`) allows: checked locally, a token with a
 * long list of scopes need not fit the service's limit. Three base64url
 * parts, at most 8 KiB.
 */
function jwtBearer(header: string | undefined): string | null {
  if (!header || header.length > 8200) return null;
  const m = /^Bearer[ ]+([\w-]+\.[\w-]+\.[\w-]*)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/** The framework-neutral core of bearerAuthPlugin and bearerAuthMiddleware. */
export function bearerAuthenticator(options: BearerAuthOptions): (authorization: string | undefined) => Promise<BearerAuthOutcome> {
  const verifier = 'verifier' in options ? options.verifier : createBearerVerifier(options);
  const now = ('now' in options && options.now) || Date.now;
  const errorBody = createErrorBodyFactory(options.serverTimeZone ?? 'UTC');
  const refuse = (challenge: string): BearerAuthOutcome => ({
    caller: null,
    session: null,
    accessToken: null,
    status: 401,
    headers: { 'www-authenticate': challenge },
    body: errorBody(401, InternalCode.BEARER_INVALID, BEARER_INVALID_MESSAGE, now()),
  });

  return async (authorization) => {
    const token = bearerToken(authorization) ?? jwtBearer(authorization);
    if (!token) return refuse('Bearer');
    try {
      const caller = await verifier.verifyCaller(token);
      if (!caller) return refuse('Bearer error="invalid_token"');
      return caller.type === 'session'
        ? { caller, session: caller.session, accessToken: null }
        : { caller, session: sessionOfAccessToken(caller.accessToken), accessToken: caller.accessToken };
    } catch (cause) {
      // Not the caller's fault and not a verdict on the token: say the check is unavailable.
      return {
        caller: null,
        session: null,
        accessToken: null,
        status: 503,
        headers: { 'retry-after': '5' },
        body: errorBody(503, InternalCode.UNAVAILABLE, 'Service unavailable: the bearer could not be checked', now()),
        cause,
      };
    }
  };
}
