import type pg from 'pg';
import type { AuditEvent, EventFilter, EventStore } from '../../events/model.js';
import { type EventRow, toEvent } from '../rows.js';

export class PostgresEventStore implements EventStore {
  constructor(private readonly pool: pg.Pool) {}

  async appendEvent(e: AuditEvent): Promise<void> {
    await this.pool.query({
      name: 'events.insert',
      text: `INSERT INTO events (time, account_id, type, user_id, login_name, client_ip, user_agent, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      values: [e.time, e.accountId, e.type, e.userId, e.loginName, e.clientIp, e.userAgent, JSON.stringify(e.detail)],
    });
  }

  async listEvents(accountId: string, filter: EventFilter = {}): Promise<AuditEvent[]> {
    const values: unknown[] = [accountId];
    const param = (v: unknown) => (values.push(v), `$${values.length}`);
    const where = ['account_id = $1'];
    if (filter.loginName !== undefined) where.push(`lower(login_name) = lower(${param(filter.loginName)})`);
    if (filter.type !== undefined) where.push(`type = ${param(filter.type)}`);
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
