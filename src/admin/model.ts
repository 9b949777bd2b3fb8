/**
 * The account's directory beside its users: agent groups, profiles, and the
 * revision of each resource type. What they are and the storage contract
 * every SQL backend implements (Redis holds only sessions and counters).
 *
 * Every write to a resource type of an account bumps that type's revision by
 * one, in the same transaction as the write, and writes of one account's
 * directory are serialized (SQLite: the one writer; PostgreSQL: an advisory
 * lock per account), so the revision counts the writes exactly and a write
 * conditioned on a revision (`If-Match`) is checked and applied atomically.
 */
import type { AgentGroup } from '../accounts/model.js';

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

/** The revision moved on since the caller read it (HTTP 412). */
export class RevisionMismatchError extends Error {
  constructor(readonly current: number) {
    super(`the revision is now ${current}`);
    this.name = 'RevisionMismatchError';
  }
}

/** A write names a group or profile that does not exist (HTTP 400). */
export class UnknownReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownReferenceError';
  }
}

/** The item cannot be deleted while something uses it (HTTP 409). */
export class InUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InUseError';
  }
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
