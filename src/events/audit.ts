/**
 * Records audit events to the store and tells listeners (metrics). Recording
 * never fails the request that caused it: a store error is logged and dropped.
 *
 * Refusals that an attacker can repeat at full speed (rate-limited and
 * locked-out logins, logins to accounts that do not exist) are not stored one
 * by one: `recordPerMinute` keeps a count in memory per (type, account, user or
 * address) and minute, and stores one event per key with that count once the
 * minute has ended (or at `flush`, when the app closes). A refusal thus costs no store write, and a
 * flood costs at most one event per key and minute; past MAX_HELD_KEYS in a
 * minute, further keys fold into one per type and account. Listeners still
 * hear of every refusal, so metrics count each one.
 *
 * Account ids that do not exist are never stored: such events go under
 * UNKNOWN_ACCOUNT, without the login name or user agent the client sent.
 */
import type { Clock } from '../clock.js';
import { addressBucket } from '../security/addresses.js';
import type { AuditEvent, EventStore } from './model.js';

export type AuditEventType =
  | 'login_success'
  | 'login_failure'
  | 'login_locked'
  | 'login_rate_limited'
  | 'lockout'
  | 'unlock'
  | 'logout'
  | 'refresh_failure'
  | 'password_change'
  | 'password_expired'
  | 'session_revoked'
  | 'apikey_used'
  | 'admin_change'
  /** OAuth 2.0 authorization endpoint: a code issued, a request refused for its client or redirect URI. */
  | 'oauth_code_issued'
  | 'oauth_authorize_refused'
  /** A person's own second factors changed (detail.action: totp_enrolled, totp_removed, recovery_codes_regenerated, recovery_code_used, passkey_added, passkey_removed). */
  | 'mfa_change';

export interface AuditInput {
  accountId: string;
  type: AuditEventType;
  userId?: string | null;
  loginName?: string | null;
  clientIp?: string | null;
  userAgent?: string | null;
  detail?: Record<string, unknown>;
}

export interface PerMinuteInput extends AuditInput {
  /** False when the account id names no account: the event is then kept under UNKNOWN_ACCOUNT. */
  accountKnown: boolean;
  /**
   * Counted apart from the same type's other events of the subject and minute
   * (say, the reason of a refusal); the stored event keeps the detail of the
   * first of its group.
   */
  groupBy?: string;
}

export type AuditListener = (event: AuditEvent) => void;

/** The account id of events about account ids that do not exist (account ids are digits, so this names none). */
export const UNKNOWN_ACCOUNT = 'unknown';
/** Longest login name and user agent kept, in characters. */
export const TEXT_CAP = 256;
/** Largest `detail` kept, as JSON characters; a larger one is replaced by {truncated: true}. */
export const DETAIL_CAP = 1024;
/** Distinct per-minute keys held at once; beyond, refusals fold into one key per type and account. */
export const MAX_HELD_KEYS = 10_000;
const MINUTE_MS = 60_000;

interface Held {
  minute: number;
  event: AuditEvent;
  count: number;
  lastAt: number;
}

const cap = (text: string | null | undefined) => (text ? text.slice(0, TEXT_CAP) : null);

function capDetail(detail: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!detail) return {};
  const capped = Object.fromEntries(Object.entries(detail).map(([k, v]) => [k, typeof v === 'string' ? v.slice(0, TEXT_CAP) : v]));
  return JSON.stringify(capped).length > DETAIL_CAP ? { truncated: true } : capped;
}

export class AuditLog {
  private readonly listeners: AuditListener[] = [];
  private readonly held = new Map<string, Held>();
  /** The earliest minute held, so that checking for ended minutes costs nothing while none has ended. */
  private oldestMinute = Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  onEvent(listener: AuditListener): void {
    this.listeners.push(listener);
  }

  async record(input: AuditInput): Promise<void> {
    const event = this.toEvent(input, this.clock.now());
    for (const listener of this.listeners) listener(event);
    await this.flushEnded();
    await this.append(event);
  }

  /** Counts an event in its minute; one event per key and minute reaches the store, with detail.count. */
  async recordPerMinute(input: PerMinuteInput): Promise<void> {
    const now = this.clock.now();
    const known = input.accountKnown;
    const event = this.toEvent(
      known ? input : { accountId: UNKNOWN_ACCOUNT, type: input.type, clientIp: input.clientIp, detail: input.detail },
      now,
    );
    for (const listener of this.listeners) listener(event);
    await this.flushEnded();

    const minute = Math.floor(now / MINUTE_MS);
    const subject = event.userId ?? (event.clientIp ? addressBucket(event.clientIp) : '');
    let key = JSON.stringify([minute, event.type, event.accountId, subject, input.groupBy ?? '']);
    let held = this.held.get(key);
    if (!held && this.held.size >= MAX_HELD_KEYS) {
      key = JSON.stringify([minute, event.type, event.accountId, '*']);
      held = this.held.get(key);
      if (!held) event.userId = event.loginName = event.clientIp = event.userAgent = null;
    }
    if (held) {
      held.count++;
      held.lastAt = now;
      return;
    }
    this.held.set(key, { minute, event, count: 1, lastAt: now });
    this.oldestMinute = Math.min(this.oldestMinute, minute);
    // A safety net for quiet times: with traffic, each call stores the minutes that have ended.
    this.timer ??= setInterval(() => void this.flushEnded(), MINUTE_MS).unref();
  }

  /** Stores every count held, ended minute or not: at shutdown (the app's onClose), and for tests. */
  async flush(): Promise<void> {
    await this.flushWhere(() => true);
  }

  private flushEnded(): Promise<void> {
    const minute = Math.floor(this.clock.now() / MINUTE_MS);
    if (this.oldestMinute >= minute) return Promise.resolve();
    return this.flushWhere((held) => held.minute < minute);
  }

  private async flushWhere(ended: (held: Held) => boolean): Promise<void> {
    const due: Held[] = [];
    // Taken out before the first write, so flushes running at once never store a count twice.
    for (const [key, held] of this.held) {
      if (!ended(held)) continue;
      this.held.delete(key);
      due.push(held);
    }
    this.oldestMinute = Infinity;
    for (const held of this.held.values()) this.oldestMinute = Math.min(this.oldestMinute, held.minute);
    if (this.held.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    for (const held of due) await this.append({ ...held.event, detail: { ...held.event.detail, count: held.count, lastAt: held.lastAt } });
  }

  private toEvent(input: AuditInput, now: number): AuditEvent {
    return {
      time: now,
      accountId: input.accountId,
      type: input.type,
      userId: input.userId ?? null,
      loginName: cap(input.loginName),
      clientIp: input.clientIp ?? null,
      userAgent: cap(input.userAgent),
      detail: capDetail(input.detail),
    };
  }

  private async append(event: AuditEvent): Promise<void> {
    try {
      await this.store.appendEvent(event);
    } catch (error) {
      this.onError(error);
    }
  }
}
