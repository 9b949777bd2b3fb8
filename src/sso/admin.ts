/**
 * Administration of an account's identity provider: the CLI's `sso` commands
 * and the administration API's `configuration/sso`. It is a resource of its
 * own, so no write of the account's other settings can change it.
 */
import type { Account } from '../accounts/model.js';
import { requireAccount } from '../accounts/service.js';
import { InvalidInputError } from '../errors.js';
import { recordAdminEvent, type AdminContext } from '../events/actor.js';
import type { Stores } from '../store/index.js';
import {
  DEFAULT_OIDC_DISPLAY_NAME,
  oidcConfigProblem,
  type OidcConfig,
  DEFAULT_LOGIN_NAME_ATTRIBUTE,
  MAX_IDP_CERTS,
  certificateFingerprint,
  certificateProblem,
  effectiveAudience,
  normaliseCertificate,
  ssoConfigProblem,
  type SsoConfig,
} from './model.js';

export interface SsoChanges {
  idpIssuer?: string;
  /** Replaces the certificates. */
  idpCerts?: string[];
  audience?: string;
  loginNameAttribute?: string;
  enforce?: boolean;
}

function checkedCerts(pems: string[]): string[] {
  for (const pem of pems) {
    const problem = certificateProblem(pem);
    if (problem) throw new InvalidInputError(`an identity provider certificate must be ${problem}`);
  }
  return [...new Set(pems.map(normaliseCertificate))];
}

async function store(stores: Stores, account: Account, sso: SsoConfig | undefined): Promise<void> {
  const settings = { ...account.settings };
  if (sso) settings.sso = sso;
  else delete settings.sso;
  await stores.accounts.updateAccount(account.accountId, { settings });
}

/** Creates or changes the account's configuration; a first one needs the issuer and a certificate. */
export async function setSsoConfig(stores: Stores, accountId: string, changes: SsoChanges): Promise<SsoConfig> {
  const account = await requireAccount({ stores }, accountId);
  const current = account.settings.sso;
  const idpIssuer = changes.idpIssuer ?? current?.idpIssuer;
  const idpCerts = changes.idpCerts ? checkedCerts(changes.idpCerts) : current?.idpCerts;
  if (!idpIssuer || !idpCerts || idpCerts.length === 0) throw new InvalidInputError('a first SSO configuration needs the identity provider\'s issuer and certificate');
  const audience = changes.audience ?? current?.audience;
  const sso: SsoConfig = {
    idpIssuer,
    idpCerts,
    ...(audience !== undefined && { audience }),
    loginNameAttribute: changes.loginNameAttribute ?? current?.loginNameAttribute ?? DEFAULT_LOGIN_NAME_ATTRIBUTE,
    enforce: changes.enforce ?? current?.enforce ?? false,
  };
  const problem = ssoConfigProblem(sso);
  if (problem) throw new InvalidInputError(`invalid SSO configuration: ${problem}`);
  await store(stores, account, sso);
  return sso;
}

/** Adds a certificate beside the current ones (a key rotation starts here). */
export async function addSsoCertificate(stores: Stores, accountId: string, pem: string): Promise<SsoConfig> {
  const account = await requireAccount({ stores }, accountId);
  const current = account.settings.sso;
  if (!current) throw new InvalidInputError(`account ${accountId} has no SSO configuration (sso set first)`);
  const idpCerts = checkedCerts([...current.idpCerts, pem]);
  if (idpCerts.length > MAX_IDP_CERTS) throw new InvalidInputError(`at most ${MAX_IDP_CERTS} certificates; remove old ones with sso set --idp-cert`);
  const sso = { ...current, idpCerts };
  await store(stores, account, sso);
  return sso;
}

/** Removes the configuration: SSO logins are refused and password logins allowed again. False when there was none. */
export async function clearSsoConfig(stores: Stores, accountId: string): Promise<boolean> {
  const account = await requireAccount({ stores }, accountId);
  if (!account.settings.sso) return false;
  await store(stores, account, undefined);
  return true;
}

