/**
 * Brute-force protection with counters kept in the store:
 * - per user: after `lockoutThreshold` consecutive failures the user is locked
 *   for lockoutBaseMs, doubling with each further failure up to lockoutMaxMs;
 *   a success resets. A locked login gets the same 401 as a wrong password.
 * - per client address: failed logins beyond `failuresPerMinute` get 429 with
 *   Retry-After, whatever usernames they try (password spraying). IPv6
 *   addresses count by their /64.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { AccountSettings } from '../accounts/model.js';
import type { AuditLog } from '../events/audit.js';
import { errors } from '../errors.js';
import type { User } from '../users/model.js';
import type { CounterStore } from './counters.js';

const ADDRESS_WINDOW_MS = 60_000;
/** Consecutive failures are forgotten a day after the first of them (a fixed window in the store). */
const USER_WINDOW_MS = 24 * 60 * 60_000;

export interface GuardClient {
  ip: string | null;
  userAgent: string | null;
}

export const userFailureKey = (accountId: string, userId: string) => `fail:user:${accountId}:${userId}`;
const addressFailureKey = (ip: string) => `fail:ip:${addressBucket(ip)}`;

/**
 * What the per-address limit counts by: an IPv4 address as it is, an IPv6
 * address by its /64 network, since one subscriber is routinely given a whole
 * /64 and could otherwise rotate through 2^64 addresses. IPv4-mapped IPv6
 * (::ffff:a.b.c.d) counts as its IPv4 address.
 */
export function addressBucket(ip: string): string {
  const address = ip.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::a.b.c.d) lies past the first 64 bits, so counting it as one group is enough here.
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export function lockDuration(failures: number, settings: AccountSettings): number {
  const extra = Math.min(failures - settings.lockoutThreshold, 30);
  return Math.min(settings.lockoutBaseMs * 2 ** extra, settings.lockoutMaxMs);
}

export class BruteForceGuard {
  constructor(
    private readonly counters: CounterStore,
    private readonly audit: AuditLog,
    private readonly failuresPerMinute: number,
  ) {}

  /** Throws tooManyFailures when this address has failed too often in the current minute. */
  async assertAddressAllowed(accountId: string, client: GuardClient, now: number): Promise<void> {
    if (this.failuresPerMinute <= 0 || !client.ip) return;
    const counter = await this.counters.getCounter(addressFailureKey(client.ip), now);
    if (counter && counter.count >= this.failuresPerMinute) {
      const retryAfter = Math.max(1, Math.ceil((counter.resetAt - now) / 1000));
      await this.audit.record({ accountId, type: 'login_rate_limited', clientIp: client.ip, userAgent: client.userAgent, detail: { retryAfter } });
      throw errors.tooManyFailures('Too many failed logins from this address; try again later', retryAfter);
    }
  }

  /** When the user's lock ends, or null when not locked. */
  async lockedUntil(accountId: string, user: User, settings: AccountSettings, now: number): Promise<number | null> {
    if (settings.lockoutThreshold <= 0) return null;
    const counter = await this.counters.getCounter(userFailureKey(accountId, user.userId), now);
    if (!counter || counter.count < settings.lockoutThreshold) return null;
    const until = counter.updatedAt + lockDuration(counter.count, settings);
    return until > now ? until : null;
  }

  async recordFailure(
    accountId: string,
    user: User | null,
    settings: AccountSettings | null,
    client: GuardClient,
    now: number,
    attemptedName: string,
  ): Promise<void> {
    await this.recordAddressFailure(client, now);
    if (!user || !settings || settings.lockoutThreshold <= 0) return;
    const counter = await this.counters.incrementCounter(userFailureKey(accountId, user.userId), USER_WINDOW_MS, now);
    if (counter.count >= settings.lockoutThreshold) {
      await this.audit.record({
        accountId,
        type: 'lockout',
        userId: user.userId,
        loginName: user.loginName ?? attemptedName,
        clientIp: client.ip,
        userAgent: client.userAgent,
        detail: { failures: counter.count, lockedForMs: lockDuration(counter.count, settings) },
      });
    }
  }

  /**
   * Counts a failed attempt against the client address only: for attempts on
   * a locked user, which must not lengthen the lock (an attacker could keep a
   * user locked out for ever) but still cost the attacker's address.
   */
  async recordAddressFailure(client: GuardClient, now: number): Promise<void> {
    if (client.ip && this.failuresPerMinute > 0) await this.counters.incrementCounter(addressFailureKey(client.ip), ADDRESS_WINDOW_MS, now);
  }

  async recordSuccess(accountId: string, user: User): Promise<void> {
    const key = userFailureKey(accountId, user.userId);
    // Most logins follow no failure: a read by key costs far less than a write that changes nothing.
    if (await this.counters.getCounter(key, 0)) await this.counters.deleteCounter(key);
  }

  /** Admin unlock: forgets the user's failures. */
  async unlock(accountId: string, userId: string): Promise<void> {
    await this.counters.deleteCounter(userFailureKey(accountId, userId));
  }
}
