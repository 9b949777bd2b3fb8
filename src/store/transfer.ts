/**
 * Moving an installation between backends (SQLite → PostgreSQL, or to a new
 * machine): one JSON document with every account, its settings, agent groups
 * and service base URIs, every user with their password hash (so people keep
 * their passwords) and every API key's digests (so bots keep their keys), with
 * its OAuth installation fields and address allowlist (so applications keep
 * their client ids, secrets and redirect URIs).
 *
 * Not moved, on purpose:
 * - sessions: they are bound to tokens that browsers and bots hold for the
 *   installation that issued them, and live hours at most; moving them would
 *   keep credentials alive across a move that should end them. People log in again.
 * - counters: brute-force windows of a minute or so; they mean nothing later.
 * - OAuth codes, refresh tokens and revocation marks: like sessions, bound to
 *   what the source issued; applications sign their users in again.
 * - signing keys: private keys stay where they were made; the target makes its
 *   own at first start, and tokens of the source stop verifying there.
 * - audit events: the history of the source installation, possibly large, and
 *   kept there under its own retention; they are not what the new one runs on.
 */
import type { Account, ServiceBaseURI } from '../accounts/model.js';
import { isAccountId } from '../accounts/model.js';
import { parseSettingsInput, type PolicySettings } from '../accounts/settings.js';
import { accessControlOf, parseAccessControlInput, storedAccessControl, type AccessControl } from '../accounts/accessControl.js';
import { isValidTimeZone } from '../timezones.js';
import { API_KEY_TYPES, BUILT_IN_PROFILES, USER_DEFAULTS, type AgentGroup, type ApiKey, type GroupAssignment, type Profile, type RoleTypeId, type User } from '../directory/model.js';
import { hashToken } from '../security/tokens.js';
import { GRANT_TYPES, TOKEN_ENDPOINT_AUTH_METHODS, type InstallationFields } from '../oauth/model.js';
import { oidcConfigProblem, ssoConfigProblem, type OidcConfig, type SsoConfig } from '../sso/model.js';
import { storedLoginNameKey } from '../users/loginName.js';
import { DuplicateError, InvalidInputError } from '../errors.js';
import { refuseLookAlikesAmong } from '../users/loginNameConflicts.js';
import type { Stores } from './stores.js';

export const DUMP_FORMAT = 'login-service-installation';
export const DUMP_VERSION = 3;

export interface AccountDump extends Account {
  serviceBaseURIs: ServiceBaseURI[];
  /** Deleted ones too. */
  agentGroups: AgentGroup[];
  profiles: Profile[];
}

export interface InstallationDump {
  format: typeof DUMP_FORMAT;
  version: typeof DUMP_VERSION;
  /** ISO 8601; for the operator's information only. */
  exportedAt: string;
  accounts: AccountDump[];
  users: User[];
  apiKeys: ApiKey[];
}

export interface ImportCounts {
  accounts: number;
  users: number;
  apiKeys: number;
}

export async function exportInstallation(stores: Stores): Promise<InstallationDump> {
  const dump: InstallationDump = { format: DUMP_FORMAT, version: DUMP_VERSION, exportedAt: new Date().toISOString(), accounts: [], users: [], apiKeys: [] };
  for (const account of await stores.accounts.listAccounts()) {
    dump.accounts.push({
      ...account,
      serviceBaseURIs: await stores.accounts.listServiceBaseURIs(account.accountId),
      agentGroups: await stores.directory.listAgentGroups(account.accountId, { includeDeleted: true }),
      profiles: await stores.directory.listProfiles(account.accountId),
    });
    dump.users.push(...(await stores.users.listUsers(account.accountId, { includeDeleted: true })));
    dump.apiKeys.push(...(await stores.apiKeys.listApiKeys(account.accountId)));
  }
  return dump;
}

/**
 * Loads a dump into `stores`. The dump is checked whole, and against what the
 * target already holds, before anything is written: a malformed document
 * raises InvalidInputError, an account id, user id or user pid the target
 * already has raises DuplicateError, and in both cases nothing is written.
 * (Only a concurrent writer creating the same ids during the import could
 * still stop it half-way; the contracts have no transaction to prevent that.)
 */
