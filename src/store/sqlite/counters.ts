import { type Counter, type CounterBlock, type CounterStore, incrementNeverBlocked } from '../../security/counters.js';
import type { SqliteDatabase } from './database.js';
import { type CounterRow, toCounter } from '../rows.js';

/**
 * Writes go through the connection's group commit (`atEndOfTurn`): a login
 * counts its attempt before verifying it and gives it back after, several
 * writes each, and committing them with the turn's other writes keeps that
 * off the event loop's critical path (docs/BENCHMARKS.md). Each statement is
 * still one atomic step, in the order asked, and answers once committed.
 */
export class SqliteCounterStore implements CounterStore {
  private readonly q;

  constructor(private readonly db: SqliteDatabase) {
    this.q = {
      // One statement, so concurrent processes on one file cannot lose an increment;
      // a blocked counter (see CounterBlock) is left as it is and no row comes back.
      incrementUnlessBlocked: db.prepare(
        `INSERT INTO counters (key, count, reset_at, updated_at) VALUES (@key, 1, @now + @windowMs, @now)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN counters.reset_at <= @now THEN 1 ELSE counters.count + 1 END,
           reset_at = CASE WHEN counters.reset_at <= @now THEN @now + @windowMs ELSE counters.reset_at END,
           updated_at = @now
         WHERE counters.reset_at <= @now OR counters.count < @limit
           OR counters.updated_at + min(@baseMs * (1 << min(max(counters.count - @limit, 0), 30)), @maxMs) <= @now
         RETURNING count, reset_at, updated_at`,
      ),
      release: db.prepare('UPDATE counters SET count = count - 1 WHERE key = ? AND reset_at = ? AND count > 0'),
      get: db.prepare('SELECT count, reset_at, updated_at FROM counters WHERE key = ? AND reset_at > ?'),
      delete: db.prepare('DELETE FROM counters WHERE key = ?'),
      deleteExpired: db.prepare('DELETE FROM counters WHERE reset_at <= ?'),
    };
  }

  incrementCounter(key: string, windowMs: number, now: number): Promise<Counter> {
    return incrementNeverBlocked(this, key, windowMs, now);
  }

  async incrementCounterUnlessBlocked(key: string, windowMs: number, now: number, block: CounterBlock): Promise<Counter | null> {
    const row = (await this.db.atEndOfTurn(() => this.q.incrementUnlessBlocked.get({ key, windowMs, now, ...block }))) as CounterRow | undefined;
    return row ? toCounter(row) : null;
  }

  async releaseCounter(key: string, resetAt: number): Promise<void> {
    await this.db.atEndOfTurn(() => this.q.release.run(key, resetAt));
  }

  async getCounter(key: string, now: number): Promise<Counter | null> {
    const row = this.q.get.get(key, now) as CounterRow | undefined;
    return row ? toCounter(row) : null;
  }

  async getCounters(keys: readonly string[], now: number): Promise<Map<string, Counter>> {
    const found = new Map<string, Counter>();
    for (const key of keys) {
      const row = this.q.get.get(key, now) as CounterRow | undefined;
      if (row) found.set(key, toCounter(row));
    }
    return found;
  }

  async deleteCounter(key: string): Promise<void> {
    await this.db.atEndOfTurn(() => this.q.delete.run(key));
  }

  async deleteExpiredCounters(now: number): Promise<number> {
    return this.q.deleteExpired.run(now).changes;
  }
}
