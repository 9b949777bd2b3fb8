/**
 * Checking an ID token from an account's OpenID Connect provider, with
 * `jose`: the provider's discovery document and its keys (JWKS) are fetched
 * once and cached, so a verification is one signature check and a few
 * comparisons, well under a millisecond (docs/SSO.md, "OpenID Connect").
 *
 * What is fetched is bounded before it is read: a timeout, a size limit, and
 * URLs that must be `https:` (or `http:` on a loopback host). A discovery
 * document is kept DISCOVERY_TTL_MS, a failed fetch is remembered for
 * FAILURE_COOLDOWN_MS, so a stream of tokens cannot make the server fetch for
 * each one. The JWKS is jose's remote key set: fetched again when a token
 * names a key it does not hold (a rotation), at most once per
 * JWKS_COOLDOWN_MS.
 *
 * Algorithms: those the provider advertises
 * (`id_token_signing_alg_values_supported`) that are asymmetric signatures.
 * `none` and HMAC are never accepted, whatever the provider says: an HMAC key
 * would have to be the client secret or, worse, the public key.
 */
import { createRemoteJWKSet, customFetch, errors as jose, jwtVerify, type JWTPayload } from 'jose';
import { DEFAULT_LOGIN_NAME_CLAIMS, providerUrlProblem, type OidcConfig } from './model.js';

/** Clocks of the provider and of this server may differ this much (exp, nbf, iat). */
export const OIDC_CLOCK_SKEW_MS = 60_000;
/** How long a discovery document is used before it is fetched again. */
export const DISCOVERY_TTL_MS = 60 * 60_000;
/** How long a failed discovery is remembered (every login meanwhile is refused as provider_unavailable). */
export const FAILURE_COOLDOWN_MS = 30_000;
/** A fetch from a provider must answer within this. */
export const FETCH_TIMEOUT_MS = 5_000;
/** Largest discovery document or JWKS read: real ones are a few KiB. */
export const MAX_FETCH_BYTES = 256 * 1024;
/** The JWKS is fetched again for an unknown key at most this often. */
export const JWKS_COOLDOWN_MS = 30_000;
/** A JWKS is fetched again after this even when every key is known. */
export const JWKS_MAX_AGE_MS = 10 * 60_000;
/** Oldest ID token accepted, by its `iat`: providers issue them for minutes to an hour. */
export const MAX_ID_TOKEN_AGE_MS = 60 * 60_000;
/**
 * Latest `exp` accepted, from now: the mark against replay is kept until the
 * token expires, so one valid for years would be remembered as long.
 */
export const MAX_ID_TOKEN_VALIDITY_MS = 24 * 60 * 60_000;

/** Asymmetric JWS algorithms jose verifies; what a provider advertises is intersected with this. */
const ASYMMETRIC_ALGORITHMS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);

/** Why an ID token was refused; the audit event names it, the client sees the same 401 for all. */
export type OidcRefusal =
  | 'not_a_jwt'
  | 'provider_unavailable'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'missing_claim'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_time'
  | 'validity_too_long'
  | 'no_login_name';

/** What is used of a provider's discovery document. */
export interface ProviderMetadata {
  issuer: string;
  jwksUri: string;
  authorizationEndpoint: string | null;
  /** The signature algorithms accepted for its ID tokens (asymmetric only). */
  algorithms: string[];
  /** The document as fetched (for openid-client's browser flow). */
  document: Record<string, unknown>;
}

export interface VerifiedIdToken {
  claims: JWTPayload;
  /** `header.payload` as signed: what names this token for the used-token mark (the signature's encoding can vary, this cannot). */
  signedInput: string;
  /** ms since the epoch. */
  expiresAt: number;
}

export type IdTokenCheck = { ok: true; token: VerifiedIdToken } | { ok: false; reason: OidcRefusal };

export class ProviderError extends Error {}

