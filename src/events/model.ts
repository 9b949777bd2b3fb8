/** Audit events: who did what, when, from where. Never a password, secret or token. */
export interface AuditEvent {
  id?: number;
  time: number;
  accountId: string;
  type: string;
  userId: string | null;
  loginName: string | null;
  clientIp: string | null;
  userAgent: string | null;
  /** Free-form details, e.g. {reason: "wrong_password"}. */
  detail: Record<string, unknown>;
}

export interface EventFilter {
  loginName?: string;
  since?: number;
  limit?: number;
}

export interface EventStore {
  appendEvent(event: AuditEvent): Promise<void>;
  /** Newest first. */
  listEvents(accountId: string, filter?: EventFilter): Promise<AuditEvent[]>;
  /** Retention: removes events older than `before`; returns how many. */
  deleteEventsBefore(before: number): Promise<number>;
}