/** A whole SAML configuration as the administration API takes it: fields left out take their defaults. */
export interface SamlInput {
  idpIssuer: string;
  idpCerts: string[];
  audience?: string;
  loginNameAttribute?: string;
  enforce?: boolean;
}

/** What the audit keeps of a configuration: certificates by fingerprint, never their text. */
function auditDetail(accountId: string, sso: SsoConfig): Record<string, unknown> {
  return {
    idpIssuer: sso.idpIssuer,
    certificates: sso.idpCerts.map(certificateFingerprint),
    audience: effectiveAudience(accountId, sso),
    loginNameAttribute: sso.loginNameAttribute,
    enforce: sso.enforce,
  };
}

/** Replaces the account's SAML configuration whole (`sso_set`); a refused one changes nothing. */
export async function replaceSamlConfig(ctx: AdminContext, accountId: string, input: SamlInput): Promise<SsoConfig> {
  const account = await requireAccount(ctx, accountId);
  const sso: SsoConfig = {
    idpIssuer: input.idpIssuer,
    idpCerts: checkedCerts(input.idpCerts),
    ...(input.audience !== undefined && { audience: input.audience }),
    loginNameAttribute: input.loginNameAttribute ?? DEFAULT_LOGIN_NAME_ATTRIBUTE,
    enforce: input.enforce ?? false,
  };
  const problem = ssoConfigProblem(sso);
  if (problem) throw new InvalidInputError(`invalid SAML configuration: ${problem}`);
  await store(ctx.stores, account, sso);
  await recordAdminEvent(ctx, account.accountId, 'sso_set', auditDetail(account.accountId, sso));
  return sso;
}

/** Removes the SAML configuration (`sso_clear`): SSO logins are refused, password logins allowed. False when there was none. */
export async function removeSamlConfig(ctx: AdminContext, accountId: string): Promise<boolean> {
  const account = await requireAccount(ctx, accountId);
  if (!account.settings.sso) return false;
  await store(ctx.stores, account, undefined);
  await recordAdminEvent(ctx, account.accountId, 'sso_clear');
  return true;
}

async function storeOidc(stores: Stores, account: Account, oidc: OidcConfig | undefined): Promise<void> {
  const settings = { ...account.settings };
  if (oidc) settings.oidc = oidc;
  else delete settings.oidc;
  await stores.accounts.updateAccount(account.accountId, { settings });
}

/** Changes to an OpenID Connect configuration; null removes an optional field (back to its default). */
export interface OidcChanges {
  issuer?: string;
  clientId?: string;
  clientSecret?: string | null;
  displayName?: string;
  loginNameClaim?: string | null;
  enforce?: boolean;
}

function checkedOidc(config: OidcConfig): OidcConfig {
  const problem = oidcConfigProblem(config);
  if (problem) throw new InvalidInputError(`invalid OpenID Connect configuration: ${problem}`);
  return config;
}

function mergeOidc(current: OidcConfig | undefined, changes: OidcChanges): OidcConfig {
  const issuer = changes.issuer ?? current?.issuer;
  const clientId = changes.clientId ?? current?.clientId;
  if (!issuer || !clientId) throw new InvalidInputError("a first OpenID Connect configuration needs the provider's issuer and the client id");
  const clientSecret = changes.clientSecret === null ? undefined : (changes.clientSecret ?? current?.clientSecret);
  const loginNameClaim = changes.loginNameClaim === null ? undefined : (changes.loginNameClaim ?? current?.loginNameClaim);
  return checkedOidc({
    // Compared exactly with an ID token's iss, so kept as given.
    issuer,
    clientId,
    ...(clientSecret !== undefined && { clientSecret }),
    displayName: changes.displayName ?? current?.displayName ?? DEFAULT_OIDC_DISPLAY_NAME,
    ...(loginNameClaim !== undefined && { loginNameClaim }),
    enforce: changes.enforce ?? current?.enforce ?? false,
  });
}