/** A fetch that gives up after FETCH_TIMEOUT_MS and reads at most MAX_FETCH_BYTES of the body. */
export async function limitedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, { ...init, redirect: 'manual', signal: init.signal ?? AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_FETCH_BYTES) {
    await response.body?.cancel();
    throw new ProviderError(`${url}: larger than ${MAX_FETCH_BYTES} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > MAX_FETCH_BYTES) throw new ProviderError(`${url}: larger than ${MAX_FETCH_BYTES} bytes`);
      chunks.push(chunk);
    }
  }
  return new Response(response.status === 204 || response.status === 304 ? null : Buffer.concat(chunks), { status: response.status, headers: response.headers });
}

function parseMetadata(issuer: string, document: unknown): ProviderMetadata {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new ProviderError('discovery: not a JSON object');
  const d = document as Record<string, unknown>;
  // OpenID Connect Discovery 1.0, 4.3: the document's issuer must be exactly the one it was fetched for.
  if (d.issuer !== issuer) throw new ProviderError('discovery: issuer differs from the configured one');
  if (typeof d.jwks_uri !== 'string' || providerUrlProblem(d.jwks_uri)) throw new ProviderError('discovery: jwks_uri is not an https: URL');
  const advertised = Array.isArray(d.id_token_signing_alg_values_supported) ? d.id_token_signing_alg_values_supported : ['RS256'];
  const algorithms = advertised.filter((a): a is string => typeof a === 'string' && ASYMMETRIC_ALGORITHMS.has(a));
  if (algorithms.length === 0) throw new ProviderError('discovery: no asymmetric ID token signing algorithm advertised');
  const authorizationEndpoint = typeof d.authorization_endpoint === 'string' && !providerUrlProblem(d.authorization_endpoint) ? d.authorization_endpoint : null;
  return { issuer, jwksUri: d.jwks_uri, authorizationEndpoint, algorithms, document: d };
}

/** Where an issuer's discovery document is (OpenID Connect Discovery 1.0, 4.1). */
export const discoveryUrl = (issuer: string): string => `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;

/** The login name an ID token carries: the configured claim, or else preferred_username, then email. */
export function loginNameOf(claims: JWTPayload, config: Pick<OidcConfig, 'loginNameClaim'>): string | null {
  const names = config.loginNameClaim !== undefined ? [config.loginNameClaim] : DEFAULT_LOGIN_NAME_CLAIMS;
  for (const name of names) {
    const value = claims[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}

function refusalOf(error: unknown): OidcRefusal {
  if (error instanceof jose.JOSEAlgNotAllowed) return 'algorithm_not_allowed';
  if (error instanceof jose.JWKSNoMatchingKey) return 'unknown_key';
  if (error instanceof jose.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof jose.JWTExpired) return 'expired';
  if (error instanceof jose.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'wrong_issuer';
    if (error.claim === 'aud') return 'wrong_audience';
    if (error.claim === 'nbf') return 'not_yet_valid';
    if (error.claim === 'iat') return 'bad_time';
    return 'missing_claim';
  }
  if (error instanceof jose.JWKSTimeout || error instanceof jose.JWKSInvalid || error instanceof ProviderError || error instanceof TypeError) return 'provider_unavailable';
  if (error instanceof jose.JOSEError) return 'not_a_jwt';
  return 'provider_unavailable';
}

/** Compact JWS: three base64url parts (the signature may not be empty here, unlike `alg: none`'s). */
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/;

interface CachedMetadata {
  until: number;
  value: Promise<ProviderMetadata>;
}

/**
 * The providers' documents and keys, shared by the login method and the
 * browser flow. One per process; each instance of a cluster fetches its own.
 */
export class OidcProviders {
  private readonly metadataCache = new Map<string, CachedMetadata>();
  private readonly keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  private readonly jwksCooldownMs: number;

  constructor(options: { jwksCooldownMs?: number } = {}) {
    this.jwksCooldownMs = options.jwksCooldownMs ?? JWKS_COOLDOWN_MS;
  }

  /** The issuer's discovery document, cached; throws ProviderError (or a fetch error) when it cannot be had. */
  metadata(issuer: string): Promise<ProviderMetadata> {
    const now = Date.now();
    const cached = this.metadataCache.get(issuer);
    if (cached && cached.until > now) return cached.value;
    const value = this.fetchMetadata(issuer);
    const entry: CachedMetadata = { until: now + DISCOVERY_TTL_MS, value };
    this.metadataCache.set(issuer, entry);
    value.catch(() => {
      entry.until = Date.now() + FAILURE_COOLDOWN_MS;
    });
    return value;
  }

  private async fetchMetadata(issuer: string): Promise<ProviderMetadata> {
    const problem = providerUrlProblem(issuer);
    if (problem) throw new ProviderError(`issuer: ${problem}`);
    const response = await limitedFetch(discoveryUrl(issuer), { headers: { accept: 'application/json' } });
    if (response.status !== 200) throw new ProviderError(`discovery: HTTP ${response.status}`);
    return parseMetadata(issuer, await response.json());
  }

  private keys(jwksUri: string): ReturnType<typeof createRemoteJWKSet> {
    let set = this.keySets.get(jwksUri);
    if (!set) {
      set = createRemoteJWKSet(new URL(jwksUri), {
        timeoutDuration: FETCH_TIMEOUT_MS,
        cooldownDuration: this.jwksCooldownMs,
        cacheMaxAge: JWKS_MAX_AGE_MS,
        [customFetch]: (url, options) => limitedFetch(url, options as RequestInit),
      });
      this.keySets.set(jwksUri, set);
    }
    return set;
  }

  /** Checks an ID token against the account's provider at time `now` (ms). Never throws. */
  async verifyIdToken(token: string, config: OidcConfig, now: number): Promise<IdTokenCheck> {
    if (token.length > 16_384 || !COMPACT_JWS.test(token)) return { ok: false, reason: 'not_a_jwt' };
    try {
      const metadata = await this.metadata(config.issuer);
      const { payload } = await jwtVerify(token, this.keys(metadata.jwksUri), {
        issuer: config.issuer,
        audience: config.clientId,
        algorithms: metadata.algorithms,
        clockTolerance: OIDC_CLOCK_SKEW_MS / 1000,
        currentDate: new Date(now),
        maxTokenAge: MAX_ID_TOKEN_AGE_MS / 1000,
        requiredClaims: ['iss', 'aud', 'sub', 'exp', 'iat'],
      });
      // OpenID Connect Core 1.0, 3.1.3.7: with several audiences, or whenever present, azp names this client.
      const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if ((audiences.length > 1 || payload.azp !== undefined) && payload.azp !== config.clientId) return { ok: false, reason: 'wrong_audience' };
      const expiresAt = payload.exp! * 1000;
      if (expiresAt > now + MAX_ID_TOKEN_VALIDITY_MS) return { ok: false, reason: 'validity_too_long' };
      const signedInput = token.slice(0, token.lastIndexOf('.'));
      return { ok: true, token: { claims: payload, signedInput, expiresAt } };
    } catch (error) {
      return { ok: false, reason: refusalOf(error) };
    }
  }
}
