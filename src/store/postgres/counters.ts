import type pg from 'pg';
import { type Counter, type CounterBlock, type CounterStore, incrementNeverBlocked } from '../../security/counters.js';
import { type CounterRow, toCounter } from '../rows.js';

export class PostgresCounterStore implements CounterStore {
  constructor(private readonly pool: pg.Pool) {}

  incrementCounter(key: string, windowMs: number, now: number): Promise<Counter> {
    return incrementNeverBlocked(this, key, windowMs, now);
  }

  async incrementCounterUnlessBlocked(key: string, windowMs: number, now: number, block: CounterBlock): Promise<Counter | null> {
    // One statement: the upsert locks the row, so concurrent increments from any number of
    // connections or processes are never lost; a blocked counter (see CounterBlock) is left
    // as it is, locked by the statement, and no row comes back.
    const { rows } = await this.pool.query<CounterRow>({
      name: 'counters.incrementUnlessBlocked',
      text: `INSERT INTO counters AS c (key, count, reset_at, updated_at) VALUES ($1, 1, $2::bigint + $3::bigint, $2)
             ON CONFLICT (key) DO UPDATE SET
               count = CASE WHEN c.reset_at <= $2 THEN 1 ELSE c.count + 1 END,
               reset_at = CASE WHEN c.reset_at <= $2 THEN $2::bigint + $3::bigint ELSE c.reset_at END,
               updated_at = $2
             WHERE c.reset_at <= $2 OR c.count < $4::integer
               OR c.updated_at + LEAST($5::bigint * (1::bigint << LEAST(GREATEST(c.count - $4::integer, 0), 30)), $6::bigint) <= $2
             RETURNING count, reset_at, updated_at`,
      values: [key, now, windowMs, block.limit, block.baseMs, block.maxMs],
    });
    return rows[0] ? toCounter(rows[0]) : null;
  }

  async releaseCounter(key: string, resetAt: number): Promise<void> {
    await this.pool.query({
      name: 'counters.release',
      text: 'UPDATE counters SET count = count - 1 WHERE key = $1 AND reset_at = $2 AND count > 0',
      values: [key, resetAt],
    });
  }

  async getCounter(key: string, now: number): Promise<Counter | null> {
    const { rows } = await this.pool.query<CounterRow>({
      name: 'counters.get',
      text: 'SELECT count, reset_at, updated_at FROM counters WHERE key = $1 AND reset_at > $2',
      values: [key, now],
    });
    return rows[0] ? toCounter(rows[0]) : null;
  }

  async getCounters(keys: readonly string[], now: number): Promise<Map<string, Counter>> {
    const found = new Map<string, Counter>();
    if (keys.length === 0) return found;
    const { rows } = await this.pool.query<CounterRow & { key: string }>({
      name: 'counters.getMany',
      text: 'SELECT key, count, reset_at, updated_at FROM counters WHERE key = ANY($1::text[]) AND reset_at > $2',
      values: [keys, now],
    });
    for (const row of rows) found.set(row.key, toCounter(row));
    return found;
  }

  async deleteCounter(key: string): Promise<void> {
    await this.pool.query({ name: 'counters.delete', text: 'DELETE FROM counters WHERE key = $1', values: [key] });
  }

  async deleteExpiredCounters(now: number): Promise<number> {
    const r = await this.pool.query({ name: 'counters.deleteExpired', text: 'DELETE FROM counters WHERE reset_at <= $1', values: [now] });
    return r.rowCount ?? 0;
  }
}