export async function importInstallation(stores: Stores, dump: InstallationDump): Promise<ImportCounts> {
  const { accounts, users, apiKeys } = checkDump(dump);

  for (const a of accounts) {
    if (await stores.accounts.getAccount(a.accountId)) throw new DuplicateError(`account ${a.accountId}`);
  }
  // User ids and pids are unique across the installation, not only per account.
  const takenUserIds = new Set<string>();
  const takenUserPids = new Set<string>();
  for (const existing of await stores.accounts.listAccounts()) {
    for (const u of await stores.users.listUsers(existing.accountId, { includeDeleted: true })) {
      takenUserIds.add(u.userId);
      takenUserPids.add(u.userPid);
    }
  }
  for (const u of users) {
    if (takenUserIds.has(u.userId)) throw new DuplicateError(`user id ${u.userId}`);
    if (takenUserPids.has(u.userPid)) throw new DuplicateError(`user pid ${u.userPid}`);
  }
  for (const a of accounts) refuseLookAlikesAmong(a.accountId, [], users.filter((u) => u.accountId === a.accountId && !u.deleted).map((u) => u.loginName));

  for (const { serviceBaseURIs, agentGroups, profiles, ...account } of accounts) {
    await stores.accounts.createAccount(account);
    for (const uri of serviceBaseURIs) await stores.accounts.setServiceBaseURI(account.accountId, uri.service, uri.baseURI);
    await stores.directory.writeAgentGroups(account.accountId, { put: agentGroups });
    await stores.directory.writeProfiles(account.accountId, { put: profiles });
  }
  // Keys before users: a bot names the key it logs in with.
  for (const key of apiKeys) await stores.apiKeys.createApiKey(key);
  for (const a of accounts) {
    const theirs = users.filter((u) => u.accountId === a.accountId);
    if (theirs.length > 0) await stores.users.writeUsers(a.accountId, { create: theirs });
  }
  return { accounts: accounts.length, users: users.length, apiKeys: apiKeys.length };
}

// ---------------------------------------------------------------------------
// Checking a document that came from a file: every field, with the path of the
// first wrong one in the message.

type Check<T> = (value: unknown, path: string) => T;

const fail = (path: string, what: string): never => {
  throw new InvalidInputError(`invalid installation dump: ${path} must be ${what}`);
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const str: Check<string> = (v, p) => (typeof v === 'string' ? v : fail(p, 'a string'));
const nonEmpty: Check<string> = (v, p) => (typeof v === 'string' && v.length > 0 ? v : fail(p, 'a non-empty string'));
const bool: Check<boolean> = (v, p) => (typeof v === 'boolean' ? v : fail(p, 'true or false'));
const int: Check<number> = (v, p) => (Number.isSafeInteger(v) ? (v as number) : fail(p, 'an integer'));
const nullable =
  <T>(check: Check<T>): Check<T | null> =>
  (v, p) =>
    v === null ? null : check(v, p);
const arrayOf =
  <T>(check: Check<T>): Check<T[]> =>
  (v, p) =>
    Array.isArray(v) ? v.map((item, i) => check(item, `${p}[${i}]`)) : fail(p, 'an array');
const oneOf =
  <T extends string>(values: readonly T[]): Check<T> =>
  (v, p) =>
    values.includes(v as T) ? (v as T) : fail(p, `one of ${values.join(', ')}`);
const object = (v: unknown, p: string) => (isObject(v) ? v : fail(p, 'an object'));

const agentGroup: Check<AgentGroup> = (v, p) => {
  const o = object(v, p);
  return {
    id: int(o.id, `${p}.id`),
    name: str(o.name, `${p}.name`),
    description: str(o.description, `${p}.description`),
    parentGroupId: nullable(int)(o.parentGroupId, `${p}.parentGroupId`),
    isEnabled: bool(o.isEnabled, `${p}.isEnabled`),
    deleted: bool(o.deleted, `${p}.deleted`),
    updatedAt: int(o.updatedAt, `${p}.updatedAt`),
    ...(o.tokensNotBefore !== undefined && { tokensNotBefore: int(o.tokensNotBefore, `${p}.tokensNotBefore`) }),
  };
};

const profile: Check<Profile> = (v, p) => {
  const o = object(v, p);
  const roleTypeId = int(o.roleTypeId, `${p}.roleTypeId`);
  if (roleTypeId < 1 || roleTypeId > 4) fail(`${p}.roleTypeId`, '1, 2, 3 or 4');
  return {
    id: int(o.id, `${p}.id`),
    name: nonEmpty(o.name, `${p}.name`),
    description: str(o.description, `${p}.description`),
    roleTypeId: roleTypeId as RoleTypeId,
    permissions: arrayOf(int)(o.permissions, `${p}.permissions`),
    builtIn: bool(o.builtIn, `${p}.builtIn`),
    updatedAt: int(o.updatedAt, `${p}.updatedAt`),
    ...(o.tokensNotBefore !== undefined && { tokensNotBefore: int(o.tokensNotBefore, `${p}.tokensNotBefore`) }),
  };
};

const assignment: Check<GroupAssignment> = (v, p) => {
  const o = object(v, p);
  return { agentGroupId: int(o.agentGroupId, `${p}.agentGroupId`), assignmentDate: int(o.assignmentDate, `${p}.assignmentDate`) };
};

/** Settings checked as the administration API checks them (accounts/settings.ts). */
const importedSettings = (policy: Record<string, unknown>, path: string): Partial<PolicySettings> => {
  try {
    return parseSettingsInput(policy, { path });
  } catch (error) {
    if (error instanceof InvalidInputError) throw new InvalidInputError(`invalid installation dump: ${error.message}`);
    throw error;
  }
};

/** Access control checked as the administration API checks it (accounts/accessControl.ts); stored, like there, as what differs from the defaults. */
const importedAccessControl = (value: unknown, path: string): Partial<AccessControl> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object');
  try {
    return storedAccessControl(parseAccessControlInput({ ...accessControlOf(undefined), ...(value as object) }, path)) ?? {};
  } catch (error) {
    if (error instanceof InvalidInputError) throw new InvalidInputError(`invalid installation dump: ${error.message}`);
    throw error;
  }
};

