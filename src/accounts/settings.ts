/**
 * The account settings, declared once. Each entry says what a setting is
 * (type, default, accepted range, unit), how people reach it (CLI flag,
 * console label) and what it does; the type `PolicySettings`, the defaults,
 * the one validation behind the API, the CLI and import, the settings body's
 * JSON schema, the CLI flags and help, and the console's form all derive from
 * this table. Adding a setting means adding an entry here and the code that
 * acts on it.
 *
 * Durations are stored and carried on the wire in milliseconds (the keys end
 * in `Ms`); people see and type them in the entry's `shownIn` unit.
 *
 * This module is bundled into the web console: it imports nothing from Node.
 */
import { InvalidInputError } from '../errors.js';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** The units a duration is shown and typed in, with their length in milliseconds. */
export const DURATION_UNITS = { seconds: SECOND_MS, minutes: MINUTE_MS, hours: HOUR_MS, days: DAY_MS } as const;
export type DurationUnit = keyof typeof DURATION_UNITS;

interface SettingBase {
  key: string;
  /** `account set --<flag>`. */
  flag: string;
  /** What the console's form calls it. */
  label: string;
  /** One sentence: what it does (API reference, CLI help, console hint). */
  description: string;
}

/** A whole number: a count, a length. */
export interface IntegerSetting extends SettingBase {
  type: 'integer';
  default: number;
  min: number;
  max: number;
  /** What is counted ("characters", "bytes"). */
  unit: string;
  /** When set, 0 is accepted besides [min, max] and means this ("no cap"). */
  zero?: string;
}

/** A length of time, in milliseconds. */
export interface DurationSetting extends SettingBase {
  type: 'duration';
  default: number;
  min: number;
  max: number;
  unit: 'ms';
  /** The unit the CLI's summary and the console show it in. */
  shownIn: DurationUnit;
  /** The unit a bare number given to the CLI flag is in (flags older than units keep theirs). */
  flagUnit: 'ms' | DurationUnit;
  zero?: string;
}

export interface BooleanSetting extends SettingBase {
  type: 'boolean';
  default: boolean;
}

export type AccountSettingSpec = IntegerSetting | DurationSetting | BooleanSetting;

/** The longest an OAuth access token can live: how long a revocation of one must be remembered. */
export const LONGEST_ACCESS_TOKEN_MS = DAY_MS;

