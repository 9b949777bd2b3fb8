/**
 * Users: create (one or several, all or nothing), replace, delete (soft),
 * enable or disable, reset a password. The one implementation behind the CLI's
 * `user …` commands and the HTTP API's `le-users/users`.
 */
import { markReactivated } from './inactiveUsers.js';
import { accountSettings, type Account } from '../accounts/model.js';
import { LONGEST_ACCESS_TOKEN_MS } from '../accounts/settings.js';
import { requireAccount } from '../accounts/service.js';
import { DuplicateError, InvalidInputError, NotFoundError, PasswordRejectedError } from '../errors.js';
import { CLI_ACTOR, recordAdminEvent, type Actor, type AdminContext } from '../events/actor.js';
import type { AuditLog } from '../events/audit.js';
import { failureCount, forgetFailures, lockedUntil, lockedUntilOf } from '../security/bruteForce.js';
import type { PasswordHasher } from '../security/passwords.js';
import { randomDigits, randomUuid } from '../security/tokens.js';
import type { Stores } from '../store/index.js';
import { LoginNameError, checkSingleScript, loginNameKey, loginNameKeyOrNull } from '../users/loginName.js';
import { refuseLookAlikeNames } from '../users/loginNameConflicts.js';
import { profilesForPrivileges } from './profiles.js';
import { AGENT_PROFILE_ID, MAIN_GROUP_ID, USER_DEFAULTS, type GroupAssignment, type User, type WriteOptions } from './model.js';
import { passwordProblem } from './passwordPolicy.js';

/** What a caller gives for a user; what it leaves out takes its default (a replace too). */
export interface UserInput {
  loginName: string;
  /** Required for a new human; for a replace, a new password (the user's sessions end). */
  password?: string;
  fullName?: string;
  nickname?: string;
  email?: string;
  employeeId?: string;
  description?: string;
  mobileNumber?: string;
  isEnabled?: boolean;
  maxChats?: number;
  skillIds?: number[];
  memberOf?: { agentGroupId: number; assignmentDate?: number } | null;
  managerOf?: Array<{ agentGroupId: number; assignmentDate?: number }>;
  profileIds?: number[];
  isApiUser?: boolean;
  allowedAppKeys?: string;
  changePwdNextLogin?: boolean;
  isLPA?: boolean;
}

export const LOGIN_NAME = /^[^\s\u0000-\u001f\u007f]([^\u0000-\u001f\u007f]{0,254}[^\s\u0000-\u001f\u007f])?$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/;
const TEXT_FIELDS = ['fullName', 'nickname', 'email', 'employeeId', 'description', 'mobileNumber'] as const;
export const MAX_TEXT_LENGTH = 1024;
export const MAX_CHATS = 10_000;

export async function requireUserById(ctx: Pick<AdminContext, 'stores'>, accountId: string, userId: string, options: { includeDeleted?: boolean } = {}): Promise<User> {
  const user = await ctx.stores.users.getUserById(accountId, userId);
  if (!user || (user.deleted && !options.includeDeleted)) throw new NotFoundError(`user ${userId} does not exist in account ${accountId}`);
  return user;
}

export async function requireUserByLoginName(ctx: Pick<AdminContext, 'stores'>, accountId: string, loginName: string): Promise<User> {
  await requireAccount(ctx, accountId);
  const user = await ctx.stores.users.getUserByLoginName(accountId, loginName);
  if (!user) throw new NotFoundError(`user ${loginName} does not exist in account ${accountId}`);
  return user;
}

const integers = (values: number[], what: string) => {
  if (!values.every((v) => Number.isSafeInteger(v))) throw new InvalidInputError(`${what} must be integers`);
  return [...new Set(values)];
};

