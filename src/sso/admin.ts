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
