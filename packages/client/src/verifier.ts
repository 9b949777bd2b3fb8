/**
 * Bearer verification for other services: asks the Login Service's bearer
 * check (GET /api/account/{accountId}/session) and keeps the answer briefly,
 * so a busy service makes one check per token per few seconds, not per request.
 *
 * The price of the cache is staleness: a bearer ended by logout is still
 * accepted for at most `cacheTtlMs`. An answer is never kept past the
 * session's own expiry. Failures to reach the service are never cached.
 */
import type { FetchLike } from './client.js';
import { errorFromResponse, networkError } from './errors.js';
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
}

export interface BearerVerifier {
  /** The session a bearer belongs to, or null when it is unknown, expired, ended or of another account. Throws a LoginServiceError when the service cannot answer. */
  verify(token: string): Promise<SessionInfo | null>;
  /** Forgets every cached answer. */
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

  return {
    async verify(token: string): Promise<SessionInfo | null> {
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
    },
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

/** What to do with a request: let it through with its session, or answer with the contract's error shape. */
export type BearerAuthOutcome =
  | { session: SessionInfo }
  | { session: null; status: number; headers: Record<string, string>; body: ErrorBody; cause?: unknown };

/** The framework-neutral core of bearerAuthPlugin and bearerAuthMiddleware. */
export function bearerAuthenticator(options: BearerAuthOptions): (authorization: string | undefined) => Promise<BearerAuthOutcome> {
  const verifier = 'verifier' in options ? options.verifier : createBearerVerifier(options);
  const now = ('now' in options && options.now) || Date.now;
  const errorBody = createErrorBodyFactory(options.serverTimeZone ?? 'UTC');
  const refuse = (challenge: string): BearerAuthOutcome => ({
    session: null,
    status: 401,
    headers: { 'www-authenticate': challenge },
    body: errorBody(401, InternalCode.BEARER_INVALID, BEARER_INVALID_MESSAGE, now()),
  });

  return async (authorization) => {
    const token = bearerToken(authorization);
    if (!token) return refuse('Bearer');
    try {
      const session = await verifier.verify(token);
      return session ? { session } : refuse('Bearer error="invalid_token"');
    } catch (cause) {
      // Not the caller's fault and not a verdict on the token: say the check is unavailable.
      return {
        session: null,
        status: 503,
        headers: { 'retry-after': '5' },
        body: errorBody(503, InternalCode.UNAVAILABLE, 'Service unavailable: the bearer could not be checked', now()),
        cause,
      };
    }
  };
}