const accountDump: Check<AccountDump> = (v, p) => {
  const o = object(v, p);
  const accountId = str(o.accountId, `${p}.accountId`);
  if (!isAccountId(accountId)) fail(`${p}.accountId`, '1 to 20 digits');
  const timeZone = str(o.timeZone, `${p}.timeZone`);
  if (!isValidTimeZone(timeZone)) fail(`${p}.timeZone`, 'an IANA time zone');
  const { sso, oidc, accessControl, ...policy } = object(o.settings, `${p}.settings`);
  if (sso !== undefined) {
    const problem = ssoConfigProblem(sso);
    if (problem) fail(`${p}.settings.sso`, `a valid SSO configuration (${problem})`);
  }
  if (oidc !== undefined) {
    const problem = oidcConfigProblem(oidc);
    if (problem) fail(`${p}.settings.oidc`, `a valid OpenID Connect configuration (${problem})`);
  }
  const settings = {
    ...importedSettings(policy, `${p}.settings`),
    ...(sso !== undefined && { sso: sso as SsoConfig }),
    ...(oidc !== undefined && { oidc: oidc as OidcConfig }),
    ...(accessControl !== undefined && { accessControl: importedAccessControl(accessControl, `${p}.settings.accessControl`) }),
  };
  return {
    accountId,
    name: str(o.name, `${p}.name`),
    timeZone,
    agentGroups: arrayOf(agentGroup)(o.agentGroups, `${p}.agentGroups`),
    profiles: arrayOf(profile)(o.profiles, `${p}.profiles`),
    settings,
    createdAt: int(o.createdAt, `${p}.createdAt`),
    serviceBaseURIs: arrayOf((u, up) => {
      const uri = object(u, up);
      return { service: nonEmpty(uri.service, `${up}.service`), baseURI: nonEmpty(uri.baseURI, `${up}.baseURI`) };
    })(o.serviceBaseURIs ?? [], `${p}.serviceBaseURIs`),
  };
};

const user: Check<User> = (v, p) => {
  const o = object(v, p);
  return {
    accountId: str(o.accountId, `${p}.accountId`),
    userId: nonEmpty(o.userId, `${p}.userId`),
    userPid: nonEmpty(o.userPid, `${p}.userPid`),
    loginName: nonEmpty(o.loginName, `${p}.loginName`),
    isBot: bool(o.isBot, `${p}.isBot`),
    appKey: nullable(nonEmpty)(o.appKey, `${p}.appKey`),
    passwordHash: nullable(nonEmpty)(o.passwordHash, `${p}.passwordHash`),
    passwordChangedAt: nullable(int)(o.passwordChangedAt, `${p}.passwordChangedAt`),
    // Absent in dumps made before it was kept.
    lastLoginAt: o.lastLoginAt === undefined ? null : nullable(int)(o.lastLoginAt, `${p}.lastLoginAt`),
    isLPA: bool(o.isLPA, `${p}.isLPA`),
    enabled: bool(o.enabled, `${p}.enabled`),
    createdAt: int(o.createdAt, `${p}.createdAt`),
    fullName: str(o.fullName, `${p}.fullName`),
    nickname: str(o.nickname, `${p}.nickname`),
    email: str(o.email, `${p}.email`),
    employeeId: str(o.employeeId, `${p}.employeeId`),
    description: str(o.description, `${p}.description`),
    mobileNumber: str(o.mobileNumber, `${p}.mobileNumber`),
    maxChats: int(o.maxChats, `${p}.maxChats`),
    skillIds: arrayOf(int)(o.skillIds, `${p}.skillIds`),
    memberOf: nullable(assignment)(o.memberOf, `${p}.memberOf`),
    managerOf: arrayOf(assignment)(o.managerOf, `${p}.managerOf`),
    profileIds: arrayOf(int)(o.profileIds, `${p}.profileIds`),
    changePwdNextLogin: bool(o.changePwdNextLogin, `${p}.changePwdNextLogin`),
    deleted: bool(o.deleted, `${p}.deleted`),
    updatedAt: int(o.updatedAt, `${p}.updatedAt`),
    ...(o.tokensNotBefore !== undefined && { tokensNotBefore: int(o.tokensNotBefore, `${p}.tokensNotBefore`) }),
  };
};

