/** Account administration and the Domain API's view of an account's services. */
import type { Clock } from '../clock.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { Stores } from '../store/index.js';
import { isValidTimeZone } from '../timezones.js';
import { isAccountId, type Account, type ServiceBaseURI } from './model.js';

/** The Login Service itself: every account has it, at this server's public address unless overridden. */
export const LOGIN_SERVICE_NAME = 'agentVep';
/**
 * The OAuth 2.0 authorization server (oauth-applications.md): every account
 * has it too, at this server unless an administrator moves it. Deleting an
 * administrator's entry points it back here.
 */
export const AUTHORIZATION_SERVICE_NAME = 'sentinel';
/** The services listed for every account, at this server's public host when no base URI of their own is stored. */
export const SERVICES_AT_THIS_SERVER: readonly string[] = [LOGIN_SERVICE_NAME, AUTHORIZATION_SERVICE_NAME];

/** The account, or NotFoundError: every action on an account's contents starts here. */
export async function requireAccount(ctx: { stores: Pick<Stores, 'accounts'> }, accountId: string): Promise<Account> {
  const account = await ctx.stores.accounts.getAccount(accountId);
  if (!account) throw new NotFoundError(`account ${accountId} does not exist`);
  return account;
}

export interface NewAccount {
  accountId: string;
  name?: string;
  timeZone?: string;
}

export async function createAccount(stores: Stores, clock: Clock, input: NewAccount): Promise<Account> {
  if (!isAccountId(input.accountId)) throw new InvalidInputError(`account id must be 1 to 20 digits, got "${input.accountId}"`);
  const timeZone = input.timeZone ?? 'UTC';
  if (!isValidTimeZone(timeZone)) throw new InvalidInputError(`unknown IANA time zone "${timeZone}"`);
  const account: Account = {
    accountId: input.accountId,
    name: input.name ?? `Account ${input.accountId}`,
    timeZone,
    settings: {},
    createdAt: clock.now(),
  };
  await stores.accounts.createAccount(account);
  return account;
}

/** Service names are case-sensitive identifiers; base URIs are host[:port]. */
export const SERVICE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
export const BASE_URI = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/;

/** The account's services, with `agentVep` and `sentinel` defaulting to this server's public host. Sorted by service. */
export async function serviceBaseURIs(stores: Stores, accountId: string, publicHost: string): Promise<ServiceBaseURI[]> {
  const stored = await stores.accounts.listServiceBaseURIs(accountId);
  const defaults = SERVICES_AT_THIS_SERVER.filter((service) => !stored.some((s) => s.service === service)).map((service) => ({ service, baseURI: publicHost }));
  if (defaults.length === 0) return stored;
  return [...stored, ...defaults].sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
}
