/** User and API-key administration (used by the CLI and the first start). */
import { accountSettings } from '../accounts/model.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { Clock } from '../clock.js';
import { DuplicateError } from '../store/errors.js';
import type { Stores } from '../store/index.js';
import type { PasswordHasher } from '../security/passwords.js';
import { hashToken, randomDigits, randomToken, randomUuid } from '../security/tokens.js';
import { LoginNameError, loginNameKey } from './loginName.js';
import { API_KEY_TYPES, type ApiKey, type ApiKeyType, type User } from './model.js';
import { passwordProblem } from './passwordPolicy.js';

/** Where administration code imports it from. */
export { NotFoundError };

export interface NewUser {
  accountId: string;
  loginName: string;
  password?: string;
  bot?: boolean;
  appKey?: string;
  privileges?: number[];
  isAdmin?: boolean;
  isLPA?: boolean;
}

export interface UserAdminDeps {
  stores: Stores;
  clock: Clock;
  hasher: PasswordHasher;
}

async function requireAccount(stores: Stores, accountId: string) {
  const account = await stores.accounts.getAccount(accountId);
  if (!account) throw new NotFoundError(`account ${accountId} does not exist`);
  return account;
}

export async function requireUser(stores: Stores, accountId: string, loginName: string): Promise<User> {
  await requireAccount(stores, accountId);
  const user = await stores.users.getUserByLoginName(accountId, loginName);
  if (!user) throw new NotFoundError(`user ${loginName} does not exist in account ${accountId}`);
  return user;
}

export async function createUser({ stores, clock, hasher }: UserAdminDeps, input: NewUser): Promise<User> {
  const account = await requireAccount(stores, input.accountId);
  try {
    loginNameKey(input.loginName);
  } catch (e) {
    if (e instanceof LoginNameError) throw new InvalidInputError(e.message);
    throw e;
  }
  const privileges = input.privileges ?? [];
  if (!privileges.every((p) => Number.isSafeInteger(p))) throw new InvalidInputError('privileges must be integers');
  let passwordHash: string | null = null;
  if (input.bot) {
    if (!input.appKey) throw new InvalidInputError('a bot needs --app-key');
    if (input.password !== undefined) throw new InvalidInputError('a bot logs in with its API key, not a password');
    const key = await stores.apiKeys.getApiKey(input.accountId, input.appKey);
    if (!key || key.revokedAt !== null) throw new NotFoundError(`API key ${input.appKey} is not an active key of account ${input.accountId}`);
  } else {
    if (input.password === undefined) throw new InvalidInputError('a user needs a password (--password-stdin or --password)');
    const problem = passwordProblem(input.password, input.loginName, accountSettings(account));
    if (problem) throw new InvalidInputError(problem);
    passwordHash = await hasher.hash(input.password);
  }
  const now = clock.now();
  for (let attempt = 0; ; attempt++) {
    const user: User = {
      accountId: input.accountId,
      userId: randomDigits(10),
      userPid: randomUuid(),
      loginName: input.loginName,
      isBot: input.bot === true,
      appKey: input.bot ? input.appKey! : null,
      passwordHash,
      passwordChangedAt: passwordHash ? now : null,
      privileges,
      isAdmin: input.isAdmin === true,
      isLPA: input.isLPA === true,
      enabled: true,
      createdAt: now,
    };
    try {
      await stores.users.createUser(user);
      return user;
    } catch (e) {
      // A clash on the random user id is retried; a clash on the login name is the caller's.
      if (!(e instanceof DuplicateError) || attempt >= 5) throw e;
      if (await stores.users.getUserByLoginName(input.accountId, input.loginName)) throw e;
    }
  }
}

/** Sets a new password and ends the user's sessions. */
export async function setPassword(deps: UserAdminDeps, accountId: string, loginName: string, password: string): Promise<User> {
  const user = await requireUser(deps.stores, accountId, loginName);
  if (user.isBot) throw new InvalidInputError('a bot logs in with its API key and has no password');
  const account = await requireAccount(deps.stores, accountId);
  const problem = passwordProblem(password, user.loginName, accountSettings(account));
  if (problem) throw new InvalidInputError(problem);
  const passwordHash = await deps.hasher.hash(password);
  await deps.stores.users.updateUser(accountId, user.userId, { passwordHash, passwordChangedAt: deps.clock.now() });
  await deps.stores.sessions.deleteUserSessions(accountId, user.userId);
  return user;
}

/** Disables the user and ends their sessions. */
export async function disableUser(stores: Stores, accountId: string, loginName: string): Promise<User> {
  const user = await requireUser(stores, accountId, loginName);
  await stores.users.updateUser(accountId, user.userId, { enabled: false });
  await stores.sessions.deleteUserSessions(accountId, user.userId);
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
  await requireAccount(stores, accountId);
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
  await requireAccount(stores, accountId);
  if (!(await stores.apiKeys.revokeApiKey(accountId, appKey, clock.now()))) {
    throw new NotFoundError(`API key ${appKey} is not an active key of account ${accountId}`);
  }
  return stores.sessions.deleteAppKeySessions(accountId, appKey);
}
