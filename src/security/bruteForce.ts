/**
 * Brute-force protection with counters kept in the store.
 *
 * Every attempt is counted before its password is verified, in the same
 * atomic store step that checks the limit (CounterStore's
 * incrementCounterUnlessBlocked), and given back when it succeeds: guesses
 * sent all at once meet the same limits as guesses sent one by one, and a
 * refused attempt costs no hashing.
 *
 * - Per client address: attempts beyond `failuresPerMinute` (failures, and
 *   attempts still in progress) get 429 with Retry-After, whatever usernames
 *   they try (password spraying). IPv6 addresses count by their /64.
 * - Per user, on two sides: the user's familiar addresses (where the user
 *   logged in successfully within FAMILIAR_WINDOW_MS, remembered only as a
 *   digest) and everywhere else. After `lockoutThreshold` consecutive failures
 *   on one side, that side is locked for lockoutBaseMs, doubling with each
 *   further failure up to lockoutMaxMs; a success resets its side. Failures
 *   from strangers therefore cannot lock the user out of their usual places.
 *   A locked login gets the same 401 as a wrong password.
 */
import type { AccountSettings } from '../accounts/model.js';
import type { AuditLog } from '../events/audit.js';
import { errors } from '../errors.js';
import type { User } from '../directory/model.js';
import { addressBucket } from './addresses.js';
import type { Counter, CounterBlock, CounterStore } from './counters.js';
import { hashToken } from './tokens.js';

const ADDRESS_WINDOW_MS = 60_000;
/** Consecutive failures are forgotten a day after the first of them (a fixed window in the store). */
const USER_WINDOW_MS = 24 * 60 * 60_000;
/** An address stays familiar this long after the user's last successful login from it. */
export const FAMILIAR_WINDOW_MS = 30 * 24 * 60 * 60_000;
/** A familiar address's window is renewed at most this often, so that most logins write nothing for it. */
const FAMILIAR_RENEWAL_MS = 24 * 60 * 60_000;

export interface GuardClient {
  ip: string | null;
  userAgent: string | null;
}

export type LoginSide = 'familiar' | 'elsewhere';

/** Failures from addresses that are not familiar to the user. */
export const userFailureKey = (accountId: string, userId: string) => `fail:user:${accountId}:${userId}`;
/** Failures from the user's familiar addresses. */
export const familiarFailureKey = (accountId: string, userId: string) => `fail:user-familiar:${accountId}:${userId}`;
const sideKey = (side: LoginSide, accountId: string, userId: string) =>
  side === 'familiar' ? familiarFailureKey(accountId, userId) : userFailureKey(accountId, userId);
const addressFailureKey = (ip: string) => `fail:ip:${addressBucket(ip)}`;
/** The store sees a digest, not which addresses a user logs in from. */
const familiarAddressKey = (accountId: string, userId: string, ip: string) =>
  `familiar:${hashToken(`${accountId}\n${userId}\n${addressBucket(ip)}`)}`;

/** Must agree with CounterBlock's rule, which the store applies to the same settings. */
export function lockDuration(failures: number, settings: AccountSettings): number {
  const extra = Math.min(failures - settings.lockoutThreshold, 30);
  return Math.min(settings.lockoutBaseMs * 2 ** extra, settings.lockoutMaxMs);
}

const lockBlock = (settings: AccountSettings): CounterBlock => ({ limit: settings.lockoutThreshold, baseMs: settings.lockoutBaseMs, maxMs: settings.lockoutMaxMs });

function lockEnd(counter: Counter | null, settings: AccountSettings, now: number): number | null {
  if (!counter || counter.count < settings.lockoutThreshold) return null;
  const until = counter.updatedAt + lockDuration(counter.count, settings);
  return until > now ? until : null;
}

export class BruteForceGuard {
  /** This process's attempts still being verified, by counter key: what a blocked attempt may wait for. */
  private readonly inFlight = new Map<string, Set<Promise<void>>>();
  /** The last take queued per key. */
  private readonly taking = new Map<string, Promise<void>>();

