import type pg from 'pg';
import type { Counter, CounterStore } from '../../security/counters.js';
import { type CounterRow, toCounter } from '../rows.js';

export class PostgresCounterStore implements CounterStore {
  constructor(private readonly pool: pg.Pool) {}

  async incrementCounter(key: string, windowMs: number, now: number): Promise<Counter> {
    // One statement: the upsert locks the row, so concurrent increments from
    // any number of connections or processes are never lost.
    const { rows } = await this.pool.query<CounterRow>({
      name: 'counters.increment',
      text: `INSERT INTO counters AS c (key, count, reset_at, updated_at) VALUES ($1, 1, $2::bigint + $3::bigint, $2)
             ON CONFLICT (key) DO UPDATE SET
               count = CASE WHEN c.reset_at <= $2 THEN 1 ELSE c.count + 1 END,
               reset_at = CASE WHEN c.reset_at <= $2 THEN $2::bigint + $3::bigint ELSE c.reset_at END,
               updated_at = $2
             RETURNING count, reset_at, updated_at`,
      values: [key, now, windowMs],
    });
    return toCounter(rows[0]!);
  }

  async getCounter(key: string, now: number): Promise<Counter | null> {
    const { rows } = await this.pool.query<CounterRow>({
      name: 'counters.get',
      text: 'SELECT count, reset_at, updated_at FROM counters WHERE key = $1 AND reset_at > $2',
      values: [key, now],
    });
    return rows[0] ? toCounter(rows[0]) : null;
  }

  async deleteCounter(key: string): Promise<void> {
    await this.pool.query({ name: 'counters.delete', text: 'DELETE FROM counters WHERE key = $1', values: [key] });
  }

  async deleteExpiredCounters(now: number): Promise<number> {
    const r = await this.pool.query({ name: 'counters.deleteExpired', text: 'DELETE FROM counters WHERE reset_at <= $1', values: [now] });
    return r.rowCount ?? 0;
  }
}