/** Checks `input` and makes the user it describes, over `existing` for a replace; the new password, if any, is still to hash. */
async function userFrom(ctx: AdminContext, account: Account, input: UserInput, existing: User | null, now: number): Promise<{ user: User; newPassword: string | null }> {
  const who = `user ${typeof input.loginName === 'string' ? input.loginName.slice(0, 64) : '?'}`;
  if (typeof input.loginName !== 'string' || !LOGIN_NAME.test(input.loginName)) {
    throw new InvalidInputError(`${who}: login name must be 1 to 256 printable characters without leading or trailing spaces`);
  }
  try {
    const key = loginNameKey(input.loginName);
    // Names already given keep working; a new or changed one must be written in one script.
    if (existing === null || loginNameKeyOrNull(existing.loginName) !== key) checkSingleScript(input.loginName);
  } catch (e) {
    if (e instanceof LoginNameError) throw new InvalidInputError(`${who}: ${e.message}`);
    throw e;
  }
  for (const field of TEXT_FIELDS) {
    const value = input[field];
    if (value !== undefined && (typeof value !== 'string' || value.length > MAX_TEXT_LENGTH)) throw new InvalidInputError(`${who}: ${field} must be a string of at most ${MAX_TEXT_LENGTH} characters`);
  }
  if (input.email && !EMAIL.test(input.email)) throw new InvalidInputError(`${who}: email "${input.email.slice(0, 64)}" is not an email address`);
  const maxChats = input.maxChats ?? USER_DEFAULTS.maxChats;
  if (!Number.isSafeInteger(maxChats) || maxChats < 0 || maxChats > MAX_CHATS) throw new InvalidInputError(`${who}: maxChats must be an integer from 0 to ${MAX_CHATS}`);
  const profileIds = integers(input.profileIds ?? [AGENT_PROFILE_ID], 'profileIds');
  if (profileIds.length === 0) throw new InvalidInputError(`${who}: profileIds needs at least one profile`);
  const assignment = (a: { agentGroupId: number; assignmentDate?: number }): GroupAssignment => {
    if (!Number.isSafeInteger(a.agentGroupId)) throw new InvalidInputError(`${who}: agentGroupId must be an integer`);
    return { agentGroupId: a.agentGroupId, assignmentDate: a.assignmentDate ?? now };
  };
  const memberOf = input.memberOf === undefined ? { agentGroupId: MAIN_GROUP_ID, assignmentDate: now } : input.memberOf === null ? null : assignment(input.memberOf);
  const managerOf = (input.managerOf ?? []).map(assignment);

  const isBot = input.isApiUser ?? false;
  let appKey: string | null = null;
  let passwordHash = existing?.passwordHash ?? null;
  let passwordChangedAt = existing?.passwordChangedAt ?? null;
  if (isBot) {
    if (input.password !== undefined) throw new InvalidInputError(`${who}: a bot logs in with its API key, not a password`);
    const keys = (input.allowedAppKeys ?? '').split(',').map((k) => k.trim()).filter(Boolean);
    if (keys.length === 0) throw new InvalidInputError(`${who}: a bot needs allowedAppKeys (an API key of the account)`);
    for (const k of keys) {
      const key = await ctx.stores.apiKeys.getApiKey(account.accountId, k);
      if (!key || key.revokedAt !== null) throw new InvalidInputError(`API key ${k.slice(0, 64)} is not an active key of account ${account.accountId}`);
    }
    appKey = [...new Set(keys)].join(',');
    passwordHash = null;
    passwordChangedAt = null;
  } else {
    if (input.allowedAppKeys) throw new InvalidInputError(`${who}: allowedAppKeys is for bots (isApiUser: true)`);
    if (input.password !== undefined) {
      const problem = typeof input.password === 'string' ? passwordProblem(input.password, input.loginName, accountSettings(account)) : 'password must be a string';
      if (problem) throw new PasswordRejectedError(`${who}: ${problem}`);
    } else if (!passwordHash) {
      throw new InvalidInputError(`${who}: a user needs a password`);
    }
  }
  const user: User = {
    accountId: account.accountId,
    userId: existing?.userId ?? randomDigits(10),
    userPid: existing?.userPid ?? randomUuid(),
    loginName: input.loginName,
    isBot,
    appKey,
    passwordHash,
    passwordChangedAt,
    lastLoginAt: existing?.lastLoginAt ?? null,
    isLPA: input.isLPA ?? existing?.isLPA ?? false,
    enabled: input.isEnabled ?? true,
    createdAt: existing?.createdAt ?? now,
    fullName: input.fullName ?? '',
    nickname: input.nickname ?? '',
    email: input.email ?? '',
    employeeId: input.employeeId ?? '',
    description: input.description ?? '',
    mobileNumber: input.mobileNumber ?? '',
    maxChats,
    skillIds: integers(input.skillIds ?? [], 'skillIds'),
    memberOf,
    managerOf,
    profileIds,
    changePwdNextLogin: input.changePwdNextLogin ?? false,
    deleted: false,
    updatedAt: now,
  };
  return { user, newPassword: !isBot && input.password !== undefined ? input.password : null };
}

