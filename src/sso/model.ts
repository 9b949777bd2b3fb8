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