/** Creates or changes the account's OpenID Connect provider (CLI `sso oidc set`); a first one needs issuer and client id. */
export async function setOidcConfig(stores: Stores, accountId: string, changes: OidcChanges): Promise<OidcConfig> {
  const account = await requireAccount({ stores }, accountId);
  const oidc = mergeOidc(account.settings.oidc, changes);
  await storeOidc(stores, account, oidc);
  return oidc;
}

/** Removes the OpenID Connect provider (CLI `sso oidc clear`). False when there was none. */
export async function clearOidcConfig(stores: Stores, accountId: string): Promise<boolean> {
  const account = await requireAccount({ stores }, accountId);
  if (!account.settings.oidc) return false;
  await storeOidc(stores, account, undefined);
  return true;
}

/** What the audit keeps of an OpenID Connect configuration: whether a client secret is set, never the secret. */
export function oidcAuditDetail(oidc: OidcConfig): Record<string, unknown> {
  return {
    issuer: oidc.issuer,
    clientId: oidc.clientId,
    clientSecret: oidc.clientSecret !== undefined,
    displayName: oidc.displayName,
    loginNameClaim: oidc.loginNameClaim ?? null,
    enforce: oidc.enforce,
  };
}

/** A whole OpenID Connect configuration as the administration API takes it. */
export interface OidcInput {
  issuer: string;
  clientId: string;
  /** Left out: the current secret is kept when the client id is unchanged (the API never shows it); null removes it. */
  clientSecret?: string | null;
  displayName?: string;
  loginNameClaim?: string;
  enforce?: boolean;
}

/** Refuses an input that could never be a configuration, before anything is written. */
export function checkOidcInput(input: OidcInput): void {
  checkedOidc({
    issuer: input.issuer,
    clientId: input.clientId,
    ...(typeof input.clientSecret === 'string' && { clientSecret: input.clientSecret }),
    displayName: input.displayName ?? DEFAULT_OIDC_DISPLAY_NAME,
    ...(input.loginNameClaim !== undefined && { loginNameClaim: input.loginNameClaim }),
    enforce: input.enforce ?? false,
  });
}

/** Replaces the account's OpenID Connect provider whole (`sso_oidc_set`); a refused one changes nothing. */
export async function replaceOidcConfig(ctx: AdminContext, accountId: string, input: OidcInput): Promise<OidcConfig> {
  const account = await requireAccount(ctx, accountId);
  const current = account.settings.oidc;
  const keptSecret = input.clientSecret === undefined && current?.clientId === input.clientId ? current.clientSecret : undefined;
  const clientSecret = input.clientSecret === null ? undefined : (input.clientSecret ?? keptSecret);
  const oidc = checkedOidc({
    issuer: input.issuer,
    clientId: input.clientId,
    ...(clientSecret !== undefined && { clientSecret }),
    displayName: input.displayName ?? DEFAULT_OIDC_DISPLAY_NAME,
    ...(input.loginNameClaim !== undefined && { loginNameClaim: input.loginNameClaim }),
    enforce: input.enforce ?? false,
  });
  await storeOidc(ctx.stores, account, oidc);
  await recordAdminEvent(ctx, account.accountId, 'sso_oidc_set', oidcAuditDetail(oidc));
  return oidc;
}

/** Removes the OpenID Connect provider (`sso_oidc_clear`). False when there was none. */
export async function removeOidcConfig(ctx: AdminContext, accountId: string): Promise<boolean> {
  const account = await requireAccount(ctx, accountId);
  if (!account.settings.oidc) return false;
  await storeOidc(ctx.stores, account, undefined);
  await recordAdminEvent(ctx, account.accountId, 'sso_oidc_clear');
  return true;
}
