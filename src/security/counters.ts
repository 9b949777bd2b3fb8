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

/**
 * When a counter refuses further increments: once its count has reached
 * `limit`, for min(baseMs × 2^min(count − limit, 30), maxMs) after its last
 * increment. With baseMs = maxMs = the window, it refuses until the window
 * ends (a plain rate limit); with a shorter base, the block doubles with each
 * increment past the limit (a lockout).
 */
export interface CounterBlock {
  limit: number;
  baseMs: number;
  maxMs: number;
}

export interface CounterStore {
  /** Adds one; starts a new window of `windowMs` when there is none or it has ended. */
  incrementCounter(key: string, windowMs: number, now: number): Promise<Counter>;
  /**
   * Adds one as incrementCounter does, unless the counter is blocked (see
   * CounterBlock): then changes nothing and returns null. Check and increment
   * are one atomic step, so concurrent callers can never pass the limit
   * together.
   */
  incrementCounterUnlessBlocked(key: string, windowMs: number, now: number, block: CounterBlock): Promise<Counter | null>;
  /**
   * Takes back one increment made in the window that ends at `resetAt`;
   * nothing when that window is gone or the count is already 0. Leaves
   * `updatedAt` as it is.
   */
  releaseCounter(key: string, resetAt: number): Promise<void>;
  /** Null when absent or its window has ended. */
  getCounter(key: string, now: number): Promise<Counter | null>;
  deleteCounter(key: string): Promise<void>;
  /** Housekeeping: removes counters whose window ended before `now`. */
  deleteExpiredCounters(now: number): Promise<number>;
}
