/**
 * Account access control (docs/ACCESS-CONTROL.md): whether people need a
 * second factor, the networks they may log in from, and after how many days
 * without a login they are disabled. Stored in the account's settings
 * document beside the table's settings (AccountSettings.accessControl), as
 * one structured value, like the identity provider; the administration API
 * serves it as its own resource, `configuration/access-control`.
 *
 * Only what differs from the defaults is stored; read it through
 * `accessControlOf`, which fills in the rest. This module is bundled into the
 * web console: it imports nothing from Node.
 */
import { InvalidInputError } from '../errors.js';
import { addressInRanges, parseRange, type NumericRange } from '../security/networks.js';

/** `off`: nobody is asked; `optional`: people may enrol; `required`: every person must (bots exempt). */
export type MfaMode = 'off' | 'optional' | 'required';
export const MFA_MODES: readonly MfaMode[] = ['off', 'optional', 'required'];

/** One allowed network: an inclusive range of addresses of one family, or a CIDR block. */
export type AddressRange = { from: string; to: string; description?: string } | { cidr: string; description?: string };

export interface IpRestrictions {
  /** When true, people's logins and refreshes from addresses outside every range are refused. */
  enabled: boolean;
  ranges: AddressRange[];
}

export interface AccessControl {
  mfa: MfaMode;
  /** Whether `mfa: required` also asks people who log in through single sign-on (their identity provider has its own). */
  mfaForSso: boolean;
  ipRestrictions: IpRestrictions;
  /** Housekeeping disables a person with no successful login for this many days; 0 = never. */
  deactivateAfterDays: number;
}

export const MAX_ADDRESS_RANGES = 100;
export const MAX_RANGE_DESCRIPTION = 256;
/** Ten years: enough for any policy, small enough to stay a safe number of milliseconds. */
export const MAX_DEACTIVATE_AFTER_DAYS = 3650;

export const DEFAULT_ACCESS_CONTROL: Readonly<AccessControl> = Object.freeze({
  mfa: 'off',
  mfaForSso: false,
  ipRestrictions: Object.freeze({ enabled: false, ranges: [] as AddressRange[] }),
  deactivateAfterDays: 0,
});

/** The account's access control with every default filled in; `settings` is the stored settings document (or accountSettings()). */
export function accessControlOf(settings: { accessControl?: Partial<AccessControl> } | undefined): AccessControl {
  const stored = settings?.accessControl ?? {};
  return {
    mfa: stored.mfa ?? DEFAULT_ACCESS_CONTROL.mfa,
    mfaForSso: stored.mfaForSso ?? DEFAULT_ACCESS_CONTROL.mfaForSso,
    ipRestrictions: stored.ipRestrictions ?? { enabled: false, ranges: [] },
    deactivateAfterDays: stored.deactivateAfterDays ?? DEFAULT_ACCESS_CONTROL.deactivateAfterDays,
  };
}

/** What the settings document keeps: only the fields that differ from the defaults, or undefined when none does. */
export function storedAccessControl(value: AccessControl): Partial<AccessControl> | undefined {
  const stored: Partial<AccessControl> = {};
  if (value.mfa !== DEFAULT_ACCESS_CONTROL.mfa) stored.mfa = value.mfa;
  if (value.mfaForSso !== DEFAULT_ACCESS_CONTROL.mfaForSso) stored.mfaForSso = value.mfaForSso;
  if (value.ipRestrictions.enabled || value.ipRestrictions.ranges.length > 0) stored.ipRestrictions = value.ipRestrictions;
  if (value.deactivateAfterDays !== DEFAULT_ACCESS_CONTROL.deactivateAfterDays) stored.deactivateAfterDays = value.deactivateAfterDays;
  return Object.keys(stored).length === 0 ? undefined : stored;
}

/**
 * An access-control object as given (administration API body, import),
 * checked: the one validation behind the API, the CLI and import. Every field
 * is required; ranges must parse (security/networks.ts), at most
 * MAX_ADDRESS_RANGES, descriptions at most MAX_RANGE_DESCRIPTION characters.
 * InvalidInputError names the field otherwise.
 */
