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
  /** Only events of this type. */
  type?: string;
  /** At or after this time. */
  since?: number;
  /** Strictly after this event in the newest-first order: the next page starts after the last event of the previous one. */
  after?: { time: number; id: number };
  limit?: number;
}

export interface EventStore {
  appendEvent(event: AuditEvent): Promise<void>;
  /** Newest first. */
  listEvents(accountId: string, filter?: EventFilter): Promise<AuditEvent[]>;
  /** Retention: removes events older than `before`; returns how many. */
  deleteEventsBefore(before: number): Promise<number>;
}
