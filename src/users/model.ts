/** Users, their credentials and API keys: what they are and the storage contracts. */

export interface User {
  accountId: string;
  /** String of digits, stable, unique across the installation. */
  userId: string;
  /** Stable opaque id. */
  userPid: string;
  loginName: string;
  isBot: boolean;
  /** The API key a bot logs in with; null for humans. */
  appKey: string | null;
  /** argon2id PHC string; null for bots. */
  passwordHash: string | null;
  passwordChangedAt: number | null;
  privileges: number[];
  isAdmin: boolean;
  /** Platform staff flag reported as `isLPA`. */
  isLPA: boolean;
  enabled: boolean;
  createdAt: number;
}

export interface UserPatch {
  passwordHash?: string;
  passwordChangedAt?: number;
  enabled?: boolean;
  privileges?: number[];
  isAdmin?: boolean;
}

export interface UserStore {
  /** Throws DuplicateError when the login name (case-insensitively, per account) or user id is taken. */
  createUser(user: User): Promise<void>;
  /** Case-insensitive on the login name. */
  getUserByLoginName(accountId: string, loginName: string): Promise<User | null>;
  getUserById(accountId: string, userId: string): Promise<User | null>;
  listUsers(accountId: string): Promise<User[]>;
  updateUser(accountId: string, userId: string, patch: UserPatch): Promise<boolean>;
}

/**
 * OAuth 1.0-style application credentials. `secret` and `accessTokenSecret` are
 * kept only as SHA-256 digests: they are 256-bit random values, so a slow hash
 * adds nothing but latency.
 */
export interface ApiKey {
  accountId: string;
  appKey: string;
  name: string;
  secretHash: string;
  accessToken: string;
  accessTokenSecretHash: string;
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
