/**
 * User and API-key administration for callers that name users by login name
 * (the first start, tests): thin over the administration actions (admin/).
 */
import { CLI_ACTOR, type Actor, type AdminContext } from '../admin/context.js';
import { profilesForPrivileges } from '../admin/directory.js';
import { createUsers, requireAccount, requireUserByLoginName, resetPassword, setUserEnabled } from '../admin/users.js';
import { systemClock, type Clock } from '../clock.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { AuditLog } from '../events/audit.js';
import type { Stores } from '../store/index.js';
import type { PasswordHasher } from '../security/passwords.js';
import { hashToken, randomToken } from '../security/tokens.js';
import { API_KEY_TYPES, type ApiKey, type ApiKeyType, type User } from './model.js';

export { NotFoundError };

export interface NewUser {
  accountId: string;
  loginName: string;
  password?: string;
  bot?: boolean;
  appKey?: string;
  /** Mapped onto profiles (admin/directory.ts `profilesForPrivileges`). */
  privileges?: number[];
  isAdmin?: boolean;
  isLPA?: boolean;
}

export interface UserAdminDeps {
  stores: Stores;
  clock: Clock;
  hasher: PasswordHasher;
  /** Who acts and where their events go; none (first start, tests) records nothing. */
  audit?: AuditLog | null;
  actor?: Actor;
}

const adminContext = (deps: UserAdminDeps): AdminContext => ({ ...deps, audit: deps.audit ?? null, actor: deps.actor ?? CLI_ACTOR });

export async function requireUser(stores: Stores, accountId: string, loginName: string): Promise<User> {
  return requireUserByLoginName({ stores }, accountId, loginName);
}

/** A user or bot, with `--admin` / `--privileges` given as profiles. */
export async function createUser(deps: UserAdminDeps, input: NewUser): Promise<User> {
  const ctx = adminContext(deps);
  await requireAccount(ctx, input.accountId);
  if (input.bot && !input.appKey) throw new InvalidInputError('a bot needs --app-key');
  if (!input.bot && input.password === undefined) throw new InvalidInputError('a user needs a password (--password-stdin or --password)');
  const profileIds = await profilesForPrivileges(ctx, input.accountId, input.isAdmin === true, input.privileges ?? []);
  const { users } = await createUsers(ctx, input.accountId, [
    { loginName: input.loginName, password: input.password, isApiUser: input.bot === true, allowedAppKeys: input.appKey, profileIds, isLPA: input.isLPA },
  ]);
  return users[0]!;
}

/** Sets a new password and ends the user's sessions. */
export async function setPassword(deps: UserAdminDeps, accountId: string, loginName: string, password: string): Promise<User> {
  const ctx = adminContext(deps);
  const user = await requireUserByLoginName(ctx, accountId, loginName);
  await resetPassword(ctx, user, password);
  return user;
}

/** Disables the user and ends their sessions. */
export async function disableUser(stores: Stores, accountId: string, loginName: string): Promise<User> {
  const ctx = { stores, clock: systemClock, audit: null, actor: CLI_ACTOR };
  const user = await requireUserByLoginName(ctx, accountId, loginName);
  await setUserEnabled(ctx, user, false);
  return { ...user, enabled: false };
}

/** What an oauth2 key is: client id and client secret. */
export interface IssuedClientCredentials {
  appKey: string;
  secret: string;
}

/** The four values of an oauth1 key. */
export interface IssuedApiKey extends IssuedClientCredentials {
  accessToken: string;
  accessTokenSecret: string;
}

/**
 * Issues a key: for oauth1 (the default) the four values, for oauth2 the
 * client id (appKey) and secret. The secrets exist in plaintext only in the return value.
 */
export async function createApiKey(stores: Stores, clock: Clock, accountId: string, name?: string, type?: 'oauth1'): Promise<{ key: ApiKey; issued: IssuedApiKey }>;
export async function createApiKey(
  stores: Stores,
  clock: Clock,
  accountId: string,
  name: string | undefined,
  type: ApiKeyType,
): Promise<{ key: ApiKey; issued: IssuedApiKey | IssuedClientCredentials }>;
export async function createApiKey(
  stores: Stores,
  clock: Clock,
  accountId: string,
  name?: string,
  type: ApiKeyType = 'oauth1',
): Promise<{ key: ApiKey; issued: IssuedApiKey | IssuedClientCredentials }> {
  await requireAccount({ stores }, accountId);
  if (!API_KEY_TYPES.includes(type)) throw new InvalidInputError(`key type must be one of ${API_KEY_TYPES.join(', ')}`);
  const credentials: IssuedClientCredentials = { appKey: randomToken().slice(0, 32), secret: randomToken() };
  const issued: IssuedApiKey | IssuedClientCredentials =
    type === 'oauth1' ? { ...credentials, accessToken: randomToken().slice(0, 32), accessTokenSecret: randomToken() } : credentials;
  const key: ApiKey = {
    accountId,
    appKey: issued.appKey,
    name: name ?? '',
    type,
    secretHash: hashToken(issued.secret),
    accessTokenHash: 'accessToken' in issued ? hashToken(issued.accessToken) : null,
    accessTokenSecretHash: 'accessTokenSecret' in issued ? hashToken(issued.accessTokenSecret) : null,
    createdAt: clock.now(),
    revokedAt: null,
  };
  await stores.apiKeys.createApiKey(key);
  return { key, issued };
}

/** Revokes the key and ends the sessions of the bots that logged in with it. */
export async function revokeApiKey(stores: Stores, clock: Clock, accountId: string, appKey: string): Promise<number> {
  await requireAccount({ stores }, accountId);
  if (!(await stores.apiKeys.revokeApiKey(accountId, appKey, clock.now()))) {
    throw new NotFoundError(`API key ${appKey} is not an active key of account ${accountId}`);
  }
  return stores.sessions.deleteAppKeySessions(accountId, appKey);
}
