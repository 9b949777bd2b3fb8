/** Accounts (tenants): what they are and the storage contract every backend implements. */
import type { SsoConfig } from '../sso/model.js';
import type { AccessControl } from './accessControl.js';
import { DEFAULT_POLICY_SETTINGS, type PolicySettings } from './settings.js';

/**
 * Per-account policy: the settings of the table in ./settings.ts, plus the
 * identity provider. Stored as one JSON document so new settings need no migration.
 */
export interface AccountSettings extends PolicySettings {
  /** SAML single sign-on (docs/SSO.md); absent = off. */
  sso?: SsoConfig;
  /** Second factor, allowed networks, inactive users (docs/ACCESS-CONTROL.md); absent = defaults. Read through `accessControlOf()`. */
  accessControl?: Partial<AccessControl>;
}

export const DEFAULT_ACCOUNT_SETTINGS: AccountSettings = { ...DEFAULT_POLICY_SETTINGS };

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
