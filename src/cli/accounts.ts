/** `account create | list | set`. */
import { changeAccount } from '../admin/account.js';
import { accountSettings, type Account, type AccountPatch, type AccountSettings } from '../accounts/model.js';
import { InvalidInputError, createAccount } from '../accounts/service.js';
import { isValidTimeZone } from '../timezones.js';
import { NotFoundError } from '../users/service.js';
import type { Command } from './command.js';
import { UsageError, type CliContext, type CliOptions } from './context.js';
import { isoTime, shortTime, table } from './format.js';
import { integerFlag, stringFlag } from './input.js';

const DAY_MS = 86_400_000;

export function accountView(account: Account) {
  return {
    accountId: account.accountId,
    name: account.name,
    timeZone: account.timeZone,
    createdAt: isoTime(account.createdAt),
    settings: accountSettings(account),
  };
}

export async function requireAccount(ctx: CliContext, accountId: string): Promise<Account> {
  const account = await (await ctx.stores()).accounts.getAccount(accountId);
  if (!account) throw new NotFoundError(`account ${accountId} does not exist`);
  return account;
}

function nameFlag(options: CliOptions): string | undefined {
  const name = stringFlag(options, 'name');
  if (name !== undefined && (name.trim() === '' || name.length > 256)) throw new UsageError('--name must be 1 to 256 characters');
  return name;
}

function settingsText(settings: AccountSettings): string {
  const ms = (n: number) => (n === 0 ? 'none' : `${n} ms`);
  return [
    `  session TTL:               ${settings.sessionTtlMs} ms`,
    `  absolute session lifetime: ${ms(settings.absoluteSessionLifetimeMs)}`,
    `  max sessions per user:     ${settings.maxSessionsPerUser === 0 ? 'no cap' : settings.maxSessionsPerUser}`,
    `  password min length:       ${settings.passwordMinLength}`,
    `  password max bytes:        ${settings.passwordMaxBytes}`,
    `  common passwords:          ${settings.rejectCommonPasswords ? 'rejected' : 'allowed'}`,
    `  password max age:          ${settings.passwordMaxAgeMs === 0 ? 'never expires' : `${settings.passwordMaxAgeMs / DAY_MS} days`}`,
    `  lockout threshold:         ${settings.lockoutThreshold === 0 ? 'never locks' : `${settings.lockoutThreshold} failed logins`}`,
    `  lockout duration:          ${settings.lockoutBaseMs} ms, doubling up to ${settings.lockoutMaxMs} ms`,
    `  application logins:        ${settings.applicationLoginLimit === 0 ? 'no limit' : `${settings.applicationLoginLimit} per bot in 5 s`}`,
  ].join('\n');
}

const create: Command = {
  name: 'account create',
  createsStore: true,
  args: ['accountId'],
  flags: ['name', 'time-zone'],
  synopsis: '[--name NAME] [--time-zone ZONE]',
  summary: 'create an account (time zone: IANA name, default UTC)',
  async run(ctx, [accountId], options) {
    const name = nameFlag(options);
    const timeZone = stringFlag(options, 'time-zone');
    const account = await createAccount(await ctx.stores(), ctx.clock, { accountId: accountId!, name, timeZone });
    await ctx.recordAdminChange(account.accountId, 'account_create', { name: account.name, timeZone: account.timeZone });
    ctx.output(accountView(account), () => `created account ${account.accountId} "${account.name}" (time zone ${account.timeZone})`);
  },
};

const list: Command = {
  name: 'account list',
  args: [],
  flags: [],
  synopsis: '',
  summary: 'list the accounts',
  async run(ctx) {
    const stores = await ctx.stores();
    const accounts = await stores.accounts.listAccounts();
    const rows = await Promise.all(accounts.map(async (a) => ({ account: a, users: (await stores.users.listUsers(a.accountId)).length })));
    ctx.output(
      rows.map(({ account, users }) => ({ ...accountView(account), users })),
      () =>
        rows.length === 0
          ? 'no accounts'
          : table(['ACCOUNT', 'NAME', 'TIME ZONE', 'USERS', 'CREATED'], rows.map(({ account: a, users }) => [a.accountId, a.name, a.timeZone, users, shortTime(a.createdAt)])),
    );
  },
};

