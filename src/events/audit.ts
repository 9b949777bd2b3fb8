/**
 * Records audit events to the store and tells listeners (metrics). Recording
 * never fails the request that caused it: a store error is logged and dropped.
 */
import type { Clock } from '../clock.js';
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
  | 'admin_change';

export interface AuditInput {
  accountId: string;
  type: AuditEventType;
  userId?: string | null;
  loginName?: string | null;
  clientIp?: string | null;
  userAgent?: string | null;
  detail?: Record<string, unknown>;
}

export type AuditListener = (event: AuditEvent) => void;

export class AuditLog {
  private readonly listeners: AuditListener[] = [];

  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  onEvent(listener: AuditListener): void {
    this.listeners.push(listener);
  }

  async record(input: AuditInput): Promise<void> {
    const event: AuditEvent = {
      time: this.clock.now(),
      accountId: input.accountId,
      type: input.type,
      userId: input.userId ?? null,
      loginName: input.loginName ?? null,
      clientIp: input.clientIp ?? null,
      userAgent: input.userAgent ? input.userAgent.slice(0, 512) : null,
      detail: input.detail ?? {},
    };
    for (const listener of this.listeners) listener(event);
    try {
      await this.store.appendEvent(event);
    } catch (error) {
      this.onError(error);
    }
  }
}
