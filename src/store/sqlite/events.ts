import type { AuditEvent, EventFilter, EventStore } from '../../events/model.js';
import type { SqliteDatabase } from './database.js';
import { type EventRow, toEvent } from '../rows.js';

export class SqliteEventStore implements EventStore {
  private readonly q;

  constructor(private readonly db: SqliteDatabase) {
    this.q = {
      insert: db.prepare(
        `INSERT INTO events (time, account_id, type, user_id, login_name, client_ip, user_agent, detail)
         VALUES (@time, @accountId, @type, @userId, @loginName, @clientIp, @userAgent, @detail)`,
      ),
      deleteBefore: db.prepare('DELETE FROM events WHERE time < ?'),
    };
  }

  async appendEvent(e: AuditEvent): Promise<void> {
    this.q.insert.run({ ...e, detail: JSON.stringify(e.detail) });
  }

  async listEvents(accountId: string, filter: EventFilter = {}): Promise<AuditEvent[]> {
    const where = ['account_id = ?'];
    const values: unknown[] = [accountId];
    if (filter.loginName !== undefined) where.push('lower(login_name) = ?'), values.push(filter.loginName.toLowerCase());
    if (filter.type !== undefined) where.push('type = ?'), values.push(filter.type);
    if (filter.since !== undefined) where.push('time >= ?'), values.push(filter.since);
    if (filter.after !== undefined) where.push('(time < ? OR (time = ? AND id < ?))'), values.push(filter.after.time, filter.after.time, filter.after.id);
    const sql = `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY time DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...values, filter.limit ?? 1000) as EventRow[]).map(toEvent);
  }

  async deleteEventsBefore(before: number): Promise<number> {
    return this.q.deleteBefore.run(before).changes;
  }
}