/** Flags of `account set` that change a setting: flag, setting, accepted range, and the flag's unit to the setting's. */
const SETTING_FLAGS: Array<{ flag: string; key: keyof AccountSettings; min: number; max: number; scale: number; alsoZero?: boolean }> = [
  // At least a minute: shorter sessions would expire between two refreshes of a normal client.
  { flag: 'session-ttl', key: 'sessionTtlMs', min: 60_000, max: 30 * DAY_MS, scale: 1 },
  { flag: 'absolute-session-lifetime', key: 'absoluteSessionLifetimeMs', min: 60_000, max: 365 * DAY_MS, scale: 1, alsoZero: true },
  { flag: 'max-sessions-per-user', key: 'maxSessionsPerUser', min: 0, max: 10_000, scale: 1 },
  // Below 8 characters a password falls to guessing whatever the hash (NIST SP 800-63B).
  { flag: 'password-min-length', key: 'passwordMinLength', min: 8, max: 256, scale: 1 },
  { flag: 'password-max-age-days', key: 'passwordMaxAgeMs', min: 0, max: 3650, scale: DAY_MS },
  { flag: 'lockout-threshold', key: 'lockoutThreshold', min: 0, max: 1000, scale: 1 },
  { flag: 'lockout-base-ms', key: 'lockoutBaseMs', min: 1000, max: DAY_MS, scale: 1 },
  { flag: 'lockout-max-ms', key: 'lockoutMaxMs', min: 1000, max: 30 * DAY_MS, scale: 1 },
  // Checked before hashing: a bound on what one login can make the server hash.
  { flag: 'password-max-bytes', key: 'passwordMaxBytes', min: 64, max: 4096, scale: 1 },
  { flag: 'application-login-limit', key: 'applicationLoginLimit', min: 0, max: 10_000, scale: 1 },
];

const set: Command = {
  name: 'account set',
  args: ['accountId'],
  flags: ['name', 'time-zone', 'reject-common-passwords', ...SETTING_FLAGS.map((s) => s.flag)],
  synopsis:
    '[--name NAME] [--time-zone ZONE] [--session-ttl MS] [--absolute-session-lifetime MS|0] [--max-sessions-per-user N|0] ' +
    '[--password-min-length N] [--password-max-bytes N] [--password-max-age-days N|0] [--reject-common-passwords true|false] ' +
    '[--lockout-threshold N|0] [--lockout-base-ms MS] [--lockout-max-ms MS] [--application-login-limit N|0]',
  summary: 'change an account\'s name, time zone or policy (0 = no limit where shown)',
  async run(ctx, [accountId], options) {
    const patch: AccountPatch = {};
    const name = nameFlag(options);
    if (name !== undefined) patch.name = name;
    const timeZone = stringFlag(options, 'time-zone');
    if (timeZone !== undefined) {
      if (!isValidTimeZone(timeZone)) throw new InvalidInputError(`unknown IANA time zone "${timeZone}"`);
      patch.timeZone = timeZone;
    }
    const changedSettings: Partial<AccountSettings> = {};
    for (const s of SETTING_FLAGS) {
      const value = s.alsoZero && stringFlag(options, s.flag)?.trim() === '0' ? 0 : integerFlag(options, s.flag, s.min, s.max);
      if (value !== undefined) (changedSettings as Record<string, number>)[s.key] = value * s.scale;
    }
    const rejectCommon = stringFlag(options, 'reject-common-passwords');
    if (rejectCommon !== undefined) {
      if (!/^(true|false)$/.test(rejectCommon)) throw new UsageError('--reject-common-passwords must be true or false');
      changedSettings.rejectCommonPasswords = rejectCommon === 'true';
    }
    if (patch.name === undefined && patch.timeZone === undefined && Object.keys(changedSettings).length === 0) {
      throw new UsageError('account set needs at least one change (--name, --time-zone or a policy flag)');
    }

    const updated = await changeAccount(await ctx.admin(), accountId!, {
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.timeZone !== undefined && { timeZone: patch.timeZone }),
      ...(Object.keys(changedSettings).length > 0 && { settings: changedSettings }),
    });
    ctx.output(accountView(updated), () =>
      [`updated account ${updated.accountId} "${updated.name}" (time zone ${updated.timeZone})`, settingsText(accountSettings(updated))].join('\n'),
    );
  },
};

export const accountCommands: Command[] = [create, list, set];
