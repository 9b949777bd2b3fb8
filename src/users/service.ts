/**
 * User and API-key administration for callers that name users by login name
 * (the first start, tests): thin over the administration actions (admin/).
 */
import { InvalidInputError } from '../accounts/service.js';
import { CLI_ACTOR, NotFoundError, type Actor, type AdminContext } from '../admin/context.js';
import { profilesForPrivileges } from '../admin/directory.js';
import { createUsers, requireAccount, requireUserByLoginName, resetPassword, setUserEnabled } from '../admin/users.js';
import { systemClock, type Clock } from '../clock.js';
import type { AuditLog } from '../events/audit.js';
import type { Stores } from '../store/index.js';
import type { PasswordHasher } from '../security/passwords.js';
import { hashToken, randomToken } from '../security/tokens.js';
import type { ApiKey, User } from './model.js';

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

export interface IssuedApiKey {
  appKey: string;
  secret: string;
  accessToken: string;
  accessTokenSecret: string;
}

/** Issues the four values of a key. The secrets exist in plaintext only in the return value. */
export async function createApiKey(stores: Stores, clock: Clock, accountId: string, name?: string): Promise<{ key: ApiKey; issued: IssuedApiKey }> {
  await requireAccount({ stores }, accountId);
  const issued: IssuedApiKey = {
    appKey: randomToken().slice(0, 32),
    secret: randomToken(),
    accessToken: randomToken().slice(0, 32),
    accessTokenSecret: randomToken(),
  };
  const key: ApiKey = {
    accountId,
    appKey: issued.appKey,
    name: name ?? '',
    secretHash: hashToken(issued.secret),
    accessToken: issued.accessToken,
    accessTokenSecretHash: hashToken(issued.accessTokenSecret),
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
