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
