/** `user create | list | set-password | disable | enable | unlock | reset-mfa | conflicts`. */
import { privilegesOf } from '../directory/profiles.js';
import { createUser, lockouts, requireUserByLoginName, resetPassword, setUserEnabled, unlockUser } from '../directory/users.js';
import { resetSecondFactors } from '../factors/service.js';
import { DuplicateError } from '../errors.js';
import type { NamedUser } from '../users/loginName.js';
import { findLoginNameConflicts } from '../users/loginNameConflicts.js';
import type { Profile, User } from '../directory/model.js';
import { requireAccount } from './accounts.js';
import type { Command } from './command.js';
import { UsageError, type CliContext, type CliOptions } from './context.js';
import { isoTime, plural, shortTime, table } from './format.js';
import { privilegesFlag, readFirstLine, readHiddenLine, stringFlag } from './input.js';

export function userView(user: User, profiles: Profile[], lockedUntil: number | null = null) {
  const { privileges, isAdmin } = privilegesOf(user.profileIds, profiles);
  return {
    accountId: user.accountId,
    userId: user.userId,
    userPid: user.userPid,
    loginName: user.loginName,
    isBot: user.isBot,
    appKey: user.appKey,
    isAdmin,
    isLPA: user.isLPA,
    privileges,
    profileIds: user.profileIds,
    enabled: user.enabled,
    lockedUntil: isoTime(lockedUntil),
    lastLoginAt: isoTime(user.lastLoginAt),
    passwordChangedAt: isoTime(user.passwordChangedAt),
    createdAt: isoTime(user.createdAt),
  };
}

async function profilesOf(ctx: CliContext, accountId: string): Promise<Profile[]> {
  return (await ctx.stores()).directory.listProfiles(accountId);
}

/** The password from exactly one of --password-stdin and --password; checked before the store is opened. */
async function passwordFrom(ctx: CliContext, options: CliOptions): Promise<string> {
  const inline = stringFlag(options, 'password');
  if (options['password-stdin'] && inline !== undefined) throw new UsageError('give either --password-stdin or --password, not both');
  if (inline !== undefined) return inline;
  if (!options['password-stdin']) throw new UsageError('a password is needed: --password-stdin (first line of standard input) or --password P');
  const fromTerminal = (ctx.io.stdin as { isTTY?: boolean }).isTTY === true;
  const line = fromTerminal ? await readHiddenLine(ctx.io.stdin, ctx.io.stderr) : await readFirstLine(ctx.io.stdin);
  if (line === null) throw new UsageError('--password-stdin: standard input is empty');
  return line;
}

const PASSWORD_SYNOPSIS = '(--password-stdin | --password P)';

const create: Command = {
  name: 'user create',
  args: ['accountId', 'loginName'],
  flags: ['password-stdin', 'password', 'admin', 'privileges', 'bot', 'app-key'],
  synopsis: [`${PASSWORD_SYNOPSIS} [--admin] [--privileges 100,101]`, '--bot --app-key APPKEY [--admin] [--privileges 100,101]'],
  summary: 'create a user who logs in with a password, or a bot that logs in with an API key',
  async run(ctx, [accountId, loginName], options) {
    const privileges = privilegesFlag(options);
    const appKey = stringFlag(options, 'app-key');
    let password: string | undefined;
    if (options.bot) {
      if (appKey === undefined) throw new UsageError('a bot needs --app-key APPKEY (create one with: login-service apikey create <accountId>)');
      if (options['password-stdin'] || options.password !== undefined) throw new UsageError('a bot logs in with its API key: drop --password/--password-stdin');
    } else {
      if (appKey !== undefined) throw new UsageError('--app-key is for bots: add --bot');
      password = await passwordFrom(ctx, options);
    }
    let user: User;
    try {
      user = await createUser(await ctx.admin(), {
        accountId: accountId!,
        loginName: loginName!,
        password,
        bot: options.bot === true,
        appKey,
        privileges,
        isAdmin: options.admin === true,
      });
    } catch (e) {
      if (e instanceof DuplicateError) {
        const taken = await (await ctx.stores()).users.getUserByLoginName(accountId!, loginName!);
        if (!taken) throw e; // a name that only looks like another: its message says which
        const duplicate = new DuplicateError(`user ${loginName} in account ${accountId}`);
        if (taken && taken.loginName !== loginName) duplicate.message += ` as ${taken.loginName} (login names are compared ignoring case, width and Unicode form)`;
        throw duplicate;
      }
      throw e;
    }
    ctx.output(userView(user, await profilesOf(ctx, user.accountId)), () => `created ${user.isBot ? 'bot' : 'user'} ${user.loginName} (userId ${user.userId}) in account ${user.accountId}`);
  },
};

const list: Command = {
  name: 'user list',
  args: ['accountId'],
  flags: [],
  synopsis: '',
  summary: 'list an account\'s users and bots, with lockouts',
  async run(ctx, [accountId]) {
    const account = await requireAccount(ctx, accountId!);
    const stores = await ctx.stores();
    const users = await stores.users.listUsers(account.accountId);
    const profiles = await profilesOf(ctx, account.accountId);
    const locked = await lockouts({ stores, clock: ctx.clock }, account, users);
    const rows = users.map((user) => ({ user, lockedUntil: locked.get(user.userId) ?? null }));
    const views = rows.map(({ user, lockedUntil }) => userView(user, profiles, lockedUntil));
    ctx.output(
      views,
      () => {
        if (rows.length === 0) return `no users in account ${account.accountId}`;
        const status = (u: User, lockedUntil: number | null) => (!u.enabled ? 'disabled' : lockedUntil !== null ? 'locked' : 'enabled');
        return table(
          ['LOGIN NAME', 'USER ID', 'KIND', 'ADMIN', 'STATUS', 'LOCKED UNTIL', 'LAST LOGIN', 'PRIVILEGES', 'APP KEY', 'CREATED'],
          rows.map(({ user: u, lockedUntil }, i) => [
            u.loginName, u.userId, u.isBot ? 'bot' : 'user', views[i]!.isAdmin ? 'yes' : 'no', status(u, lockedUntil),
            lockedUntil === null ? null : shortTime(lockedUntil), u.lastLoginAt === null ? null : shortTime(u.lastLoginAt),
            views[i]!.privileges.join(','), u.appKey, shortTime(u.createdAt),
          ]),
        );
      },
    );
  },
};