const installation: Check<InstallationFields> = (v, p) => {
  const o = object(v, p);
  return {
    clientName: nonEmpty(o.clientName, `${p}.clientName`),
    displayName: str(o.displayName, `${p}.displayName`),
    description: str(o.description, `${p}.description`),
    logoUri: nullable(nonEmpty)(o.logoUri, `${p}.logoUri`),
    grantTypes: arrayOf(oneOf(GRANT_TYPES))(o.grantTypes, `${p}.grantTypes`),
    redirectUris: arrayOf(nonEmpty)(o.redirectUris, `${p}.redirectUris`),
    responseTypes: arrayOf(oneOf(['code'] as const))(o.responseTypes, `${p}.responseTypes`),
    scope: str(o.scope, `${p}.scope`),
    tokenEndpointAuthMethod: oneOf(TOKEN_ENDPOINT_AUTH_METHODS)(o.tokenEndpointAuthMethod, `${p}.tokenEndpointAuthMethod`),
    enabled: bool(o.enabled, `${p}.enabled`),
    updatedAt: int(o.updatedAt, `${p}.updatedAt`),
    ...(o.tokensNotBefore !== undefined && { tokensNotBefore: int(o.tokensNotBefore, `${p}.tokensNotBefore`) }),
  };
};

const apiKey: Check<ApiKey> = (v, p) => {
  const o = object(v, p);
  const type = o.type === undefined ? 'oauth1' : oneOf(API_KEY_TYPES)(o.type, `${p}.type`);
  // Absent in documents exported before OAuth installations existed.
  const fields = o.installation === undefined ? null : nullable(installation)(o.installation, `${p}.installation`);
  if (fields !== null && type !== 'oauth2') fail(`${p}.installation`, 'null for a key of type oauth1');
  // A public client (no secret) keeps an empty digest, which no secret matches.
  const publicClient = fields?.tokenEndpointAuthMethod === 'none';
  return {
    accountId: str(o.accountId, `${p}.accountId`),
    appKey: nonEmpty(o.appKey, `${p}.appKey`),
    name: str(o.name, `${p}.name`),
    type,
    secretHash: publicClient ? str(o.secretHash, `${p}.secretHash`) : nonEmpty(o.secretHash, `${p}.secretHash`),
    // Documents exported before access tokens were kept as digests carry the token itself.
    accessTokenHash: o.accessTokenHash === undefined && typeof o.accessToken === 'string' ? hashToken(o.accessToken) : nullable(nonEmpty)(o.accessTokenHash, `${p}.accessTokenHash`),
    accessTokenSecretHash: nullable(nonEmpty)(o.accessTokenSecretHash, `${p}.accessTokenSecretHash`),
    createdAt: int(o.createdAt, `${p}.createdAt`),
    revokedAt: nullable(int)(o.revokedAt, `${p}.revokedAt`),
    installation: fields,
    ipAllowlist: o.ipAllowlist === undefined ? [] : arrayOf(nonEmpty)(o.ipAllowlist, `${p}.ipAllowlist`),
  };
};

function unique<T>(items: T[], key: (item: T) => string, path: string, what: string): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) fail(`${path}[${i}]`, `unique: ${what} appears twice`);
    seen.add(k);
  });
}

/**
 * A dump of version 1 (before agent groups were rows and profiles existed)
 * brought to version 2 as the schema migration does: groups get their
 * defaults, each account gets the built-in profiles plus one per distinct
 * privilege list, and each user the Administrator or Agent profile plus that
 * of their privileges. Only what the checks below read is touched.
 */
