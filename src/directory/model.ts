/**
 * The directory of an account: its users and bots, their API keys, agent
 * groups and profiles. What they are, the rules every write keeps, and the
 * storage contracts every SQL backend implements (Redis holds only sessions
 * and counters).
 *
 * Every write to a resource type of an account (users, agent groups,
 * profiles) bumps that type's revision by one, in the same transaction as the
 * write, and writes of one account's directory are serialized (SQLite: the one
 * writer; PostgreSQL: an advisory lock per account), so the revision counts the
 * writes exactly and a write conditioned on a revision (`If-Match`) is checked
 * and applied atomically.
 */
import { InvalidInputError } from '../errors.js';
import type { InstallationFields } from '../oauth/model.js';

/** An agent group. `-1` is every account's main group, the root of the tree; it cannot be deleted. */
export interface AgentGroup {
  id: number;
  name: string;
  description: string;
  /** The parent group; null only for the main group. */
  parentGroupId: number | null;
  isEnabled: boolean;
  /** Soft delete: kept, shown only on request. */
  deleted: boolean;
  updatedAt: number;
}

export const MAIN_GROUP_ID = -1;
export const MAIN_GROUP_NAME = 'Main Group';

export interface User {
  accountId: string;
  /** String of digits, stable, unique across the installation. */
  userId: string;
  /** Stable opaque id. */
  userPid: string;
  loginName: string;
  isBot: boolean;
  /** The API key(s) a bot may log in with, comma-separated (`allowedAppKeys`); null for humans. */
  appKey: string | null;
  /** argon2id PHC string; null for bots. */
  passwordHash: string | null;
  passwordChangedAt: number | null;
  /** The last successful login (any method); null before the first. Not a directory change: no revision bump. */
  lastLoginAt: number | null;
  /** Platform staff flag reported as `isLPA`. */
  isLPA: boolean;
  enabled: boolean;
  createdAt: number;
  fullName: string;
  nickname: string;
  email: string;
  employeeId: string;
  description: string;
  mobileNumber: string;
  maxChats: number;
  skillIds: number[];
  /** The group the user belongs to; null for none. */
  memberOf: GroupAssignment | null;
  managerOf: GroupAssignment[];
  /** At least one; the profiles decide the privileges and the administrator flag at login. */
  profileIds: number[];
  /** The next password login is refused as expired until the password is changed. */
  changePwdNextLogin: boolean;
  /** Soft delete: the row stays (for audit and `include_deleted`), the login name is free again. */
  deleted: boolean;
  updatedAt: number;
}

export interface GroupAssignment {
  agentGroupId: number;
  /** Milliseconds since the epoch. */
  assignmentDate: number;
}

/** The fields a new user takes when the caller gives none. */
export const USER_DEFAULTS = {
  fullName: '',
  nickname: '',
  email: '',
  employeeId: '',
  description: '',
  mobileNumber: '',
  maxChats: 0,
  skillIds: [] as number[],
  managerOf: [] as GroupAssignment[],
  changePwdNextLogin: false,
  deleted: false,
};

export interface UserPatch {
  passwordHash?: string;
  passwordChangedAt?: number;
  enabled?: boolean;
  changePwdNextLogin?: boolean;
}

export interface UserWrite {
  create?: User[];
  /** Whole rows, matched by userId; a row with `deleted` frees its login name. */
  replace?: User[];
  /** When given, the write happens only if the users' revision is still this (else RevisionMismatchError). */
  expectedRevision?: number;
}

export interface UserStore {
  /**
   * Throws DuplicateError when the login name (case-insensitively, per
   * account, among users not deleted) or user id is taken. Every write below
   * bumps the account's users revision.
   */
  createUser(user: User): Promise<void>;
  /** Case-insensitive on the login name; never a deleted user. */
  getUserByLoginName(accountId: string, loginName: string): Promise<User | null>;
  /** Deleted users too (`deleted: true`). */
  getUserById(accountId: string, userId: string): Promise<User | null>;
  /** Ordered by login name; deleted users only when asked. */
  listUsers(accountId: string, options?: { includeDeleted?: boolean }): Promise<User[]>;
  updateUser(accountId: string, userId: string, patch: UserPatch): Promise<boolean>;
  /** Records a successful login's time; bumps no revision, since it is no administrator's change. */
  recordLogin(accountId: string, userId: string, at: number): Promise<void>;
  /**
   * All or nothing, as one revision: DuplicateError on a taken login name or
   * id, UnknownReferenceError when a user names a group (memberOf, managerOf)
   * or profile that does not exist (or is deleted), RevisionMismatchError
   * (src/errors.ts). Returns the new revision.
   */
  writeUsers(accountId: string, write: UserWrite): Promise<number>;
}