  constructor(
    private readonly counters: CounterStore,
    private readonly audit: AuditLog,
    private readonly failuresPerMinute: number,
  ) {}

  /**
   * Counts one attempt unless the counter is blocked. A counter blocked only
   * by attempts of this process still in progress (say, a burst of logins
   * behind one NAT) waits for one of them to end, then tries again: a success
   * gives its count back. Attempts in progress in other processes are not
   * waited for; a budget they hold refuses. An attempt counted here is held
   * on the key until `ended` settles.
   */
  async take(key: string, windowMs: number, now: number, block: CounterBlock, ended: Promise<void>): Promise<Counter | null> {
    for (;;) {
      // One take per key at a time in this process, so an attempt counted is held before the next one looks.
      const { counter, pending } = await this.oneAtATime(key, async () => {
        const counter = await this.counters.incrementCounterUnlessBlocked(key, windowMs, now, block);
        if (counter) this.hold(key, ended);
        return { counter, pending: counter ? [] : [...(this.inFlight.get(key) ?? [])] };
      });
      if (counter) return counter;
      if (pending.length === 0) return null;
      await Promise.race(pending);
    }
  }

  private hold(key: string, ended: Promise<void>): void {
    let pending = this.inFlight.get(key);
    if (!pending) this.inFlight.set(key, (pending = new Set()));
    pending.add(ended);
    void ended.then(() => {
      pending.delete(ended);
      if (pending.size === 0 && this.inFlight.get(key) === pending) this.inFlight.delete(key);
    });
  }

  private oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
    const run = (this.taking.get(key) ?? Promise.resolve()).then(work);
    const tail = run.then(
      () => {},
      () => {},
    );
    this.taking.set(key, tail);
    void tail.then(() => {
      if (this.taking.get(key) === tail) this.taking.delete(key);
    });
    return run;
  }

  /**
   * Counts an attempt against the client address, before any other work;
   * throws 429 (one audit event per address and minute) when the address has
   * no budget left. The attempt must be ended with `end()` whatever happens.
   */
  async beginAttempt(accountId: string, accountKnown: boolean, client: GuardClient, now: number): Promise<LoginAttempt> {
    const attempt = new LoginAttempt(this, this.counters, this.audit, accountId, client, now);
    if (this.failuresPerMinute > 0 && client.ip) {
      const key = addressFailureKey(client.ip);
      const block = { limit: this.failuresPerMinute, baseMs: ADDRESS_WINDOW_MS, maxMs: ADDRESS_WINDOW_MS };
      const counter = await this.take(key, ADDRESS_WINDOW_MS, now, block, attempt.ended);
      if (!counter) {
        await attempt.end();
        const resetAt = (await this.counters.getCounter(key, now))?.resetAt ?? now;
        const retryAfter = Math.max(1, Math.ceil((resetAt - now) / 1000));
        await this.audit.recordPerMinute({ accountId, accountKnown, type: 'login_rate_limited', clientIp: client.ip, userAgent: client.userAgent, detail: { retryAfter } });
        throw errors.tooManyFailures('Too many failed logins from this address; try again later', retryAfter);
      }
      attempt.address = { key, resetAt: counter.resetAt, count: counter.count };
    }
    return attempt;
  }

  /**
   * The address budget for credentials nobody can guess (client secrets of
   * 256 bits): one read before, and a count only when they fail. Unlike
   * `beginAttempt`, nothing is counted or held while the secret is checked,
   * so a burst of good requests from one address runs in parallel; a burst of
   * bad ones may pass the limit by its own size, which buys nothing against a
   * secret that cannot be guessed. Throws 429 as `beginAttempt` does.
   */
  async refuseSpentAddress(accountId: string, accountKnown: boolean, client: GuardClient, now: number): Promise<void> {
    if (this.failuresPerMinute <= 0 || !client.ip) return;
    const counter = await this.counters.getCounter(addressFailureKey(client.ip), now);
    if (!counter || counter.count < this.failuresPerMinute) return;
    const retryAfter = Math.max(1, Math.ceil((counter.resetAt - now) / 1000));
    await this.audit.recordPerMinute({ accountId, accountKnown, type: 'login_rate_limited', clientIp: client.ip, userAgent: client.userAgent, detail: { retryAfter } });
    throw errors.tooManyFailures('Too many failed logins from this address; try again later', retryAfter);
  }

  /** Counts one failure of such credentials against the client address. */
  async countAddressFailure(ip: string | null, now: number): Promise<void> {
    if (this.failuresPerMinute <= 0 || !ip) return;
    await this.counters.incrementCounter(addressFailureKey(ip), ADDRESS_WINDOW_MS, now);
  }

  /** When the user's lock ends (the later of both sides), or null when not locked. */
  lockedUntil(accountId: string, user: User, settings: AccountSettings, now: number): Promise<number | null> {
    return lockedUntil(this.counters, accountId, user.userId, settings, now);
  }

  /** Admin unlock: forgets the user's failures on both sides (familiar addresses stay familiar). */
  unlock(accountId: string, userId: string): Promise<void> {
    return forgetFailures(this.counters, accountId, userId);
  }
}

