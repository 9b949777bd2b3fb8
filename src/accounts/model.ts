/** Accounts (tenants): what they are and the storage contract every backend implements. */
import type { SsoConfig } from '../sso/model.js';

/** Per-account policy. Stored as one JSON document so new settings need no migration. */
export interface AccountSettings {
  /** Idle lifetime of a session: it ends this long after login or the last refresh. */
  sessionTtlMs: number;
  /** Hard cap on a session's life whatever the refreshes; 0 = none. */
  absoluteSessionLifetimeMs: number;
  /** Most sessions one user may hold; the oldest ends first. 0 = no cap. */
  maxSessionsPerUser: number;
  passwordMinLength: number;
  passwordMaxBytes: number;
  /** Refuse passwords found in lists of leaked passwords. */
  rejectCommonPasswords: boolean;
  /** Login is refused after a password is this old, until it is changed. 0 = never. */
  passwordMaxAgeMs: number;
  /** Consecutive failed logins that lock a user. 0 = never lock. */
  lockoutThreshold: number;
  lockoutBaseMs: number;
  lockoutMaxMs: number;
  /** Application Logins one bot may make in 5 seconds; beyond, 429 with Retry-After: 5. 0 = no limit. */
  applicationLoginLimit: number;
  /** SAML single sign-on (docs/SSO.md); absent = off. */
  sso?: SsoConfig;
}

export const DEFAULT_ACCOUNT_SETTINGS: AccountSettings = {
  sessionTtlMs: 8 * 60 * 60 * 1000,
  absoluteSessionLifetimeMs: 0,
  maxSessionsPerUser: 0,
  passwordMinLength: 10,
  passwordMaxBytes: 1024,
  rejectCommonPasswords: true,
  passwordMaxAgeMs: 0,
  lockoutThreshold: 5,
  lockoutBaseMs: 60_000,
  lockoutMaxMs: 15 * 60_000,
  applicationLoginLimit: 10,
};

export interface Account {
  accountId: string;
  name: string;
  timeZone: string;
  /** Only what differs from the defaults; read through `accountSettings()`. */
  settings: Partial<AccountSettings>;
  createdAt: number;
}

export function accountSettings(account: Pick<Account, 'settings'>): AccountSettings {
  return { ...DEFAULT_ACCOUNT_SETTINGS, ...account.settings };
}

export interface ServiceBaseURI {
  service: string;
  baseURI: string;
}

export interface AccountPatch {
  name?: string;
  timeZone?: string;
  settings?: Partial<AccountSettings>;
}

export interface AccountStore {
  /**
   * Throws DuplicateError when the id is taken. The account starts with its
   * main group and one built-in profile per role type (directory/model.ts).
   */
  createAccount(account: Account): Promise<void>;
  getAccount(accountId: string): Promise<Account | null>;
  listAccounts(): Promise<Account[]>;
  /** False when the account does not exist. */
  updateAccount(accountId: string, patch: AccountPatch): Promise<boolean>;
  /** Insert or replace one service's base URI. */
  setServiceBaseURI(accountId: string, service: string, baseURI: string): Promise<void>;
  deleteServiceBaseURI(accountId: string, service: string): Promise<boolean>;
  /** Sorted by service name. */
  listServiceBaseURIs(accountId: string): Promise<ServiceBaseURI[]>;
}

export const ACCOUNT_ID_PATTERN = '^[0-9]{1,20}$';
export const isAccountId = (s: string): boolean => /^[0-9]{1,20}$/.test(s);
