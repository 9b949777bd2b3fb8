/**
 * Installations: the OAuth 2.0 applications of an account (the original's
 * "AppInstall"), installed, listed, replaced, given a new secret, removed.
 *
 * One store, two views: an installation is an API key of type `oauth2` with
 * OAuth fields (`ApiKey.installation`). A key made by `apikey create --type
 * oauth2` has none stored and is seen here as `defaultInstallation` (client
 * credentials only); an installation is listed by `app-keys` as an `oauth2`
 * key, and Application Login keeps accepting its client id and secret.
 * Removing an installation revokes its key (it stays listed by `app-keys`,
 * inactive) and ends its tokens and its bots' sessions.
 *
 * A client secret exists in plaintext only in the value `installApplication`,
 * `rotateClientSecret` (and a `replaceInstallation` that turns a public
 * client confidential) return; the store holds its SHA-256 digest. A public
 * client (`token_endpoint_auth_method: none`) has none: its digest is `''`,
 * which no secret matches.
 *
 * Writes are conditioned like the directory's: the installations of an
 * account share one revision (`If-Match`), claimed before the write.
 */
import { requireAccount } from '../accounts/service.js';
import { DuplicateError, InvalidInputError, NotFoundError } from '../errors.js';
import { recordAdminEvent, type AdminContext } from '../events/actor.js';
import { hashToken, randomToken } from '../security/tokens.js';
import type { ApiKey, WriteOptions } from '../directory/model.js';
import {
  GRANT_TYPES,
  TOKEN_ENDPOINT_AUTH_METHODS,
  defaultInstallation,
  type GrantType,
  type InstallationFields,
  type TokenEndpointAuthMethod,
} from './model.js';
import { endClientTokens } from './grants.js';
import { parseAllowlist } from '../security/networks.js';
import { ADMIN_RESOURCES, API_SCOPES, OIDC_SCOPES, formatScope, parseScope } from './scopes.js';

type InstallationContext = Omit<AdminContext, 'hasher'>;

export const LIMITS = {
  clientName: 128,
  displayName: 128,
  description: 256,
  logoUri: 1024,
  redirectUri: 2048,
  redirectUris: 50,
  scope: 2048,
  ipAllowlist: 50,
  ipAllowlistEntry: 100,
} as const;

/** What an administrator sends: the whole installation (a replace sets every field left out back to its default). */
export interface InstallationInput {
  clientName: string;
  displayName?: string;
  description?: string;
  logoUri?: string | null;
  grantTypes?: string[];
  redirectUris?: string[];
  responseTypes?: string[];
  scope?: string;
  tokenEndpointAuthMethod?: string;
  enabled?: boolean;
  ipAllowlist?: string[];
}

/** An installation as shown: never its secret nor the secret's digest. */
export interface Installation extends InstallationFields {
  accountId: string;
  clientId: string;
  /** Addresses the application may call from (single addresses, ranges, CIDR blocks), as given; empty: anywhere. */
  ipAllowlist: string[];
  createdAt: number;
  /** False for an `oauth2` API key made by `apikey create`, shown with the default fields. */
  hasFields: boolean;
}

/**
 * An installation in the original's manifest names, as the administration API
 * and the CLI show it; `time` writes the two times in the adapter's format.
 */
export function installationWire<T>(i: Installation, time: (ms: number) => T) {
  return {
    client_id: i.clientId,
    client_name: i.clientName,
    display_name: i.displayName,
    description: i.description,
    logo_uri: i.logoUri,
    grant_types: i.grantTypes,
    redirect_uris: i.redirectUris,
    response_types: i.responseTypes,
    scope: i.scope,
    token_endpoint_auth_method: i.tokenEndpointAuthMethod,
    enabled: i.enabled,
    ip_allowlist: i.ipAllowlist,
    created_at: time(i.createdAt),
    updated_at: time(i.updatedAt),
  };
}

