/**
 * OAuth 2.0 applications: what the authorization server keeps.
 *
 * - Installations are API keys of type `oauth2` with OAuth fields
 *   (`ApiKey.installation`, directory/model.ts): one store, two views, so
 *   Application Login keeps accepting their client id and secret.
 * - Authorization codes, refresh-token families and revoked access tokens
 *   live where sessions do (SQL, or Redis when configured): `OAuthGrantStore`.
 * - Signing keys live in SQL, shared by every instance: `SigningKeyStore`.
 *
 * Every token and code appears only as a SHA-256 digest (security/tokens.ts
 * `hashToken`). Times are milliseconds since the epoch, as everywhere.
 */

export type GrantType = 'client_credentials' | 'authorization_code' | 'refresh_token';
export const GRANT_TYPES: readonly GrantType[] = ['client_credentials', 'authorization_code', 'refresh_token'];

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';
export const TOKEN_ENDPOINT_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'none'];

/**
 * The OAuth fields of an installation (the original's application manifest).
 * An `oauth2` API key made by `apikey create --type oauth2` has none stored
 * (`ApiKey.installation` null) and is seen as `defaultInstallation(name)`.
 */
export interface InstallationFields {
  clientName: string;
  displayName: string;
  description: string;
  logoUri: string | null;
  grantTypes: GrantType[];
  redirectUris: string[];
  responseTypes: Array<'code'>;
  /** Space-separated API scopes the application may ask for. */
  scope: string;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  enabled: boolean;
  updatedAt: number;
  /**
   * Access tokens issued before this time are dead: set when the installation
   * is disabled (or made public), so enabling it again revives none of them.
   */
  tokensNotBefore?: number;
}

export const defaultInstallation = (name: string, at: number): InstallationFields => ({
  clientName: name,
  displayName: '',
  description: '',
  logoUri: null,
  grantTypes: ['client_credentials'],
  redirectUris: [],
  responseTypes: ['code'],
  scope: '',
  tokenEndpointAuthMethod: 'client_secret_basic',
  enabled: true,
  updatedAt: at,
});

/** An authorization code as stored: single use, at most 60 s. */
export interface AuthorizationCode {
  codeHash: string;
  accountId: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  scope: string;
  nonce: string | null;
  /** The PKCE S256 challenge, when one was sent. */
  codeChallenge: string | null;
  /** When the person authenticated (ID token `auth_time`), and how (`amr`). */
  authTime: number;
  amr: string[];
  /** The family every token issued from this code belongs to; a second use revokes it. */
  familyId: string;
  createdAt: number;
  expiresAt: number;
}

/** One refresh token of a family; rotation replaces the family's current token. */
export interface RefreshToken {
  tokenHash: string;
  familyId: string;
  accountId: string;
  clientId: string;
  userId: string;
  scope: string;
  authTime: number;
  amr: string[];
  createdAt: number;
  /** When this token (not the family) stops being accepted. */
  expiresAt: number;
}

/**
 * The longest an access token may live (the account setting's upper bound).
 * A family revoked because a rotated refresh token came back is marked
 * revoked for this long, so every access token issued from it is refused.
 */
export const MAX_ACCESS_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;

/**
 * How long a retired signing key is kept before housekeeping deletes it: the
 * longest access-token life (24 h) plus an hour, so every token it signed
 * has expired before its key leaves the JWKS.
 */
export const RETIRED_SIGNING_KEY_RETENTION_MS = MAX_ACCESS_TOKEN_LIFETIME_MS + 60 * 60 * 1000;

export type TakenCode = { code: AuthorizationCode; firstUse: boolean };

export type RotationResult =
  /** `previous` was the family's current token; `next` is now. */
  | { status: 'rotated'; previous: RefreshToken }
  /** `previous` had been rotated already: the whole family is now revoked. */
  | { status: 'reused'; familyId: string }
  /** Unknown, expired, or its family revoked. */
  | { status: 'unknown' };

export interface OAuthGrantStore {
  saveCode(code: AuthorizationCode): Promise<void>;
  /**
   * Marks the code used, atomically: `firstUse` is true for exactly one
   * caller. Null when unknown or expired at `now`. A used code is kept until
   * it expires, so a second use is seen (and its family revoked by the caller).
   */
  takeCode(codeHash: string, now: number): Promise<TakenCode | null>;
  /**
   * Starts a family, or adds its first token. Nothing is saved into a family
   * that has been revoked (a code exchange racing the code's second use).
   */
  saveRefreshToken(token: RefreshToken): Promise<void>;
  /** The token when it is its family's current one, unexpired and unrevoked at `now`. */
  findRefreshToken(tokenHash: string, now: number): Promise<RefreshToken | null>;
  /**
   * One atomic step: when `tokenHash` is its family's current token, it is
   * replaced by `next` (same family); when it was current once and has been
   * rotated since, the family is revoked (`revokeFamily` until `now` +
   * MAX_ACCESS_TOKEN_LIFETIME_MS). Of concurrent callers with one token,
   * exactly one gets `rotated`. A rotated token is kept until its own
   * `expiresAt`, so reuse is recognized that long.
   */
  rotateRefreshToken(tokenHash: string, next: RefreshToken, now: number): Promise<RotationResult>;
  /**
   * Ends a family: its refresh tokens are deleted and `familyRevoked` says
   * so until `until` (the longest an access token of it can live). Its codes
   * stay, so a further use of one is still seen as not the first.
   *
   * Every `until` (here, in revoke…Grants and revokeAccessToken) is at most
   * MAX_ACCESS_TOKEN_LIFETIME_MS after the time of the call: Redis keeps a
   * mark that long, however the service's clock runs.
   */
  revokeFamily(familyId: string, until: number): Promise<void>;
  familyRevoked(familyId: string, now: number): Promise<boolean>;
  /**
   * Ends the families of a user (disabled, deleted, password changed,
   * sessions revoked): their codes and refresh tokens are deleted and each
   * family revoked until `until`. Returns how many families had a code or a
   * token still stored.
   */
  revokeUserGrants(accountId: string, userId: string, until: number): Promise<number>;
  /** Ends every family of an installation (disabled, deleted), as `revokeUserGrants` does a user's. */
  revokeClientGrants(accountId: string, clientId: string, until: number): Promise<number>;
  /** An access token revoked before its `exp`: kept until then. */
  revokeAccessToken(jti: string, until: number): Promise<void>;
  accessTokenRevoked(jti: string, now: number): Promise<boolean>;
  /** Housekeeping: drops codes, tokens and marks expired at `now`. */
  deleteExpiredGrants(now: number): Promise<number>;
}

export type SigningAlg = 'RS256' | 'ES256';
export const SIGNING_ALGS: readonly SigningAlg[] = ['RS256', 'ES256'];

/** A signing key pair, as JWKs (JSON text). The newest unretired key of an alg signs. */
export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  /** Private JWK, JSON. */
  privateJwk: string;
  /** Public JWK, JSON (what the JWKS serves). */
  publicJwk: string;
  createdAt: number;
  /** When a newer key replaced it; it stays in the JWKS until every token it signed has expired. */
  retiredAt: number | null;
}

export interface SigningKeyStore {
  /** Every key, newest first. */
  listSigningKeys(): Promise<SigningKey[]>;
  /** Adds `key` as the current key of its alg and retires (at `key.createdAt`) the alg's others, in one transaction. */
  addSigningKey(key: SigningKey): Promise<void>;
  /** Removes keys retired before `before`; returns how many. Housekeeping passes `now - RETIRED_SIGNING_KEY_RETENTION_MS`. */
  deleteRetiredSigningKeys(before: number): Promise<number>;
}