function fromVersion1(o: Record<string, unknown>): Record<string, unknown> {
  const accounts = Array.isArray(o.accounts) ? o.accounts : [];
  const users = Array.isArray(o.users) ? o.users : [];
  const profileOf = new Map<string, number>();
  const v2accounts = accounts.map((a: Record<string, unknown>) => {
    if (!isObject(a)) return a;
    const { agentGroupsRevision: _revision, ...rest } = a;
    const at = typeof a.createdAt === 'number' ? a.createdAt : 0;
    const groups = (Array.isArray(a.agentGroups) ? a.agentGroups : []).map((g: Record<string, unknown>) =>
      isObject(g) ? { description: '', parentGroupId: g.id === -1 ? null : -1, isEnabled: true, updatedAt: at, ...g } : g,
    );
    const profiles: Profile[] = BUILT_IN_PROFILES.map((p) => ({ ...p, permissions: [], builtIn: true, updatedAt: at }));
    for (const u of users) {
      if (!isObject(u) || u.accountId !== a.accountId || !Array.isArray(u.privileges) || u.privileges.length === 0) continue;
      const key = `${String(a.accountId)}\n${JSON.stringify(u.privileges)}`;
      if (profileOf.has(key)) continue;
      const id = profiles.length + 1;
      profileOf.set(key, id);
      profiles.push({ id, name: `Privileges ${JSON.stringify(u.privileges)}`, description: 'Privileges of users before profiles', roleTypeId: 2, permissions: u.privileges as number[], builtIn: false, updatedAt: 0 });
    }
    return { ...rest, agentGroups: groups, profiles };
  });
  const v2users = users.map((u: Record<string, unknown>) => {
    if (!isObject(u)) return u;
    const { privileges, isAdmin, ...rest } = u;
    const extra = profileOf.get(`${String(u.accountId)}\n${JSON.stringify(privileges)}`);
    const at = typeof u.createdAt === 'number' ? u.createdAt : 0;
    return {
      ...USER_DEFAULTS,
      memberOf: { agentGroupId: -1, assignmentDate: at },
      profileIds: [isAdmin === true ? 1 : 2, ...(extra === undefined ? [] : [extra])],
      updatedAt: at,
      ...rest,
    };
  });
  return { ...o, version: 2, accounts: v2accounts, users: v2users };
}

/**
 * A dump of version 2 brought to version 3, as store migration 7 does: its
 * accounts were written when a session's life and the sessions per user had
 * no limit by default, so those that kept the defaults keep no limit, not the
 * newer defaults.
 */
function fromVersion2(o: Record<string, unknown>): Record<string, unknown> {
  const accounts = Array.isArray(o.accounts) ? o.accounts : [];
  const v3accounts = accounts.map((a: Record<string, unknown>) =>
    isObject(a) && isObject(a.settings) ? { ...a, settings: { absoluteSessionLifetimeMs: 0, maxSessionsPerUser: 0, ...a.settings } } : a,
  );
  return { ...o, version: 3, accounts: v3accounts };
}

function checkDump(dump: unknown): { accounts: AccountDump[]; users: User[]; apiKeys: ApiKey[] } {
  let o = object(dump, 'the document');
  if (o.format !== DUMP_FORMAT) fail('format', `"${DUMP_FORMAT}" (is this a file written by login-service export?)`);
  if (o.version === 1) o = fromVersion1(o);
  if (o.version === 2) o = fromVersion2(o);
  if (o.version !== DUMP_VERSION) fail('version', `1, 2 or ${DUMP_VERSION} (the versions this login-service reads)`);
  const accounts = arrayOf(accountDump)(o.accounts, 'accounts');
  const users = arrayOf(user)(o.users, 'users');
  const apiKeys = arrayOf(apiKey)(o.apiKeys, 'apiKeys');

  unique(accounts, (a) => a.accountId, 'accounts', 'the accountId');
  const accountIds = new Set(accounts.map((a) => a.accountId));
  users.forEach((u, i) => accountIds.has(u.accountId) || fail(`users[${i}].accountId`, 'the id of an account in the document'));
  apiKeys.forEach((k, i) => accountIds.has(k.accountId) || fail(`apiKeys[${i}].accountId`, 'the id of an account in the document'));
  unique(users, (u) => u.userId, 'users', 'the userId');
  unique(users, (u) => u.userPid, 'users', 'the userPid');
  unique(users.filter((u) => !u.deleted), (u) => `${u.accountId}\n${storedLoginNameKey(u)}`, 'users', 'the login name (compared as login names are: case, width and Unicode form aside) in its account');
  unique(apiKeys, (k) => `${k.accountId}\n${k.appKey}`, 'apiKeys', 'the appKey in its account');
  accounts.forEach((a, i) => unique(a.serviceBaseURIs, (u) => u.service, `accounts[${i}].serviceBaseURIs`, 'the service'));
  return { accounts, users, apiKeys };
}
