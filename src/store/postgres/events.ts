import type pg from 'pg';
import type { AuditEvent, EventFilter, EventStore } from '../../events/model.js';
import { type EventRow, toEvent } from '../rows.js';

/**
 * PostgreSQL text and JSONB cannot hold U+0000, and a query with one fails:
 * the event would be lost. Each NUL is stored as U+FFFD (the replacement
 * character) instead, in every text column and every string and key of the
 * detail. Requests with a NUL are refused at the edge; this keeps the events
 * of any other source (an SSO assertion, the CLI, a future caller).
 */
const NUL = /\u0000/g;
const REPLACEMENT = '\ufffd';

function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return value.replace(NUL, REPLACEMENT) as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutNul(k), withoutNul(v)])) as T;
  return value;
}

export class PostgresEventStore implements EventStore {
  constructor(private readonly pool: pg.Pool) {}

  async appendEvent(e: AuditEvent): Promise<void> {
    await this.pool.query({
      name: 'events.insert',
      text: `INSERT INTO events (time, account_id, type, user_id, login_name, client_ip, user_agent, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      values: [e.time, ...withoutNul([e.accountId, e.type, e.userId, e.loginName, e.clientIp, e.userAgent]), JSON.stringify(withoutNul(e.detail))],
    });
  }

  async listEvents(accountId: string, filter: EventFilter = {}): Promise<AuditEvent[]> {
    const values: unknown[] = [withoutNul(accountId)];
    const param = (v: unknown) => (values.push(v), `$${values.length}`);
    const where = ['account_id = $1'];
    if (filter.loginName !== undefined) where.push(`lower(login_name) = lower(${param(withoutNul(filter.loginName))})`);
    if (filter.type !== undefined) where.push(`type = ${param(withoutNul(filter.type))}`);
    if (filter.since !== undefined) where.push(`time >= ${param(filter.since)}`);
    if (filter.after !== undefined) {
      const time = param(filter.after.time);
      where.push(`(time < ${time} OR (time = ${time} AND id < ${param(filter.after.id)}))`);
    }
    const limit = param(filter.limit ?? 1000);
    const { rows } = await this.pool.query<EventRow>(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY time DESC, id DESC LIMIT ${limit}`, values);
    return rows.map(toEvent);
  }

  async deleteEventsBefore(before: number): Promise<number> {
    const r = await this.pool.query({ name: 'events.deleteBefore', text: 'DELETE FROM events WHERE time < $1', values: [before] });
    return r.rowCount ?? 0;
  }
}
