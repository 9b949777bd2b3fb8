/**
 * The attempt runner: the bookkeeping every way of proving who one is shares
 * (password, API key, SAML assertion, the password change's current password,
 * and a second factor), written once.
 *
 * An attempt is counted against the client address before anything is
 * verified (429 past the budget, security/bruteForce.ts), then against the
 * user once one is named (a locked user gets the same 401 as a wrong
 * password, after as much work as a verification). A failure keeps its
 * counts and is audited with its reason; a success gives them back; an
 * attempt that ends neither way (an expired password, an overloaded hasher,
 * an error) gives them back too, in a `finally`.
 */
import { accessControlOf, networkAllowed } from '../accounts/accessControl.js';
import { accountSettings, type Account, type AccountSettings } from '../accounts/model.js';
import type { Clock } from '../clock.js';
import type { AuditLog } from '../events/audit.js';
import { errors } from '../errors.js';
import type { BruteForceGuard, LoginAttempt } from '../security/bruteForce.js';
import type { ClientInfo } from '../sessions/core.js';
import type { Stores } from '../store/index.js';
import type { User } from '../directory/model.js';

export interface AttemptRunnerOptions {
  stores: Stores;
  clock: Clock;
  audit: AuditLog;
  guard: BruteForceGuard;
}

/** How audit events name what was attempted (detail.method). */
export type AttemptMethod = 'password' | 'apikey' | 'sso' | 'mfa' | 'password_change';

/** One attempt in progress, as the work given to the runner sees it. */
export class Attempt {
  constructor(
    private readonly audit: AuditLog,
    private readonly counted: LoginAttempt,
    readonly accountId: string,
    /** Null when the account id names no account: see `knownAccount`. */
    readonly account: Account | null,
    readonly client: ClientInfo,
    readonly now: number,
    readonly method: AttemptMethod,
    /** Work as long as a verification, for refusals that skip one. */
    private readonly dummyWork: () => Promise<unknown>,
  ) {}

  /** The account's settings; the account must exist. */
  settings(): AccountSettings {
    return accountSettings(this.account!);
  }

  /** The account, or a refusal counted per address and minute, without the text the client made up. */
  async knownAccount(): Promise<Account> {
    if (this.account) return this.account;
    await this.dummyWork();
    await this.counted.failed(null, null);
    await this.audit.recordPerMinute({
      accountId: this.accountId,
      accountKnown: false,
      type: 'login_failure',
      clientIp: this.client.ip,
      detail: { reason: 'unknown_account', method: this.method },
    });
    throw errors.loginFailed();
  }

  /**
   * Counts the attempt against the user (lockout). A locked user is refused
   * with the 401 of a wrong password after the dummy work: it costs the
   * address, not the user, and the guess is not verified. `dummy` false skips
   * the dummy work (a password too long to hash buys no hashing time).
   */
  async admit(user: User, settings: AccountSettings, dummy = true): Promise<void> {
    if (await this.counted.admitUser(user, settings, this.method)) return;
    if (dummy) await this.dummyWork();
    throw errors.loginFailed();
  }

  /**
   * A failed attempt: keeps its counts, records one event with the reason,
   * and refuses with 401. With the settings, a failure counted against the
   * user may start a lock; without, the user is only named in the event.
   */
  async fail(reason: string, loginName: string | null, user: User | null, settings: AccountSettings | null): Promise<never> {
    await this.counted.failed(user, settings);
    await this.audit.record({
      accountId: this.accountId,
      type: 'login_failure',
      userId: user?.userId ?? null,
      loginName,
      clientIp: this.client.ip,
      userAgent: this.client.userAgent,
      detail: { reason, method: this.method },
    });
    throw errors.loginFailed();
  }

  /**
   * Refuses with 403 (audited) a person's login from outside the account's
   * allowed networks (docs/ACCESS-CONTROL.md). Checked before any credential
   * is verified, so an outsider learns nothing of a password's worth; with
   * the restrictions off it costs no read (the account is already loaded).
   * An unknown account passes here and is refused by `knownAccount`. The
   * refusal counts against the client address, as a failure does.
   */
  async assertNetworkAllowed(loginName: string | null): Promise<void> {
    if (!this.account || networkAllowed(accessControlOf(this.account.settings), this.client.ip ?? '')) return;
    // Kept against the address (nobody's lockout): logins sent from outside meet the per-address budget (429) like guesses.
    await this.counted.failed(null, null);
    await this.audit.record({
      accountId: this.accountId,
      type: 'login_failure',
      userId: null,
      loginName: loginName?.slice(0, 256) ?? null,
      clientIp: this.client.ip,
      userAgent: this.client.userAgent,
      detail: { reason: 'address_not_allowed', method: this.method },
    });
    throw errors.addressNotAllowed();
  }

  /** Gives the counts back, resets the user's failures and remembers the address as familiar. */
  succeeded(user: User): Promise<void> {
    return this.counted.succeeded(user);
  }
}

const noWork = async () => {};

export class AttemptRunner {
  constructor(private readonly o: AttemptRunnerOptions) {}

  /**
   * Runs `work` as one attempt on the account: reads the account, counts the
   * attempt against the address (429 past the budget), and ends the attempt
   * whatever happens.
   */
  async run<T>(accountId: string, client: ClientInfo, method: AttemptMethod, work: (attempt: Attempt) => Promise<T>, dummyWork: () => Promise<unknown> = noWork): Promise<T> {
    const { stores, clock, audit, guard } = this.o;
    const now = clock.now();
    const account = await stores.accounts.getAccount(accountId);
    // Counted before anything is verified, so guesses sent at once meet the limits too.
    const counted = await guard.beginAttempt(accountId, account !== null, client, now);
    try {
      return await work(new Attempt(audit, counted, accountId, account, client, now, method, dummyWork));
    } finally {
      await counted.end();
    }
  }
}