/** The installation view of an `oauth2` key. */
function viewOf(key: ApiKey): Installation {
  const fields = key.installation ?? defaultInstallation(key.name, key.createdAt);
  return { ...fields, accountId: key.accountId, clientId: key.appKey, ipAllowlist: key.ipAllowlist, createdAt: key.createdAt, hasFields: key.installation !== null };
}

const isInstallation = (key: ApiKey | null): key is ApiKey => key !== null && key.type === 'oauth2' && key.revokedAt === null;

// --- Validation: the table of oauth-applications.md, "Installations" ---

function optionalText(value: string | undefined, field: string, max: number): string {
  if (value === undefined) return '';
  if (value.length > max) throw new InvalidInputError(`${field} must be at most ${max} characters`);
  return value;
}

function parseUrl(value: string, field: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new InvalidInputError(`${field} must be an absolute URL: "${value.slice(0, 64)}" is not one`);
  }
}

const LOOPBACK_HOSTS = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** An absolute `https:` URL (`http:` for loopback hosts only, as RFC 8252 lets native apps), without a fragment. */
function checkRedirectUri(uri: string): string {
  if (uri.length > LIMITS.redirectUri) throw new InvalidInputError(`each redirect_uri must be at most ${LIMITS.redirectUri} characters`);
  const url = parseUrl(uri, 'each redirect_uri');
  if (uri.includes('#')) throw new InvalidInputError(`redirect_uri "${uri.slice(0, 64)}" has a fragment: a redirect URI must not have one`);
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.test(url.hostname)) {
    throw new InvalidInputError(`redirect_uri "${uri.slice(0, 64)}" uses http: only loopback hosts (localhost, 127.0.0.1, [::1]) may; use https:`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidInputError(`redirect_uri "${uri.slice(0, 64)}" must use https: (or http: for a loopback host)`);
  return uri;
}

const IMPLICIT_RESPONSE_TYPES = /(?:^|\s)(?:token|id_token)(?:\s|$)/;

function checkResponseTypes(values: string[] | undefined): Array<'code'> {
  if (values === undefined) return ['code'];
  for (const v of values) {
    if (IMPLICIT_RESPONSE_TYPES.test(v)) {
      throw new InvalidInputError(
        `response_types "${v.slice(0, 32)}" asks for the implicit flow, which this server does not offer: it hands tokens to the browser in the redirect, where they leak (RFC 9700). Use "code" with PKCE`,
      );
    }
    if (v !== 'code') throw new InvalidInputError(`response_types may only be ["code"]: "${v.slice(0, 32)}" is not a response type`);
  }
  return ['code'];
}

function checkScope(scope: string | undefined, grantTypes: GrantType[]): string {
  if (scope === undefined) return '';
  if (scope.length > LIMITS.scope) throw new InvalidInputError(`scope must be at most ${LIMITS.scope} characters`);
  const tokens = parseScope(scope);
  if (tokens === null) throw new InvalidInputError('scope must be scope names separated by spaces (printable characters, no quotes or backslashes)');
  const personal = grantTypes.includes('authorization_code');
  for (const token of tokens) {
    if (API_SCOPES.includes(token)) continue;
    if (OIDC_SCOPES.includes(token)) {
      if (personal) continue;
      throw new InvalidInputError(`scope "${token}" is for applications acting for a person: it needs the authorization_code grant`);
    }
    throw new InvalidInputError(`scope "${token.slice(0, 64)}" is not a scope of this API; scopes are <resource>.read and <resource>.write for ${ADMIN_RESOURCES.join(', ')}`);
  }
  return formatScope(tokens);
}

function checkIpAllowlist(entries: string[] | undefined): string[] {
  if (entries === undefined) return [];
  if (entries.length > LIMITS.ipAllowlist) throw new InvalidInputError(`ip_allowlist may hold at most ${LIMITS.ipAllowlist} entries`);
  for (const e of entries) {
    if (e.trim() === '' || e.length > LIMITS.ipAllowlistEntry) throw new InvalidInputError(`each ip_allowlist entry must be 1 to ${LIMITS.ipAllowlistEntry} characters`);
  }
  // Addresses, FROM-TO ranges and CIDR blocks, as API keys' allowlists (security/networks.ts).
  return parseAllowlist(entries, 'ip_allowlist');
}

/** The installation fields `input` describes, or InvalidInputError saying which rule it breaks. */
export function checkInstallation(input: InstallationInput, at: number): { fields: InstallationFields; ipAllowlist: string[] } {
  const clientName = input.clientName?.trim() ?? '';
  if (clientName === '') throw new InvalidInputError('client_name is required');
  if (clientName.length > LIMITS.clientName) throw new InvalidInputError(`client_name must be at most ${LIMITS.clientName} characters`);
  const displayName = optionalText(input.displayName, 'display_name', LIMITS.displayName);
  const description = optionalText(input.description, 'description', LIMITS.description);
  let logoUri: string | null = null;
  if (input.logoUri !== undefined && input.logoUri !== null && input.logoUri !== '') {
    if (input.logoUri.length > LIMITS.logoUri) throw new InvalidInputError(`logo_uri must be at most ${LIMITS.logoUri} characters`);
    if (parseUrl(input.logoUri, 'logo_uri').protocol !== 'https:') throw new InvalidInputError('logo_uri must be an https: URL');
    logoUri = input.logoUri;
  }
  const grantTypes = [...new Set(input.grantTypes ?? ['client_credentials'])];
  if (grantTypes.length === 0) throw new InvalidInputError(`grant_types needs at least one of ${GRANT_TYPES.join(', ')}`);
  for (const g of grantTypes) {
    if (g === 'password' || g === 'implicit') throw new InvalidInputError(`grant_types "${g}" is refused: this server does not offer the ${g} grant (RFC 9700); use authorization_code with PKCE`);
    if (!GRANT_TYPES.includes(g as GrantType)) throw new InvalidInputError(`grant_types "${g.slice(0, 32)}" is not one of ${GRANT_TYPES.join(', ')}`);
  }
  const grants = grantTypes as GrantType[];
  const method = input.tokenEndpointAuthMethod ?? 'client_secret_basic';
  if (!TOKEN_ENDPOINT_AUTH_METHODS.includes(method as TokenEndpointAuthMethod)) {
    throw new InvalidInputError(`token_endpoint_auth_method must be one of ${TOKEN_ENDPOINT_AUTH_METHODS.join(', ')}`);
  }
  if (method === 'none' && grants.includes('client_credentials')) {
    throw new InvalidInputError('a public client (token_endpoint_auth_method none) has no secret, so it cannot use the client_credentials grant');
  }
  const redirectUris = [...new Set((input.redirectUris ?? []).map(checkRedirectUri))];
  if (redirectUris.length > LIMITS.redirectUris) throw new InvalidInputError(`redirect_uris may hold at most ${LIMITS.redirectUris} URIs`);
  if (grants.includes('authorization_code') && redirectUris.length === 0) throw new InvalidInputError('redirect_uris is required with the authorization_code grant');
  const fields: InstallationFields = {
    clientName,
    displayName,
    description,
    logoUri,
    grantTypes: grants,
    redirectUris,
    responseTypes: checkResponseTypes(input.responseTypes),
    scope: checkScope(input.scope, grants),
    tokenEndpointAuthMethod: method as TokenEndpointAuthMethod,
    enabled: input.enabled ?? true,
    updatedAt: at,
  };
  return { fields, ipAllowlist: checkIpAllowlist(input.ipAllowlist) };
}

// --- Actions ---

async function liveKeys(ctx: Pick<InstallationContext, 'stores'>, accountId: string): Promise<ApiKey[]> {
  return (await ctx.stores.apiKeys.listApiKeys(accountId)).filter(isInstallation);
}

async function requireInstallation(ctx: Pick<InstallationContext, 'stores'>, accountId: string, clientId: string): Promise<ApiKey> {
  const key = clientId.length <= 256 ? await ctx.stores.apiKeys.getApiKey(accountId, clientId) : null;
  if (!isInstallation(key)) throw new NotFoundError(`installation ${clientId.slice(0, 64)} does not exist in account ${accountId}`);
  return key;
}

function checkNameFree(keys: ApiKey[], clientName: string, except?: string): void {
  const wanted = clientName.toLowerCase();
  if (keys.some((k) => k.appKey !== except && viewOf(k).clientName.toLowerCase() === wanted)) {
    throw new DuplicateError(`an installation named "${clientName}"`);
  }
}

/**
 * Ends every token issued to an installation: its refresh-token families are
 * revoked, and its access tokens fail the live check every use makes (the
 * installation is disabled or revoked).
 */
const endInstallationTokens = endClientTokens;

export async function listInstallations(ctx: Pick<InstallationContext, 'stores'>, accountId: string): Promise<Installation[]> {
  const account = await requireAccount(ctx, accountId);
  return (await liveKeys(ctx, account.accountId)).map(viewOf);
}

export async function getInstallation(ctx: Pick<InstallationContext, 'stores'>, accountId: string, clientId: string): Promise<Installation> {
  const account = await requireAccount(ctx, accountId);
  return viewOf(await requireInstallation(ctx, account.accountId, clientId));
}

export interface Installed {
  installation: Installation;
  /** Plaintext, this once; null for a public client. */
  clientSecret: string | null;
  revision: number;
}

/** Installs an application: a new client id, and a secret unless it is a public client. */
export async function installApplication(ctx: InstallationContext, accountId: string, input: InstallationInput, options: WriteOptions = {}): Promise<Installed> {
  const account = await requireAccount(ctx, accountId);
  const now = ctx.clock.now();
  const { fields, ipAllowlist } = checkInstallation(input, now);
  checkNameFree(await liveKeys(ctx, account.accountId), fields.clientName);
  const revision = await ctx.stores.directory.claimRevision(account.accountId, 'installations', options.expectedRevision);
  const clientSecret = fields.tokenEndpointAuthMethod === 'none' ? null : randomToken();
  const key: ApiKey = {
    accountId: account.accountId,
    appKey: randomToken().slice(0, 32),
    name: fields.clientName,
    type: 'oauth2',
    secretHash: clientSecret === null ? '' : hashToken(clientSecret),
    accessTokenHash: null,
    accessTokenSecretHash: null,
    createdAt: now,
    revokedAt: null,
    installation: fields,
    ipAllowlist,
  };
  await ctx.stores.apiKeys.createApiKey(key);
  await recordAdminEvent(ctx, account.accountId, 'installation_create', { clientId: key.appKey, clientName: fields.clientName, grantTypes: fields.grantTypes, scope: fields.scope });
  return { installation: viewOf(key), clientSecret, revision };
}

/**
 * Replaces an installation's fields (a PUT: what is left out goes back to its
 * default); the client id and secret stay. Disabling it ends its tokens. A
 * public client made confidential gets a secret, returned this once.
 */
export async function replaceInstallation(ctx: InstallationContext, accountId: string, clientId: string, input: InstallationInput, options: WriteOptions = {}): Promise<Installed> {
  const account = await requireAccount(ctx, accountId);
  const key = await requireInstallation(ctx, account.accountId, clientId);
  const before = viewOf(key);
  const { fields, ipAllowlist } = checkInstallation(input, ctx.clock.now());
  checkNameFree(await liveKeys(ctx, account.accountId), fields.clientName, key.appKey);
  const revision = await ctx.stores.directory.claimRevision(account.accountId, 'installations', options.expectedRevision);
  const becomesPublic = fields.tokenEndpointAuthMethod === 'none';
  const needsSecret = !becomesPublic && key.secretHash === '';
  const clientSecret = needsSecret ? randomToken() : null;
  const secretHash = becomesPublic ? '' : clientSecret !== null ? hashToken(clientSecret) : undefined;
  // Turning public ends the tokens issued on the strength of the secret it no longer has.
  const endsTokens = (before.enabled && !fields.enabled) || (becomesPublic && key.secretHash !== '');
  // Client-credentials tokens belong to no grant that could be revoked: they end by their issue time, so that
  // enabling the installation again does not bring them back. `iat` counts whole seconds, so the mark is the start
  // of this second: a token issued earlier in this same second would come back (a window under a second), and one
  // issued after an enable within this second lives, as it must.
  const tokensNotBefore = endsTokens ? Math.floor(ctx.clock.now() / 1000) * 1000 : key.installation?.tokensNotBefore;
  if (tokensNotBefore !== undefined) fields.tokensNotBefore = tokensNotBefore;
  const updated = await ctx.stores.apiKeys.updateApiKey(account.accountId, key.appKey, {
    name: fields.clientName,
    installation: fields,
    ipAllowlist,
    ...(secretHash !== undefined && { secretHash }),
  });
  if (!updated) throw new NotFoundError(`installation ${clientId} does not exist in account ${account.accountId}`);
  const tokensEnded = endsTokens ? await endInstallationTokens(ctx, account.accountId, key.appKey) : 0;
  await recordAdminEvent(ctx, account.accountId, 'installation_update', {
    clientId: key.appKey,
    clientName: fields.clientName,
    enabled: fields.enabled,
    ...(before.enabled !== fields.enabled && { enabledBefore: before.enabled }),
    ...(endsTokens && { grantsEnded: tokensEnded }),
    ...(clientSecret !== null && { secretIssued: true }),
  });
  const after: ApiKey = { ...key, name: fields.clientName, installation: fields, ipAllowlist, ...(secretHash !== undefined && { secretHash }) };
  return { installation: viewOf(after), clientSecret, revision };
}

/** A new client secret, returned this once; the previous one stops working at once. */
export async function rotateClientSecret(ctx: InstallationContext, accountId: string, clientId: string, options: WriteOptions = {}): Promise<Installed & { clientSecret: string }> {
  const account = await requireAccount(ctx, accountId);
  const key = await requireInstallation(ctx, account.accountId, clientId);
  const installation = viewOf(key);
  if (installation.tokenEndpointAuthMethod === 'none') throw new InvalidInputError('a public client (token_endpoint_auth_method none) has no secret to rotate');
  const revision = await ctx.stores.directory.claimRevision(account.accountId, 'installations', options.expectedRevision);
  const clientSecret = randomToken();
  if (!(await ctx.stores.apiKeys.updateApiKey(account.accountId, key.appKey, { secretHash: hashToken(clientSecret) }))) {
    throw new NotFoundError(`installation ${clientId} does not exist in account ${account.accountId}`);
  }
  await recordAdminEvent(ctx, account.accountId, 'installation_secret_rotate', { clientId: key.appKey, clientName: installation.clientName });
  return { installation, clientSecret, revision };
}

/** Removes an installation: its key is revoked, its tokens and its bots' sessions end. */
export async function removeInstallation(
  ctx: InstallationContext,
  accountId: string,
  clientId: string,
  options: WriteOptions = {},
): Promise<{ clientId: string; sessionsEnded: number; grantsEnded: number; revision: number }> {
  const account = await requireAccount(ctx, accountId);
  const key = await requireInstallation(ctx, account.accountId, clientId);
  const revision = await ctx.stores.directory.claimRevision(account.accountId, 'installations', options.expectedRevision);
  if (!(await ctx.stores.apiKeys.revokeApiKey(account.accountId, key.appKey, ctx.clock.now()))) {
    throw new NotFoundError(`installation ${clientId} does not exist in account ${account.accountId}`);
  }
  const sessionsEnded = await ctx.stores.sessions.deleteAppKeySessions(account.accountId, key.appKey);
  const grantsEnded = await endInstallationTokens(ctx, account.accountId, key.appKey);
  await recordAdminEvent(ctx, account.accountId, 'installation_delete', { clientId: key.appKey, clientName: viewOf(key).clientName, sessionsEnded, grantsEnded });
  return { clientId: key.appKey, sessionsEnded, grantsEnded, revision };
}
