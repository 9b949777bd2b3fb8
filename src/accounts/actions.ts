/**
 * An account's own administration: service base URIs, audit events and
 * settings. Behind the CLI's `domain`, `events` and `account set` commands and
 * the HTTP API's own resources alike. (Users, keys and sessions are the
 * directory's: src/directory/.)
 */
import { DEFAULT_ACCOUNT_SETTINGS, type Account, type AccountPatch, type AccountSettings } from './model.js';
import { AUTHORIZATION_SERVICE_NAME, BASE_URI, LOGIN_SERVICE_NAME, SERVICE_NAME, requireAccount } from './service.js';
import { DomainError, InvalidInputError, NotFoundError } from '../errors.js';
import { recordAdminEvent, type AdminContext } from '../events/actor.js';
import { parseSettingsInput, type PolicySettings } from './settings.js';
import { accessControlOf, networkAllowed, parseAccessControlInput, storedAccessControl, type AccessControl } from './accessControl.js';
import type { AuditEvent, EventFilter } from '../events/model.js';
import { isValidTimeZone } from '../timezones.js';

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

export async function deleteServiceBaseURI(ctx: AdminContext, accountId: string, service: string): Promise<void> {
  const account = await requireAccount(ctx, accountId);
  if (service === LOGIN_SERVICE_NAME) throw new InvalidInputError(`${LOGIN_SERVICE_NAME} cannot be deleted: it is this server`);
  if (!(await ctx.stores.accounts.deleteServiceBaseURI(account.accountId, service))) {
    if (service === AUTHORIZATION_SERVICE_NAME) throw new NotFoundError(`${AUTHORIZATION_SERVICE_NAME} has no base URI of its own in account ${accountId}: it points at this server`);
    throw new NotFoundError(`service ${service.slice(0, 80)} has no base URI in account ${accountId}`);
  }
  await recordAdminEvent(ctx, account.accountId, 'domain_delete', { service });
}

export async function listEvents(ctx: Pick<AdminContext, 'stores'>, accountId: string, filter: EventFilter): Promise<AuditEvent[]> {
  const account = await requireAccount(ctx, accountId);
  // Filtered by the name as recorded, not by an existing user: failed logins under unknown names matter too.
  return ctx.stores.events.listEvents(account.accountId, filter);
}

export interface AccountChange {
  name?: string;
  timeZone?: string;
  /** Replaces these settings; the others keep their values. The identity provider is not among them (sso/admin.ts). */
  settings?: Partial<PolicySettings>;
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
  // `sso` is no setting of the table, so it is refused here as unknown: settings and identity provider are written apart.
  const changed = parseSettingsInput(change.settings ?? {});
  const account = await requireAccount(ctx, accountId);
  if (Object.keys(changed).length > 0) {
    // Stored settings hold only what differs from the defaults, so a later change of a default reaches every account
    // that kept it, unless a store migration writes the old default into them (as migration 7 did).
    const settings: Partial<AccountSettings> = { ...account.settings, ...changed };
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


export interface AccessControlWriteOptions {
  /** Write even when the acting administrator's own address would be shut out. */
  force?: boolean;
  /**
   * The acting administrator's address as the service sees it (TRUST_PROXY),
   * when a person acts over the API; null when nobody's address is at stake
   * (the CLI on the server's host, a bot, whom the networks do not govern).
   */
  actingAddress?: string | null;
}

/**
 * Replaces the account's access control whole (`configuration/access-control`,
 * `access set`), checked by the one validation (accessControl.ts). Enabling
 * the allowed networks, or changing their ranges, so that the acting
 * administrator's own address falls outside is refused with a conflict unless
 * `force`: the next refresh would end their session. One `access_control_set`
 * event with the values before and after.
 */
export async function setAccessControl(ctx: AdminContext, accountId: string, input: unknown, options: AccessControlWriteOptions = {}): Promise<AccessControl> {
  const after = parseAccessControlInput(input, '');
  const account = await requireAccount(ctx, accountId);
  const before = accessControlOf(account.settings);
  const restrictionsChanged = after.ipRestrictions.enabled && (!before.ipRestrictions.enabled || JSON.stringify(before.ipRestrictions.ranges) !== JSON.stringify(after.ipRestrictions.ranges));
  const address = options.actingAddress ?? null;
  const shutsOut = restrictionsChanged && address !== null && !networkAllowed(after, address);
  if (shutsOut && !options.force) {
    throw new DomainError('conflict', `your own address ${address.slice(0, 64)} is outside every allowed network: you would be shut out at your next login or refresh. Add a range that holds it, or send force=true to save anyway`);
  }
  const settings: Partial<AccountSettings> = { ...account.settings };
  const stored = storedAccessControl(after);
  if (stored) settings.accessControl = stored;
  else delete settings.accessControl;
  await ctx.stores.accounts.updateAccount(account.accountId, { settings });
  await recordAdminEvent(ctx, account.accountId, 'access_control_set', { before, after, ...(shutsOut && { forced: true }) });
  return after;
}

/** Changes some fields of the account's access control (the CLI's `access set`); the rest keep their values. */
export async function changeAccessControl(ctx: AdminContext, accountId: string, changes: Partial<AccessControl>, options: AccessControlWriteOptions = {}): Promise<AccessControl> {
  const account = await requireAccount(ctx, accountId);
  const current = accessControlOf(account.settings);
  return setAccessControl(ctx, account.accountId, { ...current, ...changes, ipRestrictions: { ...current.ipRestrictions, ...changes.ipRestrictions } }, options);
}
