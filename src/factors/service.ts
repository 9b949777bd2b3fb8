/**
 * Second factors (docs/ACCESS-CONTROL.md, "Second factor"): enrolling and
 * removing a TOTP secret, recovery codes, checking a code at the second step
 * of a login, the tickets that carry a login from its first step to its
 * second, and an administrator's reset.
 *
 * - TOTP is RFC 6238 as authenticator apps know it (SHA-1, 6 digits, 30 s),
 *   through `otpauth`, one step of skew either way. A code is accepted once
 *   per person and step: the first use of a step takes a counter
 *   (security/counters.ts) whose count 1 means first use, atomic in every
 *   backend.
 * - Secrets are sealed at rest (factors/secrets.ts); recovery codes are kept
 *   as SHA-256 digests and spent once (the store marks them atomically).
 * - Tickets (`mfaToken`, `enrollToken`) are random tokens kept by digest in
 *   the SQL store shared by every instance, single use (taken by the step that
 *   finishes them) and short-lived; an `mfaToken` dies after five wrong codes.
 */
import { Secret, TOTP } from 'otpauth';
import { accessControlOf, type AccessControl } from '../accounts/accessControl.js';
import type { AccountSettings } from '../accounts/model.js';
import type { Clock } from '../clock.js';
import type { User } from '../directory/model.js';
import { DomainError, errors } from '../errors.js';
import type { AuditLog } from '../events/audit.js';
import { recordAdminEvent, type AdminContext } from '../events/actor.js';
import { hashToken, randomRecoveryCode, randomToken } from '../security/tokens.js';
import type { Stores } from '../store/index.js';
import { hasActiveFactor, type FactorTicket, type FactorTicketKind, type UserFactors } from './model.js';
import type { SecretBox } from './secrets.js';

export const TOTP_PERIOD_S = 30;
/** An mfaToken lives this long: time to open an authenticator app and type a code. */
export const LOGIN_TICKET_MS = 5 * 60_000;
/** An enrollToken lives this long: time to install an app and scan a QR code. */
export const ENROL_TICKET_MS = 15 * 60_000;
/** Wrong codes an mfaToken survives. */
export const MAX_WRONG_CODES = 5;
export const RECOVERY_CODE_COUNT = 10;

/** The amr values that name a second factor: a step already taken. */
export const SECOND_FACTOR_AMR: readonly string[] = ['otp', 'hwk', 'mfa'];
/** The amr values of single sign-on, exempt unless the account says otherwise. */
const SSO_AMR: readonly string[] = ['saml', 'oidc'];

export type SecondFactorCode = { otp: string } | { recoveryCode: string };

/** What a person has enrolled, as they and the console see it: never a secret. */
export interface FactorStatus {
  /** `none`, `pending` (started, not confirmed) or `active`. */
  totp: 'none' | 'pending' | 'active';
  recoveryCodesLeft: number;
  passkeys: Array<{ credentialId: string; name: string; createdAt: number; lastUsedAt: number | null }>;
  /** The account's policy: `off`, `optional` or `required`. */
  policy: AccessControl['mfa'];
}

/** What the login hook decides for a verified login. */
export type SecondFactorDecision = { type: 'none' } | { type: 'challenge'; factors: string[] } | { type: 'enrol' };

export interface SecondFactorsOptions {
  stores: Stores;
  clock: Clock;
  audit: AuditLog;
  box: SecretBox;
  /** Shown by authenticator apps beside the login name. */
  issuer: string;
}

const conflict = (message: string) => new DomainError('conflict', message);
const context = (accountId: string, userId: string) => `${accountId}\n${userId}`;
const normaliseRecoveryCode = (code: string) => code.toLowerCase().replace(/[\s-]/g, '');
const wrongCodeKey = (tokenHash: string) => `mfa-wrong:${tokenHash}`;
const stepKey = (accountId: string, userId: string, step: number) => `totp-step:${accountId}:${userId}:${step}`;

export class SecondFactors {
  constructor(private readonly o: SecondFactorsOptions) {}

  /** Whether a verified login must take a second step, enrol first, or neither. */
  async decide(user: User, settings: AccountSettings, amr: readonly string[]): Promise<SecondFactorDecision> {
    if (user.isBot || amr.some((a) => SECOND_FACTOR_AMR.includes(a))) return { type: 'none' };
    const policy = accessControlOf(settings);
    // `off`: nobody is asked, and no store is read: the password login costs what it did.
    if (policy.mfa === 'off') return { type: 'none' };
    if (amr.some((a) => SSO_AMR.includes(a)) && !policy.mfaForSso) return { type: 'none' };
    const factors = await this.o.stores.factors.getFactors(user.accountId, user.userId);
    if (hasActiveFactor(factors)) return { type: 'challenge', factors: factorNames(factors) };
    return policy.mfa === 'required' ? { type: 'enrol' } : { type: 'none' };
  }