async function withPassword(ctx: AdminContext, { user, newPassword }: { user: User; newPassword: string | null }): Promise<User> {
  if (newPassword === null) return user;
  return { ...user, passwordHash: await ctx.hasher.hash(newPassword), passwordChangedAt: user.updatedAt };
}

/** What an audit event says of a user: no password, no hash. */
const auditView = (u: User) => ({ isBot: u.isBot, profileIds: u.profileIds, appKey: u.appKey, enabled: u.enabled, memberOf: u.memberOf?.agentGroupId ?? null });

function assertUniqueLoginNames(inputs: UserInput[]): void {
  const seen = new Set<string>();
  for (const input of inputs) {
    const key = loginNameKeyOrNull(String(input.loginName)) ?? String(input.loginName);
    if (seen.has(key)) throw new InvalidInputError(`user ${String(input.loginName).slice(0, 64)} appears twice in the list`);
    seen.add(key);
  }
}

/** Creates every user or none; returns them in order, with the users' new revision. */
export async function createUsers(ctx: AdminContext, accountId: string, inputs: UserInput[], options: WriteOptions = {}): Promise<{ users: User[]; revision: number }> {
  const account = await requireAccount(ctx, accountId);
  if (inputs.length === 0) throw new InvalidInputError('no users to create');
  assertUniqueLoginNames(inputs);
  const now = ctx.clock.now();
  for (const input of inputs) {
    if (typeof input.loginName === 'string' && (await ctx.stores.users.getUserByLoginName(accountId, input.loginName))) {
      throw new DuplicateError(`user ${input.loginName} in account ${accountId}`);
    }
  }
  await refuseLookAlikeNames(ctx.stores, accountId, inputs.filter((i) => typeof i.loginName === 'string'));
  const checked = [];
  for (const input of inputs) checked.push(await userFrom(ctx, account, input, null, now));
  // Hashed once every entry is known good: a list refused for one bad entry costs no argon2 time.
  const users = await Promise.all(checked.map((c) => withPassword(ctx, c)));
  let revision: number;
  for (let attempt = 0; ; attempt++) {
    try {
      revision = await ctx.stores.users.writeUsers(accountId, { create: users, expectedRevision: options.expectedRevision });
      break;
    } catch (e) {
      // A clash on a random user id is retried with new ids; a clash on a login name is the caller's.
      if (!(e instanceof DuplicateError) || attempt >= 5) throw e;
      for (const u of users) {
        if (await ctx.stores.users.getUserByLoginName(accountId, u.loginName)) throw new DuplicateError(`user ${u.loginName} in account ${accountId}`);
      }
      for (const u of users) u.userId = randomDigits(10);
    }
  }
  for (const u of users) await recordAdminEvent(ctx, accountId, 'user_create', auditView(u), u);
  return { users, revision };
}

