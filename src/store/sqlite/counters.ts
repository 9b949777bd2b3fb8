import type { Counter, CounterStore } from '../../security/counters.js';
import type { SqliteDatabase } from './database.js';
import { type CounterRow, toCounter } from '../rows.js';

export class SqliteCounterStore implements CounterStore {
  private readonly q;

  constructor(db: SqliteDatabase) {
    this.q = {
      // One statement, so concurrent processes on one file cannot lose an increment.
      increment: db.prepare(
        `INSERT INTO counters (key, count, reset_at, updated_at) VALUES (@key, 1, @now + @windowMs, @now)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN counters.reset_at <= @now THEN 1 ELSE counters.count + 1 END,
           reset_at = CASE WHEN counters.reset_at <= @now THEN @now + @windowMs ELSE counters.reset_at END,
           updated_at = @now
         RETURNING count, reset_at, updated_at`,
      ),
      get: db.prepare('SELECT count, reset_at, updated_at FROM counters WHERE key = ? AND reset_at > ?'),
      delete: db.prepare('DELETE FROM counters WHERE key = ?'),
      deleteExpired: db.prepare('DELETE FROM counters WHERE reset_at <= ?'),
    };
  }

  async incrementCounter(key: string, windowMs: number, now: number): Promise<Counter> {
    return toCounter(this.q.increment.get({ key, windowMs, now }) as CounterRow);
  }

  async getCounter(key: string, now: number): Promise<Counter | null> {
    const row = this.q.get.get(key, now) as CounterRow | undefined;
    return row ? toCounter(row) : null;
  }

  async deleteCounter(key: string): Promise<void> {
    this.q.delete.run(key);
  }

  async deleteExpiredCounters(now: number): Promise<number> {
    return this.q.deleteExpired.run(now).changes;
  }
}