export const ACCOUNT_SETTINGS = [
  {
    key: 'sessionTtlMs',
    type: 'duration',
    default: 8 * HOUR_MS,
    // At least a minute: shorter sessions would expire between two refreshes of a normal client.
    min: MINUTE_MS,
    max: 30 * DAY_MS,
    unit: 'ms',
    shownIn: 'hours',
    flag: 'session-ttl',
    flagUnit: 'ms',
    label: 'Session idle lifetime',
    description: 'A session ends this long after login or its last refresh.',
  },
  {
    key: 'absoluteSessionLifetimeMs',
    type: 'duration',
    // docs/SECURITY.md, "Session lifetime": a working day plus margin, so a stolen session dies within a day.
    default: 24 * HOUR_MS,
    min: MINUTE_MS,
    max: 365 * DAY_MS,
    zero: 'none',
    unit: 'ms',
    shownIn: 'hours',
    flag: 'absolute-session-lifetime',
    flagUnit: 'ms',
    label: 'Longest session life',
    description: 'A session ends this long after login, whatever its refreshes; 0 = no limit.',
  },
  {
    key: 'maxSessionsPerUser',
    type: 'integer',
    // docs/SECURITY.md, "Session lifetime": room for a person's devices, not for a leaked password's harvest.
    default: 10,
    min: 1,
    max: 10_000,
    zero: 'no cap',
    unit: 'sessions',
    flag: 'max-sessions-per-user',
    label: 'Sessions per user',
    description: 'Most sessions one user may hold; a new login ends the oldest; 0 = no cap.',
  },
  {
    key: 'passwordMinLength',
    type: 'integer',
    default: 10,
    // Below 8 characters a password falls to guessing whatever the hash (NIST SP 800-63B).
    min: 8,
    max: 256,
    unit: 'characters',
    flag: 'password-min-length',
    label: 'Shortest password',
    description: 'New passwords must have at least this many characters.',
  },
  {
    key: 'passwordMaxBytes',
    type: 'integer',
    default: 1024,
    // Checked before hashing: a bound on what one login can make the server hash.
    min: 64,
    max: 4096,
    unit: 'bytes',
    flag: 'password-max-bytes',
    label: 'Longest password',
    description: 'Longer passwords (UTF-8 bytes) are refused before any hashing.',
  },
  {
    key: 'rejectCommonPasswords',
    type: 'boolean',
    default: true,
    flag: 'reject-common-passwords',
    label: 'Refuse common and leaked passwords',
    description: 'New passwords found in lists of leaked passwords are refused.',
  },
  {
    key: 'passwordMaxAgeMs',
    type: 'duration',
    default: 0,
    min: 1,
    max: 3650 * DAY_MS,
    zero: 'never',
    unit: 'ms',
    shownIn: 'days',
    flag: 'password-max-age-days',
    flagUnit: 'days',
    label: 'Password expires after',
    description: 'Login is refused once a password is this old, until an administrator sets a new one; 0 = never.',
  },
  {
    key: 'lockoutThreshold',
    type: 'integer',
    default: 5,
    min: 1,
    max: 1000,
    zero: 'never locks',
    unit: 'failed logins',
    flag: 'lockout-threshold',
    label: 'Failed logins before a lock',
    description: 'Consecutive failed logins that lock a user; 0 = never lock.',
  },
  {
    key: 'lockoutBaseMs',
    type: 'duration',
    default: MINUTE_MS,
    min: SECOND_MS,
    max: DAY_MS,
    unit: 'ms',
    shownIn: 'minutes',
    flag: 'lockout-base-ms',
    flagUnit: 'ms',
    label: 'First lock lasts',
    description: 'How long the first lock lasts; each further lock doubles it.',
  },
  {
    key: 'lockoutMaxMs',
    type: 'duration',
    default: 15 * MINUTE_MS,
    min: SECOND_MS,
    max: 30 * DAY_MS,
    unit: 'ms',
    shownIn: 'minutes',
    flag: 'lockout-max-ms',
    flagUnit: 'ms',
    label: 'Longest lock',
    description: 'The doubling of locks stops here.',
  },
  {
    key: 'applicationLoginLimit',
    type: 'integer',
    default: 10,
    min: 1,
    max: 100_000,
    zero: 'no limit',
    unit: 'logins per bot in 5 s',
    flag: 'application-login-limit',
    label: 'Application Logins per bot in 5 seconds',
    description: 'Beyond it a bot\'s Application Login gets 429 with Retry-After: 5; 0 = no limit.',
  },
  {
    key: 'oauthAccessTokenTtlMs',
    type: 'duration',
    // An access token cannot be taken back from resource servers that verify it locally: short, at most a day.
    default: HOUR_MS,
    min: MINUTE_MS,
    max: LONGEST_ACCESS_TOKEN_MS,
    unit: 'ms',
    shownIn: 'minutes',
    flag: 'oauth-access-token-ttl',
    flagUnit: 'minutes',
    label: 'OAuth access token lifetime',
    description: 'Access tokens of OAuth applications expire this long after they are issued.',
  },
  {
    key: 'oauthRefreshTokenTtlMs',
    type: 'duration',
    default: 30 * DAY_MS,
    min: HOUR_MS,
    max: 365 * DAY_MS,
    unit: 'ms',
    shownIn: 'days',
    flag: 'oauth-refresh-token-ttl',
    flagUnit: 'days',
    label: 'OAuth refresh token lifetime',
    description: 'A refresh token stops working this long after it is issued; each use issues a new one.',
  },
  {
    key: 'oauthSignWithEs256',
    type: 'boolean',
    // RS256 by default: what the original issues and what every resource-server library verifies.
    default: false,
    flag: 'oauth-sign-es256',
    label: 'Sign OAuth tokens with ES256 (else RS256)',
    description: 'Access and ID tokens are signed with ES256 instead of RS256.',
  },
  {
    key: 'oauthRequirePkce',
    type: 'boolean',
    default: false,
    flag: 'oauth-require-pkce',
    label: 'Require PKCE of every OAuth application',
    description: 'Authorization requests without a PKCE S256 challenge are refused, from confidential clients too.',
  },
] as const satisfies readonly AccountSettingSpec[];

type Spec = (typeof ACCOUNT_SETTINGS)[number];

/** Every setting of the table with its value's type (SSO, its own resource, is not one of them). */
export type PolicySettings = { -readonly [S in Spec as S['key']]: S extends { type: 'boolean' } ? boolean : number };
export type PolicySettingKey = keyof PolicySettings;

export const DEFAULT_POLICY_SETTINGS: Readonly<PolicySettings> = Object.freeze(
  Object.fromEntries(ACCOUNT_SETTINGS.map((s) => [s.key, s.default])) as PolicySettings,
);

const byKey = new Map<string, AccountSettingSpec>(ACCOUNT_SETTINGS.map((s) => [s.key, s]));

export function settingSpec(key: string): AccountSettingSpec | undefined {
  return byKey.get(key);
}

/** "between 60000 and 2592000000 ms (1 minute to 30 days), or 0 (none)": the accepted values, in words. */
export function rangeText(spec: IntegerSetting | DurationSetting): string {
  const words =
    spec.type === 'duration'
      ? `between ${spec.min} and ${spec.max} ms (${formatDuration(spec.min)} to ${formatDuration(spec.max)})`
      : `between ${spec.min} and ${spec.max}`;
  return spec.zero === undefined ? words : `${words}, or 0 (${spec.zero})`;
}