const setPasswordCommand: Command = {
  name: 'user set-password',
  args: ['accountId', 'loginName'],
  flags: ['password-stdin', 'password'],
  synopsis: PASSWORD_SYNOPSIS,
  summary: 'set a user\'s password; ends their sessions',
  async run(ctx, [accountId, loginName], options) {
    const password = await passwordFrom(ctx, options);
    const admin = await ctx.admin();
    const user = await requireUserByLoginName(admin, accountId!, loginName!);
    const sessionsEnded = await resetPassword(admin, user, password);
    ctx.output({ accountId: user.accountId, userId: user.userId, loginName: user.loginName, sessionsEnded }, () => `password set for ${user.loginName}; ${plural(sessionsEnded, 'session')} ended`);
  },
};

const disable: Command = {
  name: 'user disable',
  args: ['accountId', 'loginName'],
  flags: [],
  synopsis: '',
  summary: 'disable a user (logins fail); ends their sessions',
  async run(ctx, [accountId, loginName]) {
    const admin = await ctx.admin();
    const found = await requireUserByLoginName(admin, accountId!, loginName!);
    const sessionsEnded = await setUserEnabled(admin, found, false);
    const user = { ...found, enabled: false };
    ctx.output({ ...userView(user, await profilesOf(ctx, user.accountId)), sessionsEnded }, () => `disabled ${user.loginName}; ${plural(sessionsEnded, 'session')} ended`);
  },
};

const enable: Command = {
  name: 'user enable',
  args: ['accountId', 'loginName'],
  flags: [],
  synopsis: '',
  summary: 'enable a disabled user again',
  async run(ctx, [accountId, loginName]) {
    const admin = await ctx.admin();
    const user = await requireUserByLoginName(admin, accountId!, loginName!);
    await setUserEnabled(admin, user, true);
    ctx.output(userView({ ...user, enabled: true }, await profilesOf(ctx, user.accountId)), () => (user.enabled ? `${user.loginName} was already enabled` : `enabled ${user.loginName}`));
  },
};

const unlock: Command = {
  name: 'user unlock',
  args: ['accountId', 'loginName'],
  flags: [],
  synopsis: '',
  summary: 'lift a brute-force lockout: forgets the user\'s failed logins',
  async run(ctx, [accountId, loginName]) {
    const stores = await ctx.stores();
    const account = await requireAccount(ctx, accountId!);
    const user = await requireUserByLoginName({ stores }, account.accountId, loginName!);
    const { wasLocked, failuresCleared } = await unlockUser(await ctx.admin(), user);
    ctx.output({ accountId: account.accountId, userId: user.userId, loginName: user.loginName, wasLocked, failuresCleared }, () =>
      wasLocked ? `unlocked ${user.loginName} (${plural(failuresCleared, 'failed login')} forgotten)` : `${user.loginName} was not locked (${plural(failuresCleared, 'failed login')} forgotten)`,
    );
  },
};

const resetMfa: Command = {
  name: 'user reset-mfa',
  args: ['accountId', 'loginName'],
  flags: [],
  synopsis: '',
  summary: "remove the user's second factors (authenticator app, recovery codes, passkeys); they enrol again where required",
  async run(ctx, [accountId, loginName]) {
    const stores = await ctx.stores();
    const account = await requireAccount(ctx, accountId!);
    const user = await requireUserByLoginName({ stores }, account.accountId, loginName!);
    const { removed } = await resetSecondFactors(await ctx.admin(), user);
    ctx.output({ accountId: account.accountId, userId: user.userId, loginName: user.loginName, removed }, () =>
      removed ? `reset the second factors of ${user.loginName}` : `${user.loginName} had no second factor`,
    );
  },
};

/** Shows the characters that make names look alike: anything but letters, marks, digits, punctuation and symbols, as \u{…}. */
const visible = (name: string) => name.replace(/[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);

const conflicts: Command = {
  name: 'user conflicts',
  args: [],
  flags: [],
  synopsis: '',
  summary: 'list users who cannot log in because their login name collides with an older one, or is no longer valid',
  async run(ctx) {
    const found = await findLoginNameConflicts(await ctx.stores());
    const view = (u: NamedUser) => ({ userId: u.userId, loginName: u.loginName, createdAt: isoTime(u.createdAt) });
    ctx.output(
      found.map((c) => ({ accountId: c.accountId, holder: c.holder && view(c.holder), cannotLogIn: c.others.map(view), reason: c.reason })),
      () => {
        if (found.length === 0) return 'no login name conflicts';
        return table(
          ['ACCOUNT', 'CANNOT LOG IN', 'USER ID', 'REASON'],
          found.flatMap((c) => c.others.map((u) => [c.accountId, visible(u.loginName), u.userId, c.reason])),
        );
      },
    );
  },
};

export const userCommands: Command[] = [create, list, setPasswordCommand, disable, enable, unlock, resetMfa, conflicts];