/**
 * `oauth1` (the default): Application Login needs all four values.
 * `oauth2`: client credentials; `appKey` is the client id, `secret` the client
 * secret, and the access-token fields a client sends are placeholders, ignored.
 */
export type ApiKeyType = 'oauth1' | 'oauth2';
export const API_KEY_TYPES: readonly ApiKeyType[] = ['oauth1', 'oauth2'];

/**
 * Application credentials. `secret`, `accessToken` and `accessTokenSecret` are
 * kept only as SHA-256 digests: they are random values of 128 bits or more, so
 * a slow hash adds nothing but latency. An oauth2 key has no access token
 * (both of its digests are null).
 */
export interface ApiKey {
  accountId: string;
  appKey: string;
  name: string;
  type: ApiKeyType;
  /**
   * The secret's digest; `''` for a public OAuth client
   * (`tokenEndpointAuthMethod: 'none'`), which has no secret: no digest equals
   * it, so `tokenMatches` refuses every value.
   */
  secretHash: string;
  accessTokenHash: string | null;
  accessTokenSecretHash: string | null;
  createdAt: number;
  revokedAt: number | null;
  /**
   * The OAuth view of an `oauth2` key (an installation, oauth/model.ts). Null
   * for a key made by `apikey create`, which is seen as
   * `defaultInstallation(name, createdAt)`; always null for `oauth1` keys.
   */
  installation: InstallationFields | null;
  /**
   * Addresses the key may be used from: single addresses, `FROM-TO` ranges and
   * CIDR blocks, stored as given (whoever accepts them checks them). Empty:
   * from anywhere.
   */
  ipAllowlist: string[];
}

/** What `updateApiKey` may change; absent fields stay as they are. */
export interface ApiKeyPatch {
  name?: string;
  secretHash?: string;
  installation?: InstallationFields | null;
  ipAllowlist?: string[];
}

export interface ApiKeyStore {
  /** Throws DuplicateError when the app key exists. */
  createApiKey(key: ApiKey): Promise<void>;
  getApiKey(accountId: string, appKey: string): Promise<ApiKey | null>;
  listApiKeys(accountId: string): Promise<ApiKey[]>;
  /** False when there is no such active key. */
  revokeApiKey(accountId: string, appKey: string, at: number): Promise<boolean>;
  /** Changes an active key (a revoked one stays as it was revoked). False when there is no such active key. */
  updateApiKey(accountId: string, appKey: string, patch: ApiKeyPatch): Promise<boolean>;
}

export type DirectoryResource = 'users' | 'agentGroups' | 'profiles';

export const ROLE_TYPES = { ADMINISTRATOR: 1, AGENT: 2, AGENT_MANAGER: 3, CAMPAIGN_MANAGER: 4 } as const;
export type RoleTypeId = 1 | 2 | 3 | 4;

export interface Profile {
  id: number;
  name: string;
  description: string;
  roleTypeId: RoleTypeId;
  /** Privilege numbers; a user's `userPrivileges` is the union over their profiles. */
  permissions: number[];
  /** One per role type, made with the account; cannot be deleted. */
  builtIn: boolean;
  updatedAt: number;
}

/** Each account's built-in profiles: their ids equal their role types. */
export const BUILT_IN_PROFILES: ReadonlyArray<Pick<Profile, 'id' | 'name' | 'roleTypeId' | 'description'>> = [
  { id: 1, name: 'Administrator', roleTypeId: 1, description: 'Built-in administrator profile' },
  { id: 2, name: 'Agent', roleTypeId: 2, description: 'Built-in agent profile' },
  { id: 3, name: 'Agent Manager', roleTypeId: 3, description: 'Built-in agent manager profile' },
  { id: 4, name: 'Campaign Manager', roleTypeId: 4, description: 'Built-in campaign manager profile' },
];
export const ADMINISTRATOR_PROFILE_ID = 1;
export const AGENT_PROFILE_ID = 2;

const NAME_MAX_LENGTH = 256;
export const DESCRIPTION_MAX_LENGTH = 1024;