export interface ParseSettingsOptions {
  /** Prefix of each field's name in messages, e.g. "accounts[0].settings". */
  path?: string;
  /** A field's name in messages; default: path + key (the CLI names its flags). */
  nameOf?: (spec: AccountSettingSpec) => string;
}

/**
 * The settings given in `input`, checked against the table: the one
 * validation behind the administration API, the CLI and import. Keys it does
 * not know, values of the wrong type and values out of range raise an
 * InvalidInputError naming the field and what it accepts. Only what `input`
 * holds is returned.
 */
export function parseSettingsInput(input: unknown, options: ParseSettingsOptions = {}): Partial<PolicySettings> {
  const prefix = options.path ? `${options.path}.` : '';
  const nameOf = options.nameOf ?? ((spec: AccountSettingSpec) => `${prefix}${spec.key}`);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new InvalidInputError(`${options.path || 'settings'} must be an object`);
  const parsed: Record<string, number | boolean> = {};
  for (const [key, value] of Object.entries(input)) {
    const spec = byKey.get(key);
    if (!spec) throw new InvalidInputError(`unknown setting ${prefix}${key.slice(0, 80)}`);
    if (spec.type === 'boolean') {
      if (typeof value !== 'boolean') throw new InvalidInputError(`${nameOf(spec)} must be true or false`);
    } else if (!Number.isSafeInteger(value) || (((value as number) < spec.min || (value as number) > spec.max) && !(spec.zero !== undefined && value === 0))) {
      throw new InvalidInputError(`${nameOf(spec)} must be ${Number.isSafeInteger(value) ? '' : 'a whole number '}${rangeText(spec)}`);
    }
    parsed[key] = value as number | boolean;
  }
  return parsed as Partial<PolicySettings>;
}

/**
 * The JSON schema of each setting in the settings body of the administration
 * API (`configuration/settings`), for the route to spread into its properties.
 */
export const SETTINGS_JSON_SCHEMA_PROPERTIES = Object.fromEntries(ACCOUNT_SETTINGS.map((s) => [s.key, settingSchema(s)])) as Record<PolicySettingKey, Record<string, unknown>>;

function settingSchema(s: AccountSettingSpec): Record<string, unknown> {
  if (s.type === 'boolean') return { type: 'boolean', default: s.default, description: s.description };
  return {
    type: 'integer',
    // 0 also where it means "off"; values between 0 and min are refused by parseSettingsInput with a message naming the range.
    minimum: s.zero === undefined ? s.min : 0,
    maximum: s.max,
    default: s.default,
    description: `${s.description}${s.type === 'duration' ? ' In milliseconds.' : ''}`,
  };
}

const UNIT_WORDS: Record<DurationUnit, [string, string]> = {
  seconds: ['second', 'seconds'],
  minutes: ['minute', 'minutes'],
  hours: ['hour', 'hours'],
  days: ['day', 'days'],
};

/** The largest unit in which `ms` is a whole number (seconds when none is), for showing a value people did not type. */
export function naturalUnit(ms: number): DurationUnit {
  for (const unit of ['days', 'hours', 'minutes'] as const) if (ms !== 0 && ms % DURATION_UNITS[unit] === 0) return unit;
  return 'seconds';
}

/** "2 hours", "90 days", "1.5 seconds"; in `unit`, or the largest that gives a whole number. */
export function formatDuration(ms: number, unit: DurationUnit = naturalUnit(ms)): string {
  const n = ms / DURATION_UNITS[unit];
  const rounded = Math.round(n * 1000) / 1000;
  return `${rounded} ${UNIT_WORDS[unit][rounded === 1 ? 0 : 1]}`;
}

const UNIT_SUFFIXES: Record<string, 'ms' | DurationUnit> = { ms: 'ms', s: 'seconds', min: 'minutes', h: 'hours', d: 'days' };

/**
 * A duration as typed: a number with a unit suffix (`90d`, `8h`, `30min`,
 * `45s`, `1500ms`) or a bare number in `bareUnit`. Milliseconds, or null when
 * it is not one (the range is checked by parseSettingsInput).
 */
export function parseDuration(text: string, bareUnit: 'ms' | DurationUnit): number | null {
  const match = /^(\d{1,15}(?:\.\d{1,6})?)\s*(ms|s|min|h|d)?$/.exec(text.trim());
  if (!match) return null;
  const unit = match[2] === undefined ? bareUnit : UNIT_SUFFIXES[match[2]]!;
  return Math.round(Number(match[1]) * (unit === 'ms' ? 1 : DURATION_UNITS[unit]));
}
