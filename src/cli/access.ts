/** `access show | set`: an account's access control (docs/ACCESS-CONTROL.md). */
import { MAX_DEACTIVATE_AFTER_DAYS, MFA_MODES, accessControlOf, rangeFromText, rangeText, type AccessControl, type AddressRange, type MfaMode } from '../accounts/accessControl.js';
import { changeAccessControl } from '../accounts/actions.js';
import { requireAccount } from './accounts.js';
import type { Command } from './command.js';
import { UsageError, type CliOptions } from './context.js';
import { integerFlag, listFlag, stringFlag } from './input.js';

const view = (accountId: string, ac: AccessControl) => ({ accountId, ...ac });

function accessText(v: ReturnType<typeof view>): string {
  const { ipRestrictions: ip } = v;
  return [
    `Access control of account ${v.accountId}`,
    `  second factor:            ${v.mfa}${v.mfa === 'required' ? (v.mfaForSso ? ' (SSO logins too)' : ' (not for SSO logins)') : ''}`,
    `  second factor for SSO:    ${v.mfaForSso}`,
    `  allowed networks:         ${ip.enabled ? 'on: people log in and refresh only from the ranges below' : 'off'}`,
    ...ip.ranges.map((r) => `    ${rangeText(r)}${r.description ? `  (${r.description})` : ''}`),
    `  disable inactive people:  ${v.deactivateAfterDays === 0 ? 'never' : `after ${v.deactivateAfterDays} days without a login`}`,
  ].join('\n');
}

function choiceFlag<T extends string>(options: CliOptions, name: string, choices: readonly T[]): T | undefined {
  const raw = stringFlag(options, name);
  if (raw === undefined) return undefined;
  if (!choices.includes(raw as T)) throw new UsageError(`--${name} must be ${choices.join(', ')}`);
  return raw as T;
}

const show: Command = {
  name: 'access show',
  args: ['accountId'],
  flags: [],
  synopsis: '',
  summary: "show the account's access control: second factor, allowed networks, deactivation of inactive people",
  async run(ctx, [accountId]) {
    const account = await requireAccount(ctx, accountId!);
    const v = view(account.accountId, accessControlOf(account.settings));
    ctx.output(v, () => accessText(v));
  },
};

const set: Command = {
  name: 'access set',
  args: ['accountId'],
  flags: ['mfa', 'mfa-for-sso', 'ip-restrictions', 'ip-range', 'deactivate-after-days', 'force'],
  synopsis: '[--mfa off|optional|required] [--mfa-for-sso true|false] [--ip-restrictions on|off] [--ip-range FROM-TO|CIDR]... [--deactivate-after-days N] [--force]',
  summary: 'change the account\'s access control; what is not named keeps its value; --ip-range (repeatable) replaces the ranges',
  async run(ctx, [accountId], options) {
    const account = await requireAccount(ctx, accountId!);
    const current = accessControlOf(account.settings);
    const changes: Partial<AccessControl> = {};
    const mfa = choiceFlag<MfaMode>(options, 'mfa', MFA_MODES);
    if (mfa !== undefined) changes.mfa = mfa;
    const mfaForSso = choiceFlag(options, 'mfa-for-sso', ['true', 'false'] as const);
    if (mfaForSso !== undefined) changes.mfaForSso = mfaForSso === 'true';
    const days = integerFlag(options, 'deactivate-after-days', 0, MAX_DEACTIVATE_AFTER_DAYS);
    if (days !== undefined) changes.deactivateAfterDays = days;
    const enabled = choiceFlag(options, 'ip-restrictions', ['on', 'off'] as const);
    const rangeTexts = listFlag(options, 'ip-range');
    if (enabled !== undefined || rangeTexts !== undefined) {
      // A range given again keeps the description it had (set in the console or the API).
      const described = new Map(current.ipRestrictions.ranges.map((r) => [rangeText(r), r.description]));
      const ranges: AddressRange[] | undefined = rangeTexts?.map((t) => {
        const range = rangeFromText(t);
        return rangeFromText(t, described.get(rangeText(range)));
      });
      changes.ipRestrictions = { enabled: enabled === undefined ? current.ipRestrictions.enabled : enabled === 'on', ranges: ranges ?? current.ipRestrictions.ranges };
    }
    if (Object.keys(changes).length === 0) throw new UsageError('access set needs at least one of --mfa, --mfa-for-sso, --ip-restrictions, --ip-range, --deactivate-after-days');
    // The command line runs on the server's host: no address of its can be shut out, so --force is accepted and changes nothing.
    const saved = await changeAccessControl(await ctx.admin(), account.accountId, changes, { force: options.force === true, actingAddress: null });
    const v = view(account.accountId, saved);
    ctx.output(v, () => accessText(v));
  },
};

export const accessCommands: Command[] = [show, set];