function sameSet(a: number[], b: number[]): boolean {
  const x = [...new Set(a)].sort((m, n) => m - n);
  const y = [...new Set(b)].sort((m, n) => m - n);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Whether a change takes away what the user's live sessions were made with.
 * A session carries what its login gave (login name, privileges, the
 * administrator flag, the key a bot used), so a change of any of them, a new
 * password or a disable ends the sessions: rights follow the change at once.
 */
function endsSessions(before: User, after: User, passwordChanged: boolean): boolean {
  return (
    passwordChanged ||
    !after.enabled ||
    after.isBot !== before.isBot ||
    after.loginName !== before.loginName ||
    after.appKey !== before.appKey ||
    !sameSet(after.profileIds, before.profileIds)
  );
}

/** Replaces the whole user: what the input leaves out goes back to its default. Ends the sessions when a change takes away what they were made with (endsSessions). */
export async function replaceUser(ctx: AdminContext, accountId: string, userId: string, input: UserInput, options: WriteOptions = {}): Promise<{ user: User; revision: number }> {
  const account = await requireAccount(ctx, accountId);
  const existing = await requireUserById(ctx, accountId, userId);
  if (typeof input.loginName === 'string' && loginNameKeyOrNull(existing.loginName) !== loginNameKeyOrNull(input.loginName)) {
    if (await ctx.stores.users.getUserByLoginName(accountId, input.loginName)) throw new DuplicateError(`user ${input.loginName} in account ${accountId}`);
    await refuseLookAlikeNames(ctx.stores, accountId, [{ loginName: input.loginName, userId }]);
  }
  const checked = await userFrom(ctx, account, input, existing, ctx.clock.now());
  const passwordChanged = checked.newPassword !== null;
  const user = await withPassword(ctx, checked);
  const revision = await ctx.stores.users.writeUsers(accountId, { replace: [user], expectedRevision: options.expectedRevision });
  const sessionsEnded = endsSessions(existing, user, passwordChanged) ? await ctx.stores.sessions.deleteUserSessions(accountId, userId) : 0;
  if (passwordChanged || !user.enabled) await endUserGrants(ctx, accountId, userId);
  if (!existing.enabled && user.enabled) await markReactivated(ctx, account, user);
  await recordAdminEvent(ctx, accountId, 'user_update', { ...auditView(user), passwordChanged, sessionsEnded }, user);
  return { user, revision };
}

/**
 * Ends a user's OAuth grants: their refresh tokens, and through their
 * families the access tokens issued with them (oauth/grants.ts). With the
 * sessions, on a disable, a delete, a new password and a revocation.
 */
export async function endUserGrants(ctx: Pick<AdminContext, 'stores' | 'clock'>, accountId: string, userId: string): Promise<number> {
  return ctx.stores.oauth.revokeUserGrants(accountId, userId, ctx.clock.now() + LONGEST_ACCESS_TOKEN_MS);
}

/** Soft-deletes every user named or none: their sessions end and their login names are free. */
export async function deleteUsers(ctx: AdminContext, accountId: string, userIds: string[], options: WriteOptions = {}): Promise<{ users: User[]; revision: number }> {
  await requireAccount(ctx, accountId);
  if (userIds.length === 0) throw new InvalidInputError('no users to delete');
  if (new Set(userIds).size !== userIds.length) throw new InvalidInputError('a user id appears twice in the list');
  const users: User[] = [];
  for (const id of userIds) users.push({ ...(await requireUserById(ctx, accountId, id)), deleted: true, updatedAt: ctx.clock.now() });
  const revision = await ctx.stores.users.writeUsers(accountId, { replace: users, expectedRevision: options.expectedRevision });
  for (const u of users) {
    const sessionsEnded = await ctx.stores.sessions.deleteUserSessions(accountId, u.userId);
    await endUserGrants(ctx, accountId, u.userId);
    await recordAdminEvent(ctx, accountId, 'user_delete', { sessionsEnded }, u);
  }
  return { users, revision };
}

/** Sets a human's password (the policy applies) and ends their sessions; returns how many ended. */
export async function resetPassword(ctx: AdminContext, user: User, password: string): Promise<number> {
  if (user.isBot) throw new InvalidInputError('a bot logs in with its API key and has no password');
  const account = await requireAccount(ctx, user.accountId);
  const problem = passwordProblem(password, user.loginName, accountSettings(account));
  if (problem) throw new PasswordRejectedError(problem);
  const passwordHash = await ctx.hasher.hash(password);
  await ctx.stores.users.updateUser(user.accountId, user.userId, { passwordHash, passwordChangedAt: ctx.clock.now() });
  const sessionsEnded = await ctx.stores.sessions.deleteUserSessions(user.accountId, user.userId);
  await endUserGrants(ctx, user.accountId, user.userId);
  await recordAdminEvent(ctx, user.accountId, 'password_set', { sessionsEnded }, user);
  return sessionsEnded;
}

/** Lifts a brute-force lockout: forgets the user's failed logins (familiar addresses stay familiar). */
export async function unlockUser(ctx: Omit<AdminContext, 'hasher'>, user: User): Promise<{ wasLocked: boolean; failuresCleared: number }> {
  const account = await requireAccount(ctx, user.accountId);
  const now = ctx.clock.now();
  const wasLocked = (await lockedUntil(ctx.stores.counters, user.accountId, user.userId, accountSettings(account), now)) !== null;
  const failuresCleared = await failureCount(ctx.stores.counters, user.accountId, user.userId, now);
  await forgetFailures(ctx.stores.counters, user.accountId, user.userId);
  await recordAdminEvent(ctx, user.accountId, 'user_unlock', { wasLocked, failuresCleared }, user, 'unlock');
  return { wasLocked, failuresCleared };
}

/**
 * When each user's brute-force lockout ends, for the users locked now (absent
 * when not locked). The counters are read for all users at once; with
 * lockouts off (threshold 0) nothing is read.
 */
export async function lockouts(ctx: Pick<AdminContext, 'stores' | 'clock'>, account: Account, users: User[]): Promise<Map<string, number>> {
  return lockedUntilOf(ctx.stores.counters, account.accountId, users.map((u) => u.userId), accountSettings(account), ctx.clock.now());
}

/** Enables or disables a user; disabling ends their sessions. Returns how many ended. */
export async function setUserEnabled(ctx: Omit<AdminContext, 'hasher'>, user: User, enabled: boolean): Promise<number> {
  if (user.enabled === enabled) return 0;
  await ctx.stores.users.updateUser(user.accountId, user.userId, { enabled });
  if (enabled) await markReactivated(ctx, await requireAccount(ctx, user.accountId), user);
  const sessionsEnded = enabled ? 0 : await ctx.stores.sessions.deleteUserSessions(user.accountId, user.userId);
  if (!enabled) await endUserGrants(ctx, user.accountId, user.userId);
  await recordAdminEvent(ctx, user.accountId, enabled ? 'user_enable' : 'user_disable', enabled ? {} : { sessionsEnded }, user);
  return sessionsEnded;
}

export interface NewUser {
  accountId: string;
  loginName: string;
  password?: string;
  bot?: boolean;
  appKey?: string;
  /** Mapped onto profiles (profiles.ts `profilesForPrivileges`). */
  privileges?: number[];
  isAdmin?: boolean;
  isLPA?: boolean;
}

export interface UserAdminDeps {
  stores: Stores;
  clock: AdminContext['clock'];
  hasher: PasswordHasher;
  /** Who acts and where their events go; none (first start, test fixtures) records nothing. */
  audit?: AuditLog | null;
  actor?: Actor;
}

/** One user or bot named by login name, with the CLI's `--admin` / `--privileges` given as profiles (the CLI, the first start). */
export async function createUser(deps: UserAdminDeps, input: NewUser): Promise<User> {
  const ctx: AdminContext = { ...deps, audit: deps.audit ?? null, actor: deps.actor ?? CLI_ACTOR };
  await requireAccount(ctx, input.accountId);
  if (input.bot && !input.appKey) throw new InvalidInputError('a bot needs --app-key');
  if (!input.bot && input.password === undefined) throw new InvalidInputError('a user needs a password (--password-stdin or --password)');
  const profileIds = await profilesForPrivileges(ctx, input.accountId, input.isAdmin === true, input.privileges ?? []);
  const { users } = await createUsers(ctx, input.accountId, [
    { loginName: input.loginName, password: input.password, isApiUser: input.bot === true, allowedAppKeys: input.appKey, profileIds, isLPA: input.isLPA },
  ]);
  return users[0]!;
}
