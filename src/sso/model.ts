/**
 * An account's SAML identity provider. Stored in the account's settings
 * document (AccountSettings.sso), so it needs no table of its own; the
 * administration API reads and writes it apart from the settings, as
 * configuration/sso (sso/admin.ts).
 */
import { X509Certificate } from 'node:crypto';

export interface SsoConfig {
  /** The identity provider's entity id: an assertion's Issuer must be exactly this. */
  idpIssuer: string;
  /** PEM certificates whose keys may sign assertions; several while a key is rotated. */
  idpCerts: string[];
  /** The audience an assertion must name; when absent, `defaultAudience(accountId)`. */
  audience?: string;
  /** The attribute holding the login name; without it in an assertion, the NameID is the login name. */
  loginNameAttribute: string;
  /** Refuse password logins of the account's people (bots keep their API keys). */
  enforce: boolean;
}

export const DEFAULT_LOGIN_NAME_ATTRIBUTE = 'loginName';
/** More than enough for a rotation; keeps the settings document small. */
export const MAX_IDP_CERTS = 5;

/** The service provider's entity id for an account, when none is configured. */
export const defaultAudience = (accountId: string): string => `urn:login-service:account:${accountId}`;

export const effectiveAudience = (accountId: string, config: SsoConfig): string => config.audience ?? defaultAudience(accountId);

/** Why a PEM text is not one X.509 certificate, or null when it is. */
export function certificateProblem(pem: string): string | null {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length !== 1) return 'a PEM file holding exactly one certificate (-----BEGIN CERTIFICATE-----)';
  try {
    new X509Certificate(blocks[0]!);
    return null;
  } catch {
    return 'a readable X.509 certificate';
  }
}

/** The certificate block alone, normalised, as stored. */
export function normaliseCertificate(pem: string): string {
  const block = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0];
  return block.replace(/\r\n?/g, '\n') + '\n';
}

/** SHA-256 fingerprint, as IdP consoles show it (AB:CD:…). */
export const certificateFingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;

const isNonEmptyString = (v: unknown, max: number): v is string => typeof v === 'string' && v.trim() !== '' && v.length <= max;

/** Why a value is not a valid SsoConfig (e.g. from an imported document or an API body), or null. */
export function ssoConfigProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'an object';
  const c = value as Record<string, unknown>;
  if (!isNonEmptyString(c.idpIssuer, 1024)) return 'idpIssuer: 1 to 1024 characters';
  if (!Array.isArray(c.idpCerts) || c.idpCerts.length === 0 || c.idpCerts.length > MAX_IDP_CERTS) return `idpCerts: 1 to ${MAX_IDP_CERTS} certificates`;
  for (const cert of c.idpCerts) {
    const problem = typeof cert === 'string' ? certificateProblem(cert) : 'a PEM string';
    if (problem) return `idpCerts: each must be ${problem}`;
  }
  if (c.audience !== undefined && !isNonEmptyString(c.audience, 1024)) return 'audience: 1 to 1024 characters';
  if (!isNonEmptyString(c.loginNameAttribute, 256)) return 'loginNameAttribute: 1 to 256 characters';
  if (typeof c.enforce !== 'boolean') return 'enforce: true or false';
  const known = new Set(['idpIssuer', 'idpCerts', 'audience', 'loginNameAttribute', 'enforce']);
  const unknown = Object.keys(c).find((k) => !known.has(k));
  return unknown === undefined ? null : `no field "${unknown.slice(0, 64)}"`;
}

/**
 * An account's OpenID Connect identity provider (docs/SSO.md, "OpenID
 * Connect"). Stored beside the SAML one in the account's settings document
 * (AccountSettings.oidc); the two are independent connections.
 */
export interface OidcConfig {
  /** The provider's issuer: an ID token's `iss` must be exactly this, and discovery is read from it. */
  issuer: string;
  /** The client registered at the provider: an ID token's audience must name it. */
  clientId: string;
  /**
   * For the browser flow's token request, when the provider registered a
   * confidential client. It must be presented to the provider as it is, so it
   * is kept as given (never shown by the administration API or the CLI).
   */
  clientSecret?: string;
  /** What the sign-in pages offer: `Sign in with <displayName>`. */
  displayName: string;
  /** The claim holding the login name; absent: `preferred_username`, then `email`. */
  loginNameClaim?: string;
  /** Refuse password logins of the account's people (bots keep their API keys). */
  enforce: boolean;
}

