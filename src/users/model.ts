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