/** A group's or profile's name, checked: 1 to 256 characters, not only spaces. */
export function directoryItemName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.trim() === '' || name.length > NAME_MAX_LENGTH) throw new InvalidInputError(`${what} name must be 1 to ${NAME_MAX_LENGTH} characters`);
  return name;
}

/** A new item has no id yet: the store gives the next free one of the account. */
export type NewAgentGroup = Omit<AgentGroup, 'id'>;
export type NewProfile = Omit<Profile, 'id'>;

export interface DirectoryWrite<New, Item> {
  create?: New[];
  /** Whole items, matched by id. */
  replace?: Item[];
  /** Items kept with their ids, new or not (restoring an installation dump). */
  put?: Item[];
  /** When given, the write happens only if the revision is still this. */
  expectedRevision?: number;
}

/** What a caller may condition an action's write on. */
export interface WriteOptions {
  /** `If-Match`: the write happens only at this revision. */
  expectedRevision?: number;
}

export interface WriteResult {
  revision: number;
  /** Ids given to the created items, in order. */
  ids: number[];
}

export interface DirectoryStore {
  /** The resource type's current revision; 0 for an account that has none. */
  revision(accountId: string, resource: DirectoryResource): Promise<number>;
  /** Ordered by id; deleted groups only when asked. */
  listAgentGroups(accountId: string, options?: { includeDeleted?: boolean }): Promise<AgentGroup[]>;
  /** Ordered by id. */
  listProfiles(accountId: string): Promise<Profile[]>;
  /**
   * All or nothing. DuplicateError when a live group's name is taken among its
   * siblings; UnknownReferenceError for a parent that does not exist;
   * InUseError when a group being deleted has live members, managers or child
   * groups, or is the main group; RevisionMismatchError.
   */
  writeAgentGroups(accountId: string, write: DirectoryWrite<NewAgentGroup, AgentGroup>): Promise<WriteResult>;
  /**
   * All or nothing. DuplicateError when a name is taken (case-insensitively);
   * InUseError when a profile being deleted is assigned to a user who is not
   * deleted, or is built in; RevisionMismatchError.
   */
  writeProfiles(accountId: string, write: DirectoryWrite<NewProfile, Profile> & { delete?: number[] }): Promise<WriteResult>;
}

/** Checks shared by the SQL backends, run inside their write transaction. */
export interface DirectoryReferences {
  liveGroupIds: Set<number>;
  profileIds: Set<number>;
}

/** A user's references that do not resolve, or null. */
export function unresolvedReference(
  user: { loginName: string; memberOf: { agentGroupId: number } | null; managerOf: Array<{ agentGroupId: number }>; profileIds: number[]; deleted: boolean },
  refs: DirectoryReferences,
): string | null {
  if (user.deleted) return null;
  const groups = [...(user.memberOf ? [user.memberOf.agentGroupId] : []), ...user.managerOf.map((m) => m.agentGroupId)];
  const group = groups.find((g) => !refs.liveGroupIds.has(g));
  if (group !== undefined) return `agent group ${group} does not exist`;
  const profile = user.profileIds.find((p) => !refs.profileIds.has(p));
  if (profile !== undefined) return `profile ${profile} does not exist`;
  return null;
}

/** What keeps a group from being deleted, or null. */
export function groupInUse(
  groupId: number,
  users: Array<{ memberOf: { agentGroupId: number } | null; managerOf: Array<{ agentGroupId: number }> }>,
  groups: AgentGroup[],
): string | null {
  if (groupId === -1) return 'the main group cannot be deleted';
  if (users.some((u) => u.memberOf?.agentGroupId === groupId)) return `agent group ${groupId} has members`;
  if (users.some((u) => u.managerOf.some((m) => m.agentGroupId === groupId))) return `agent group ${groupId} has managers`;
  if (groups.some((g) => !g.deleted && g.parentGroupId === groupId)) return `agent group ${groupId} has child groups`;
  return null;
}

/** The key a profile's name is unique under. */
export const profileNameKey = (name: string) => name.toLowerCase();

/**
 * The login-name key a deleted user keeps: no login name has a control
 * character, so it never clashes, and the name is free for a new user.
 * (U+0001, not NUL, which PostgreSQL text cannot hold.)
 */
export const deletedLoginNameKey = (userId: string) => `\u0001deleted\u0001${userId}`;