/** When a user's lock ends (the later of both sides), or null when not locked. */
export async function lockedUntil(counters: CounterStore, accountId: string, userId: string, settings: AccountSettings, now: number): Promise<number | null> {
  if (settings.lockoutThreshold <= 0) return null;
  const ends = await Promise.all((['familiar', 'elsewhere'] as const).map(async (side) => lockEnd(await counters.getCounter(sideKey(side, accountId, userId), now), settings, now)));
  const locked = ends.filter((end): end is number => end !== null);
  return locked.length > 0 ? Math.max(...locked) : null;
}

/** The lock ends of many users at once (one counter read where the store has one); users not locked are left out. */
export async function lockedUntilOf(counters: CounterStore, accountId: string, userIds: readonly string[], settings: AccountSettings, now: number): Promise<Map<string, number>> {
  const locked = new Map<string, number>();
  if (settings.lockoutThreshold <= 0 || userIds.length === 0) return locked;
  const sides = ['familiar', 'elsewhere'] as const;
  const found = await counters.getCounters(userIds.flatMap((id) => sides.map((side) => sideKey(side, accountId, id))), now);
  for (const id of userIds) {
    const ends = sides.map((side) => lockEnd(found.get(sideKey(side, accountId, id)) ?? null, settings, now)).filter((end): end is number => end !== null);
    if (ends.length > 0) locked.set(id, Math.max(...ends));
  }
  return locked;
}

/** A user's counted failures, both sides together. */
export async function failureCount(counters: CounterStore, accountId: string, userId: string, now: number): Promise<number> {
  const found = await Promise.all([userFailureKey(accountId, userId), familiarFailureKey(accountId, userId)].map((key) => counters.getCounter(key, now)));
  return found.reduce((sum, counter) => sum + (counter?.count ?? 0), 0);
}

/** Forgets a user's failures on both sides (familiar addresses stay familiar). */
export async function forgetFailures(counters: CounterStore, accountId: string, userId: string): Promise<void> {
  await counters.deleteCounter(userFailureKey(accountId, userId));
  await counters.deleteCounter(familiarFailureKey(accountId, userId));
}

interface Reservation {
  key: string;
  resetAt: number;
  count: number;
}

/**
 * One login attempt's counts. Each count is taken before the verification;
 * `failed` keeps them, `succeeded` gives them back (and resets the user's
 * side), and `end` gives back whatever no outcome claimed, so an attempt that
 * ends neither way (an expired password, an overloaded hasher, an error)
 * costs nothing.
 */