/** The claims that name the person when no claim is configured, in order. */
export const DEFAULT_LOGIN_NAME_CLAIMS = ['preferred_username', 'email'] as const;
export const DEFAULT_OIDC_DISPLAY_NAME = 'your identity provider';

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * Why a URL may not be an issuer (or a URL a provider's discovery names), or
 * null: `https:`, or `http:` for loopback hosts only (a provider in tests or
 * on the same host); no credentials, query or fragment.
 */
export function providerUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'an absolute URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname))) return 'an https: URL (http: only for localhost, 127.x.x.x or [::1])';
  if (url.username || url.password || url.search || url.hash) return 'a URL without credentials, query or fragment';
  return null;
}

/** Why a value is not a valid OidcConfig (e.g. from an imported document), or null. */
export function oidcConfigProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'an object';
  const c = value as Record<string, unknown>;
  if (!isNonEmptyString(c.issuer, 1024)) return 'issuer: 1 to 1024 characters';
  const issuerProblem = providerUrlProblem(c.issuer);
  if (issuerProblem) return `issuer: ${issuerProblem}`;
  if (!isNonEmptyString(c.clientId, 1024)) return 'clientId: 1 to 1024 characters';
  if (c.clientSecret !== undefined && !isNonEmptyString(c.clientSecret, 1024)) return 'clientSecret: 1 to 1024 characters';
  if (!isNonEmptyString(c.displayName, 100)) return 'displayName: 1 to 100 characters';
  if (c.loginNameClaim !== undefined && !isNonEmptyString(c.loginNameClaim, 256)) return 'loginNameClaim: 1 to 256 characters';
  if (typeof c.enforce !== 'boolean') return 'enforce: true or false';
  const known = new Set(['issuer', 'clientId', 'clientSecret', 'displayName', 'loginNameClaim', 'enforce']);
  const unknown = Object.keys(c).find((k) => !known.has(k));
  return unknown === undefined ? null : `no field "${unknown.slice(0, 64)}"`;
}

/** Whether the account refuses password logins of its people: either connection may say so. */
export const ssoEnforced = (settings: { sso?: SsoConfig; oidc?: OidcConfig }): boolean => settings.sso?.enforce === true || settings.oidc?.enforce === true;

/**
 * A `return_to` the browser flow may send the browser back to: a path on this
 * server, nothing that leaves it. Starts with one `/` (not `//`, which is
 * another host), holds no backslash (browsers read `/\` as `//`), no control
 * character, and stays on this origin once resolved. Null when it is not one.
 */
export function sameOriginPath(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return null;
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return null;
  const base = 'https://origin.invalid';
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return null;
  }
  return url.origin === base ? value : null;
}

/** Where the browser flow of an account starts. */
export const oidcStartPath = (accountId: string): string => `/sso/oidc/${encodeURIComponent(accountId)}/start`;
/** The callback to register at the provider: this server's address followed by this path. */
export const oidcCallbackPath = (accountId: string): string => `/sso/oidc/${encodeURIComponent(accountId)}/callback`;

export interface SignInOption {
  /** `Sign in with <display name>`. */
  label: string;
  /** The flow's start, sending the browser back to `returnTo` (a same-origin path) once signed in. */
  startUrl(returnTo: string): string;
}

/**
 * What a sign-in page offers for an account's OpenID Connect provider, or
 * null when it has none. `startUrl` refuses a `returnTo` that is not a
 * same-origin path (sameOriginPath), as the start route would.
 */
export function oidcSignInOption(accountId: string, settings: { oidc?: OidcConfig }): SignInOption | null {
  const oidc = settings.oidc;
  if (!oidc) return null;
  return {
    label: `Sign in with ${oidc.displayName}`,
    startUrl(returnTo: string): string {
      const path = sameOriginPath(returnTo);
      if (path === null) throw new Error('returnTo must be a same-origin path');
      return `${oidcStartPath(accountId)}?return_to=${encodeURIComponent(path)}`;
    },
  };
}