  /** A new ticket for `user`; the plain token is returned once, the store keeps its digest. */
  async issueTicket(kind: FactorTicketKind, user: User, data: Record<string, unknown>, lifetimeMs: number): Promise<{ token: string; expiresAt: number }> {
    const token = randomToken();
    const expiresAt = this.o.clock.now() + lifetimeMs;
    await this.o.stores.factors.putTicket({ tokenHash: hashToken(token), kind, accountId: user.accountId, userId: user.userId, data, expiresAt });
    return { token, expiresAt };
  }

  /** The live ticket of this kind on this account, or null. */
  async ticket(kind: FactorTicketKind, accountId: string, token: string): Promise<FactorTicket | null> {
    if (token.length === 0 || token.length > 256) return null;
    const ticket = await this.o.stores.factors.getTicket(hashToken(token), this.o.clock.now());
    return ticket && ticket.kind === kind && ticket.accountId === accountId ? ticket : null;
  }

  /** Single use: true for the one caller that took it. */
  takeTicket(ticket: FactorTicket): Promise<boolean> {
    return this.o.stores.factors.takeTicket(ticket.tokenHash);
  }

  /** Counts a wrong code against a login ticket; the fifth kills it. */
  async wrongCode(ticket: FactorTicket): Promise<void> {
    const counter = await this.o.stores.counters.incrementCounter(wrongCodeKey(ticket.tokenHash), LOGIN_TICKET_MS, this.o.clock.now());
    if (counter.count >= MAX_WRONG_CODES) await this.o.stores.factors.takeTicket(ticket.tokenHash);
  }

  async status(user: User, settings: AccountSettings): Promise<FactorStatus> {
    const f = await this.o.stores.factors.getFactors(user.accountId, user.userId);
    return {
      totp: f.totp === null ? 'none' : f.totp.confirmed ? 'active' : 'pending',
      recoveryCodesLeft: f.recoveryCodes.filter((c) => c.usedAt === null).length,
      passkeys: f.passkeys.map(({ credentialId, name, createdAt, lastUsedAt }) => ({ credentialId, name, createdAt, lastUsedAt })),
      policy: accessControlOf(settings).mfa,
    };
  }

  /** Starts TOTP enrolment: a new secret, pending until confirmed with a code from it. */
  async startTotp(user: User, settings: AccountSettings): Promise<{ secret: string; otpauthUri: string }> {
    this.mayEnrol(user, settings);
    const secret = new Secret({ size: 20 });
    const sealedSecret = this.o.box.seal(secret.base32, context(user.accountId, user.userId));
    const started = await this.o.stores.factors.startTotp(user.accountId, user.userId, { sealedSecret, confirmed: false, createdAt: this.o.clock.now() });
    if (!started) throw conflict('an authenticator app is already enrolled; remove it first');
    return { secret: secret.base32, otpauthUri: this.totpOf(secret, user).toString() };
  }