export class LoginAttempt {
  /** The count taken from the client address; set by the guard. */
  address: Reservation | null = null;
  private userSide: (Reservation & { side: LoginSide }) | null = null;
  private settled = false;
  private settle!: () => void;
  /** Settles when the attempt has failed, succeeded or ended. */
  readonly ended = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(
    private readonly guard: BruteForceGuard,
    private readonly counters: CounterStore,
    private readonly audit: AuditLog,
    private readonly accountId: string,
    private readonly client: GuardClient,
    private readonly now: number,
  ) {}

  /**
   * Counts the attempt against the user's side (familiar addresses or
   * elsewhere); false, counting nothing for the user, when that side is
   * locked. The address keeps the attempt either way.
   */
  async admitUser(user: User, settings: AccountSettings, method: string): Promise<boolean> {
    if (settings.lockoutThreshold <= 0) return true;
    const familiar = this.client.ip !== null && (await this.counters.getCounter(familiarAddressKey(this.accountId, user.userId, this.client.ip), this.now)) !== null;
    const side: LoginSide = familiar ? 'familiar' : 'elsewhere';
    const key = sideKey(side, this.accountId, user.userId);
    const counter = await this.guard.take(key, USER_WINDOW_MS, this.now, lockBlock(settings), this.ended);
    if (!counter) {
      const lockedUntil = lockEnd(await this.counters.getCounter(key, this.now), settings, this.now);
      this.settled = true;
      this.settle();
      await this.audit.recordPerMinute({
        accountId: this.accountId,
        accountKnown: true,
        type: 'login_locked',
        userId: user.userId,
        loginName: user.loginName,
        clientIp: this.client.ip,
        userAgent: this.client.userAgent,
        detail: { lockedUntil, method, from: side },
      });
      return false;
    }
    this.userSide = { key, resetAt: counter.resetAt, count: counter.count, side };
    return true;
  }

  /** A failed attempt keeps its counts; at or past the threshold it records the (re)started lock. */
  async failed(user: User | null, settings: AccountSettings | null): Promise<void> {
    this.settled = true;
    this.settle();
    const counted = this.userSide;
    if (!user || !settings || !counted || counted.count < settings.lockoutThreshold) return;
    await this.audit.record({
      accountId: this.accountId,
      type: 'lockout',
      userId: user.userId,
      loginName: user.loginName,
      clientIp: this.client.ip,
      userAgent: this.client.userAgent,
      detail: { failures: counted.count, lockedForMs: lockDuration(counted.count, settings), from: counted.side },
    });
  }

  /** Gives the address its attempt back, resets the user's side and remembers this address as familiar. */
  async succeeded(user: User): Promise<void> {
    this.settled = true;
    await this.giveBackAddress();
    if (this.userSide) await this.counters.deleteCounter(this.userSide.key);
    this.userSide = null;
    this.settle();
    if (!this.client.ip) return;
    const key = familiarAddressKey(this.accountId, user.userId, this.client.ip);
    const known = await this.counters.getCounter(key, this.now);
    if (known && known.resetAt - this.now > FAMILIAR_WINDOW_MS - FAMILIAR_RENEWAL_MS) return;
    if (known) await this.counters.deleteCounter(key);
    await this.counters.incrementCounter(key, FAMILIAR_WINDOW_MS, this.now);
  }

  /** Gives back the counts of an attempt that neither failed nor succeeded. Always called, last. */
  async end(): Promise<void> {
    try {
      if (this.settled) return;
      this.settled = true;
      await this.giveBackAddress();
      if (this.userSide) await this.counters.releaseCounter(this.userSide.key, this.userSide.resetAt);
      this.userSide = null;
    } finally {
      // Whatever happened above, attempts waiting for this one must not wait for ever.
      this.settle();
    }
  }

  private async giveBackAddress(): Promise<void> {
    if (this.address) await this.counters.releaseCounter(this.address.key, this.address.resetAt);
    this.address = null;
  }
}
