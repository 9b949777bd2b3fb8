/** Users, their credentials and API keys: what they are and the storage contracts. */

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
   * (admin/model.ts). Returns the new revision.
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
  secretHash: string;
  accessTokenHash: string | null;
  accessTokenSecretHash: string | null;
  createdAt: number;
  revokedAt: number | null;
}

export interface ApiKeyStore {
  /** Throws DuplicateError when the app key exists. */
  createApiKey(key: ApiKey): Promise<void>;
  getApiKey(accountId: string, appKey: string): Promise<ApiKey | null>;
  listApiKeys(accountId: string): Promise<ApiKey[]>;
  /** False when there is no such active key. */
  revokeApiKey(accountId: string, appKey: string, at: number): Promise<boolean>;
}