  /** Confirms the pending secret with a code from it; the factor is active from then. Returns the recovery codes, shown once. */
  async confirmTotp(user: User, settings: AccountSettings, otp: string): Promise<string[]> {
    this.mayEnrol(user, settings);
    const f = await this.o.stores.factors.getFactors(user.accountId, user.userId);
    if (!f.totp || f.totp.confirmed) throw conflict('no authenticator app enrolment is pending; start one first');
    if (!(await this.checkTotp(user, f.totp.sealedSecret, otp))) throw errors.badRequest('Bad request: the code is wrong or was already used');
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, randomRecoveryCode);
    const confirmed = await this.o.stores.factors.confirmTotp(user.accountId, user.userId, f.totp.sealedSecret, codes.map((c) => hashToken(normaliseRecoveryCode(c))));
    if (!confirmed) throw conflict('the enrolment changed meanwhile; start again');
    await this.record(user, 'totp_enrolled');
    return codes;
  }

  /** Removes the person's TOTP secret and recovery codes, with a current code; refused while the account requires a factor. */
  async removeTotp(user: User, settings: AccountSettings, otp: string): Promise<void> {
    if (accessControlOf(settings).mfa === 'required') throw conflict('the account requires a second factor; an administrator can reset it');
    const f = await this.o.stores.factors.getFactors(user.accountId, user.userId);
    if (!f.totp?.confirmed) throw errors.notFound('Not found: no authenticator app is enrolled');
    if (!(await this.checkTotp(user, f.totp.sealedSecret, otp))) throw errors.badRequest('Bad request: the code is wrong or was already used');
    await this.o.stores.factors.deleteTotp(user.accountId, user.userId);
    await this.record(user, 'totp_removed');
  }

  /** New recovery codes in place of the old ones, proven with a current code. */
  async regenerateRecoveryCodes(user: User, otp: string): Promise<string[]> {
    const f = await this.o.stores.factors.getFactors(user.accountId, user.userId);
    if (!f.totp?.confirmed) throw conflict('recovery codes come with an authenticator app; enrol one first');
    if (!(await this.checkTotp(user, f.totp.sealedSecret, otp))) throw errors.badRequest('Bad request: the code is wrong or was already used');
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, randomRecoveryCode);
    await this.o.stores.factors.replaceRecoveryCodes(user.accountId, user.userId, codes.map((c) => hashToken(normaliseRecoveryCode(c))));
    await this.record(user, 'recovery_codes_regenerated');
    return codes;
  }

  /** The second step of a login: whether the code is good (a recovery code is spent by it). */
  async verifyCode(user: User, code: SecondFactorCode): Promise<{ ok: boolean; amr: string }> {
    const f = await this.o.stores.factors.getFactors(user.accountId, user.userId);
    if ('otp' in code) return { ok: f.totp?.confirmed === true && (await this.checkTotp(user, f.totp.sealedSecret, code.otp)), amr: 'otp' };
    const normalised = normaliseRecoveryCode(code.recoveryCode);
    if (normalised.length === 0 || normalised.length > 64 || !f.totp?.confirmed) return { ok: false, amr: 'otp' };
    const ok = await this.o.stores.factors.useRecoveryCode(user.accountId, user.userId, hashToken(normalised), this.o.clock.now());
    if (ok) await this.record(user, 'recovery_code_used', { left: f.recoveryCodes.filter((c) => c.usedAt === null).length - 1 });
    return { ok, amr: 'otp' };
  }

  /** Records a change of a person's own factors. */
  async record(user: User, action: string, detail: Record<string, unknown> = {}): Promise<void> {
    await this.o.audit.record({ accountId: user.accountId, type: 'mfa_change', userId: user.userId, loginName: user.loginName, detail: { action, ...detail } });
  }

  private mayEnrol(user: User, settings: AccountSettings): void {
    if (user.isBot) throw conflict('bots log in with API keys and have no second factor');
    if (accessControlOf(settings).mfa === 'off') throw conflict('the account does not use second factors (mfa is off)');
    if (!this.o.box.available) throw conflict('second factors are not configured on this server (MFA_ENCRYPTION_KEY is not set)');
  }

  private totpOf(secret: Secret, user: User): TOTP {
    return new TOTP({ issuer: this.o.issuer, label: user.loginName, algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD_S, secret });
  }

  /** Whether `otp` is the code of this step or a neighbour, not used before by this person. */
  private async checkTotp(user: User, sealed: string, otp: string): Promise<boolean> {
    if (!/^\d{6}$/.test(otp)) return false;
    const ctx = context(user.accountId, user.userId);
    const base32 = this.o.box.open(sealed, ctx);
    if (base32 === null) return false;
    const now = this.o.clock.now();
    const delta = this.totpOf(Secret.fromBase32(base32), user).validate({ token: otp, timestamp: now, window: 1 });
    if (delta === null) return false;
    const step = Math.floor(now / 1000 / TOTP_PERIOD_S) + delta;
    const first = (await this.o.stores.counters.incrementCounter(stepKey(user.accountId, user.userId, step), 3 * TOTP_PERIOD_S * 1000, now)).count === 1;
    if (first && !this.o.box.isCurrent(sealed)) {
      // Sealed under a previous key: sealed again under the current one, so that key can be retired.
      await this.o.stores.factors.resealTotp(user.accountId, user.userId, sealed, this.o.box.seal(base32, ctx));
    }
    return first;
  }
}

function factorNames(f: UserFactors): string[] {
  const names: string[] = [];
  if (f.totp?.confirmed) names.push('totp', 'recoveryCode');
  if (f.passkeys.length > 0) names.push('passkey');
  return names;
}

/**
 * Reset MFA (an administrator, or the CLI): removes every factor of the
 * person (authenticator app, recovery codes, passkeys) and their pending
 * tickets; where the account requires a factor they enrol again at their next
 * login. Their sessions live on. Audited as `admin_change` `reset_mfa`.
 */
export async function resetSecondFactors(ctx: Pick<AdminContext, 'stores' | 'audit' | 'actor'>, user: User): Promise<{ removed: boolean }> {
  const removed = await ctx.stores.factors.deleteFactors(user.accountId, user.userId);
  await recordAdminEvent(ctx, user.accountId, 'reset_mfa', { removed }, { userId: user.userId, loginName: user.loginName });
  return { removed };
}
