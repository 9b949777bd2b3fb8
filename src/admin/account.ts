/**
 * The rest of an account's administration: API keys, service base URIs,
 * sessions, audit events and settings. Behind the CLI's `apikey`, `domain`,
 * `session`, `events` and `account set` commands and the HTTP API's own
 * resources alike.
 */
import { DEFAULT_ACCOUNT_SETTINGS, accountSettings, type Account, type AccountPatch, type AccountSettings } from '../accounts/model.js';
import { parseSettingsInput } from '../accounts/settings.js';
import { BASE_URI, LOGIN_SERVICE_NAME, SERVICE_NAME } from '../accounts/service.js';
import type { AuditEvent, EventFilter } from '../events/model.js';
import type { SessionRecord } from '../sessions/model.js';
import { DEFAULT_LOGIN_NAME_ATTRIBUTE, normaliseCertificate, ssoConfigProblem, type SsoConfig } from '../sso/model.js';
import { isoTime } from '../clock.js';
import { isValidTimeZone } from '../timezones.js';
import type { ApiKey, ApiKeyType } from '../users/model.js';
import { createApiKey, revokeApiKey, type IssuedApiKey, type IssuedClientCredentials } from '../users/service.js';
import { InvalidInputError, NotFoundError, recordAdminEvent, type AdminContext } from './context.js';
import { requireAccount, requireUserByLoginName } from './users.js';

/** Issues a key of the given type (oauth1 by default: four values; oauth2: appKey and secret only). */
export async function issueApiKey(
  ctx: AdminContext,
  accountId: string,
  name?: string,
  type: ApiKeyType = 'oauth1',
): Promise<{ key: ApiKey; issued: IssuedApiKey | IssuedClientCredentials }> {
  if (name !== undefined && name.length > 256) throw new InvalidInputError('name must be at most 256 characters');
  const result = await createApiKey(ctx.stores, ctx.clock, accountId, name, type);
  await recordAdminEvent(ctx, accountId, 'apikey_create', { appKey: result.key.appKey, name: result.key.name, type: result.key.type });
  return result;
}

/** Revokes the key and ends the sessions of the bots that logged in with it; returns how many ended. */
export async function revokeKey(ctx: AdminContext, accountId: string, appKey: string): Promise<number> {
  const sessionsEnded = await revokeApiKey(ctx.stores, ctx.clock, accountId, appKey);
  await recordAdminEvent(ctx, accountId, 'apikey_revoke', { appKey, sessionsEnded });
  return sessionsEnded;
}

/** The keys, with the login names of the bots allowed each (never a secret). */
export async function listApiKeys(ctx: Pick<AdminContext, 'stores'>, accountId: string): Promise<Array<{ key: ApiKey; bots: string[] }>> {
  const account = await requireAccount(ctx, accountId);
  const [keys, users] = await Promise.all([ctx.stores.apiKeys.listApiKeys(account.accountId), ctx.stores.users.listUsers(account.accountId)]);
  return keys.map((key) => ({ key, bots: users.filter((u) => u.isBot && (u.appKey ?? '').split(',').includes(key.appKey)).map((u) => u.loginName) }));
}

/** Sets where one service lives; returns the previous base URI, if any. */
export async function setServiceBaseURI(ctx: AdminContext, accountId: string, service: string, baseURI: string): Promise<string | null> {
  if (!SERVICE_NAME.test(service)) throw new InvalidInputError(`service must be a letter followed by up to 63 letters, digits, "_", "." or "-"; got "${service.slice(0, 80)}"`);
  if (!BASE_URI.test(baseURI)) throw new InvalidInputError(`baseURI must be host[:port] without scheme or path, got "${baseURI.slice(0, 300)}"`);
  const account = await requireAccount(ctx, accountId);
  const previous = (await ctx.stores.accounts.listServiceBaseURIs(account.accountId)).find((s) => s.service === service)?.baseURI ?? null;
  await ctx.stores.accounts.setServiceBaseURI(account.accountId, service, baseURI);
  await recordAdminEvent(ctx, account.accountId, 'domain_set', { service, baseURI, previous });
  return previous;
}

export class ProtectedServiceError extends InvalidInputError {}

export async function deleteServiceBaseURI(ctx: AdminContext, accountId: string, service: string): Promise<void> {
  const account = await requireAccount(ctx, accountId);
  if (service === LOGIN_SERVICE_NAME) throw new ProtectedServiceError(`${LOGIN_SERVICE_NAME} cannot be deleted: it is this server`);
  if (!(await ctx.stores.accounts.deleteServiceBaseURI(account.accountId, service))) throw new NotFoundError(`service ${service.slice(0, 80)} has no base URI in account ${accountId}`);
  await recordAdminEvent(ctx, account.accountId, 'domain_delete', { service });
}

