/**
 * Fixed-window counters for brute-force lockout and per-address rate limits.
 * They live in the store (SQL or Redis) so they hold across restarts and instances.
 */
export interface Counter {
  count: number;
  /** When the window ends and the count starts again from zero. */
  resetAt: number;
  /** Time of the last increment. */
  updatedAt: number;
}

export interface CounterStore {
  /** Adds one; starts a new window of `windowMs` when there is none or it has ended. */
  incrementCounter(key: string, windowMs: number, now: number): Promise<Counter>;
  /** Null when absent or its window has ended. */
  getCounter(key: string, now: number): Promise<Counter | null>;
  deleteCounter(key: string): Promise<void>;
  /** Housekeeping: removes counters whose window ended before `now`. */
  deleteExpiredCounters(now: number): Promise<number>;
}