export function parseAccessControlInput(input: unknown, path = 'accessControl'): AccessControl {
  const p = path ? `${path}.` : '';
  if (!isObject(input)) throw new InvalidInputError(`${path || 'access control'} must be an object`);
  const known = new Set(['mfa', 'mfaForSso', 'ipRestrictions', 'deactivateAfterDays']);
  const unknown = Object.keys(input).find((k) => !known.has(k));
  if (unknown !== undefined) throw new InvalidInputError(`unknown field ${p}${unknown.slice(0, 80)}`);
  const { mfa, mfaForSso, ipRestrictions, deactivateAfterDays } = input;
  if (!MFA_MODES.includes(mfa as MfaMode)) throw new InvalidInputError(`${p}mfa must be one of ${MFA_MODES.join(', ')}`);
  if (typeof mfaForSso !== 'boolean') throw new InvalidInputError(`${p}mfaForSso must be true or false`);
  if (!Number.isSafeInteger(deactivateAfterDays) || (deactivateAfterDays as number) < 0 || (deactivateAfterDays as number) > MAX_DEACTIVATE_AFTER_DAYS) {
    throw new InvalidInputError(`${p}deactivateAfterDays must be a whole number between 1 and ${MAX_DEACTIVATE_AFTER_DAYS}, or 0 (never)`);
  }
  return { mfa: mfa as MfaMode, mfaForSso, ipRestrictions: parseIpRestrictions(ipRestrictions, `${p}ipRestrictions`), deactivateAfterDays: deactivateAfterDays as number };
}

function parseIpRestrictions(input: unknown, path: string): IpRestrictions {
  if (!isObject(input)) throw new InvalidInputError(`${path} must be an object {enabled, ranges}`);
  const unknown = Object.keys(input).find((k) => k !== 'enabled' && k !== 'ranges');
  if (unknown !== undefined) throw new InvalidInputError(`unknown field ${path}.${unknown.slice(0, 80)}`);
  if (typeof input.enabled !== 'boolean') throw new InvalidInputError(`${path}.enabled must be true or false`);
  if (!Array.isArray(input.ranges)) throw new InvalidInputError(`${path}.ranges must be a list`);
  if (input.ranges.length > MAX_ADDRESS_RANGES) throw new InvalidInputError(`${path}.ranges: at most ${MAX_ADDRESS_RANGES} ranges`);
  const ranges = input.ranges.map((r: unknown, i: number) => parseAddressRange(r, `${path}.ranges[${i}]`));
  if (input.enabled && ranges.length === 0) throw new InvalidInputError(`${path}: enabled with no ranges would refuse every login; give at least one range`);
  return { enabled: input.enabled, ranges };
}

function parseAddressRange(input: unknown, path: string): AddressRange {
  if (!isObject(input)) throw new InvalidInputError(`${path} must be an object {from, to, description} or {cidr, description}`);
  const unknown = Object.keys(input).find((k) => !['from', 'to', 'cidr', 'description'].includes(k));
  if (unknown !== undefined) throw new InvalidInputError(`unknown field ${path}.${unknown.slice(0, 80)}`);
  const { description } = input;
  if (description !== undefined && (typeof description !== 'string' || description.length > MAX_RANGE_DESCRIPTION)) {
    throw new InvalidInputError(`${path}.description must be text of at most ${MAX_RANGE_DESCRIPTION} characters`);
  }
  parseRange(input, path);
  const described = description === undefined ? {} : { description: description as string };
  return typeof input.cidr === 'string' ? { cidr: input.cidr.trim(), ...described } : { from: (input.from as string).trim(), to: (input.to as string).trim(), ...described };
}

/** The ranges of an account's restrictions as numbers, for matching (they were checked when stored). */
export function allowedNetworks(restrictions: IpRestrictions): NumericRange[] {
  const out: NumericRange[] = [];
  for (const range of restrictions.ranges) {
    try {
      out.push(parseRange(range));
    } catch {
      // A stored range that no longer parses allows nothing.
    }
  }
  return out;
}

/**
 * Whether the account's people may log in or refresh from `ip`: always when
 * the restrictions are off; otherwise only from inside one of the ranges.
 */
export function networkAllowed(accessControl: Pick<AccessControl, 'ipRestrictions'>, ip: string): boolean {
  const { ipRestrictions } = accessControl;
  if (!ipRestrictions.enabled) return true;
  return addressInRanges(allowedNetworks(ipRestrictions), ip);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A range as typed on the command line (`FROM-TO`, a CIDR block, or one address), as the settings keep it. */
export function rangeFromText(text: string, description?: string): AddressRange {
  const t = text.trim();
  const described = description === undefined ? {} : { description };
  if (t.includes('/')) return { cidr: t, ...described };
  const dash = t.indexOf('-');
  if (dash >= 0) return { from: t.slice(0, dash).trim(), to: t.slice(dash + 1).trim(), ...described };
  return { from: t, to: t, ...described };
}

/** `10.0.0.0-10.0.0.255` or `2001:db8::/32`: a range as people read it. */
export const rangeText = (range: AddressRange): string => ('cidr' in range ? range.cidr : range.from === range.to ? range.from : `${range.from}-${range.to}`);