/** Live sessions of the account, or of one user (by login name). */
export async function listSessions(ctx: AdminContext, accountId: string, loginName?: string): Promise<SessionRecord[]> {
  const account = await requireAccount(ctx, accountId);
  const user = loginName === undefined ? undefined : await requireUserByLoginName(ctx, account.accountId, loginName);
  return ctx.stores.sessions.listSessions(account.accountId, ctx.clock.now(), user?.userId);
}

/** What a session listing shows of a session, for the CLI and the API alike: never a token or digest. */
export function sessionView(s: SessionRecord) {
  return {
    accountId: s.accountId,
    userId: s.userId,
    loginName: s.loginName,
    appKey: s.appKey,
    createdAt: isoTime(s.createdAt),
    expiresAt: isoTime(s.expiresAt),
    hardExpiresAt: isoTime(s.hardExpiresAt),
    clientIp: s.clientIp,
    userAgent: s.userAgent,
  };
}

/** Ends the sessions of one user (by login name) or of everyone in the account; returns how many ended. */
export async function revokeSessions(ctx: AdminContext, accountId: string, scope: { loginName: string } | { all: true }): Promise<{ sessionsEnded: number; user?: { userId: string; loginName: string } }> {
  const account = await requireAccount(ctx, accountId);
  if ('loginName' in scope) {
    const user = await requireUserByLoginName(ctx, account.accountId, scope.loginName);
    const sessionsEnded = await ctx.stores.sessions.deleteUserSessions(account.accountId, user.userId);
    await recordAdminEvent(ctx, account.accountId, 'session_revoke', { reason: 'admin', sessionsEnded }, user, 'session_revoked');
    return { sessionsEnded, user };
  }
  const sessionsEnded = await ctx.stores.sessions.deleteAccountSessions(account.accountId);
  await recordAdminEvent(ctx, account.accountId, 'session_revoke', { reason: 'admin', scope: 'account', sessionsEnded }, undefined, 'session_revoked');
  return { sessionsEnded };
}

export async function listEvents(ctx: Pick<AdminContext, 'stores'>, accountId: string, filter: EventFilter): Promise<AuditEvent[]> {
  const account = await requireAccount(ctx, accountId);
  // Filtered by the name as recorded, not by an existing user: failed logins under unknown names matter too.
  return ctx.stores.events.listEvents(account.accountId, filter);
}

export interface AccountChange {
  name?: string;
  timeZone?: string;
  /** Replaces these settings; the others keep their values. `sso: null` removes the identity provider. */
  settings?: Partial<Omit<AccountSettings, 'sso'>> & { sso?: SsoConfig | null };
}

/** Changes the account's name, time zone or settings, checked against the table of settings; returns the updated account. */
export async function changeAccount(ctx: AdminContext, accountId: string, change: AccountChange): Promise<Account> {
  const patch: AccountPatch = {};
  if (change.name !== undefined) {
    if (change.name.trim() === '' || change.name.length > 256) throw new InvalidInputError('name must be 1 to 256 characters');
    patch.name = change.name;
  }
  if (change.timeZone !== undefined) {
    if (!isValidTimeZone(change.timeZone)) throw new InvalidInputError(`unknown IANA time zone "${change.timeZone.slice(0, 80)}"`);
    patch.timeZone = change.timeZone;
  }
  const { sso: ssoChange, ...policy } = change.settings ?? {};
  const changed: Partial<Omit<AccountSettings, 'sso'>> & { sso?: SsoConfig | null } = parseSettingsInput(policy);
  if (ssoChange !== undefined) {
    // null removes the identity provider; an object replaces it whole.
    if (ssoChange === null) changed.sso = null;
    else {
      const sso = { loginNameAttribute: DEFAULT_LOGIN_NAME_ATTRIBUTE, enforce: false, ...(ssoChange as object) } as SsoConfig;
      const problem = ssoConfigProblem(sso);
      if (problem) throw new InvalidInputError(`sso must be ${problem}`);
      changed.sso = { ...sso, idpCerts: sso.idpCerts.map(normaliseCertificate) };
    }
  }
  const account = await requireAccount(ctx, accountId);
  if (Object.keys(changed).length > 0) {
    // Stored settings hold only what differs from the defaults, so a later change of a default reaches every account
    // that kept it, unless a store migration writes the old default into them (as migration 7 did).
    const { sso, ...rest } = changed;
    const settings: Partial<AccountSettings> = { ...account.settings, ...rest };
    if (sso === null) delete settings.sso;
    else if (sso !== undefined) settings.sso = sso;
    for (const key of Object.keys(settings) as Array<keyof AccountSettings>) {
      if (settings[key] === DEFAULT_ACCOUNT_SETTINGS[key]) delete settings[key];
    }
    patch.settings = settings;
  }
  await ctx.stores.accounts.updateAccount(account.accountId, patch);
  const changes = { ...(patch.name !== undefined && { name: patch.name }), ...(patch.timeZone !== undefined && { timeZone: patch.timeZone }), ...changed };
  await recordAdminEvent(ctx, account.accountId, 'account_set', { changes });
  return (await ctx.stores.accounts.getAccount(account.accountId))!;
}

export { accountSettings };
