/** `account create | list | set`. */
import { changeAccount } from '../accounts/actions.js';
import { accountSettings, type Account, type AccountPatch, type AccountSettings } from '../accounts/model.js';
import { createAccount, requireAccount as requireStoredAccount } from '../accounts/service.js';
import { InvalidInputError } from '../errors.js';
import {
  ACCOUNT_SETTINGS,
  formatDuration,
  parseDuration,
  parseSettingsInput,
  type AccountSettingSpec,
  type PolicySettingKey,
  type PolicySettings,
} from '../accounts/settings.js';
import { isValidTimeZone } from '../timezones.js';
import type { Command } from './command.js';
import { UsageError, type CliContext, type CliOptions } from './context.js';
import { isoTime, shortTime, table } from './format.js';
import { stringFlag } from './input.js';


export function accountView(account: Account) {
  const settings = accountSettings(account);
  // The OpenID Connect client secret is never shown (sso show says whether one is set).
  if (settings.oidc?.clientSecret !== undefined) {
    const { clientSecret: _secret, ...oidc } = settings.oidc;
    settings.oidc = oidc;
  }
  return {
    accountId: account.accountId,
    name: account.name,
    timeZone: account.timeZone,
    createdAt: isoTime(account.createdAt),
    settings,
  };
}

/** The account, once the store is open. */
export async function requireAccount(ctx: CliContext, accountId: string): Promise<Account> {
  return requireStoredAccount({ stores: await ctx.stores() }, accountId);
}

function nameFlag(options: CliOptions): string | undefined {
  const name = stringFlag(options, 'name');
  if (name !== undefined && (name.trim() === '' || name.length > 256)) throw new UsageError('--name must be 1 to 256 characters');
  return name;
}

/** One line per setting, in the units people read (the table's `shownIn`), for `account set`'s summary. */
export function settingsText(settings: AccountSettings): string {
  const width = Math.max(...ACCOUNT_SETTINGS.map((s) => s.label.length)) + 1;
  return ACCOUNT_SETTINGS.map((spec: AccountSettingSpec) => `  ${`${spec.label}:`.padEnd(width)} ${settingValueText(spec, settings[spec.key as PolicySettingKey])}`).join('\n');
}

function settingValueText(spec: AccountSettingSpec, value: number | boolean): string {
  if (spec.type === 'boolean') return value ? 'yes' : 'no';
  if (value === 0 && spec.zero !== undefined) return spec.zero;
  return spec.type === 'duration' ? formatDuration(value as number, spec.shownIn) : `${value} ${spec.unit}`;
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

/** What a setting's flag takes, for the help: "MS|8h", "N|0", "true|false". */
function flagValueText(spec: AccountSettingSpec): string {
  const zero = 'zero' in spec && spec.zero !== undefined ? '|0' : '';
  if (spec.type === 'boolean') return 'true|false';
  if (spec.type === 'integer') return `N${zero}`;
  return `${spec.flagUnit === 'ms' ? 'MS' : spec.flagUnit.toUpperCase()}${zero}`;
}

/** The value of a setting's flag as the API would carry it, or undefined when the flag is absent. */
function settingFlagValue(spec: AccountSettingSpec, options: CliOptions): unknown {
  const raw = stringFlag(options, spec.flag);
  if (raw === undefined) return undefined;
  if (spec.type === 'boolean') {
    if (!/^(true|false)$/.test(raw)) throw new UsageError(`--${spec.flag} must be true or false`);
    return raw === 'true';
  }
  if (spec.type === 'integer') {
    if (!/^\d{1,15}$/.test(raw.trim())) throw new UsageError(`--${spec.flag} must be a whole number, got "${raw.slice(0, 80)}"`);
    return Number(raw.trim());
  }
  const ms = parseDuration(raw, spec.flagUnit);
  if (ms === null) throw new UsageError(`--${spec.flag} must be a duration: a number of ${spec.flagUnit === 'ms' ? 'milliseconds' : spec.flagUnit}, or one with a unit (90d, 8h, 30min, 45s, 1500ms); got "${raw.slice(0, 80)}"`);
  return ms;
}

/** The settings the flags change, checked as the API checks them; a value out of range is a usage error naming the flag. */
export function settingsFromFlags(options: CliOptions): Partial<PolicySettings> {
  const given: Record<string, unknown> = {};
  for (const spec of ACCOUNT_SETTINGS) {
    const value = settingFlagValue(spec, options);
    if (value !== undefined) given[spec.key] = value;
  }
  try {
    return parseSettingsInput(given, { nameOf: (spec) => `--${spec.flag}` });
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(error.message);
    throw error;
  }
}

/** The flags of `account set` that change a setting, for the parser. */
export const SETTING_FLAG_OPTIONS = Object.fromEntries(ACCOUNT_SETTINGS.map((s) => [s.flag, { type: 'string' as const }])) as Record<
  (typeof ACCOUNT_SETTINGS)[number]['flag'],
  { type: 'string' }
>;

const set: Command = {
  name: 'account set',
  args: ['accountId'],
  flags: ['name', 'time-zone', ...ACCOUNT_SETTINGS.map((s) => s.flag)],
  synopsis: ['[--name NAME] [--time-zone ZONE]', ...ACCOUNT_SETTINGS.map((s: AccountSettingSpec) => `[--${s.flag} ${flagValueText(s)}]`)].join(' '),
  summary: 'change an account\'s name, time zone or policy (0 = no limit where shown; durations also as 90d, 8h, 30min, 45s)',
  async run(ctx, [accountId], options) {
    const patch: AccountPatch = {};
    const name = nameFlag(options);
    if (name !== undefined) patch.name = name;
    const timeZone = stringFlag(options, 'time-zone');
    if (timeZone !== undefined) {
      if (!isValidTimeZone(timeZone)) throw new InvalidInputError(`unknown IANA time zone "${timeZone}"`);
      patch.timeZone = timeZone;
    }
    const changedSettings = settingsFromFlags(options);
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
