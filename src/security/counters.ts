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

/**
 * The block of a plain increment: a limit no count reaches (the stores keep
 * counts as 32-bit integers), so it never refuses.
 */
export const NEVER_BLOCKED: CounterBlock = Object.freeze({ limit: 2 ** 31 - 1, baseMs: 0, maxMs: 0 });

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
  /** Many at once (one round trip where the backend has one): the live ones, by key. */
  getCounters(keys: readonly string[], now: number): Promise<Map<string, Counter>>;
  deleteCounter(key: string): Promise<void>;
  /** Housekeeping: removes counters whose window ended before `now`. */
  deleteExpiredCounters(now: number): Promise<number>;
}

/**
 * `incrementCounter` of every backend: its conditional increment with a block
 * that never refuses, so each backend has one increment to get right.
 */
export async function incrementNeverBlocked(store: Pick<CounterStore, 'incrementCounterUnlessBlocked'>, key: string, windowMs: number, now: number): Promise<Counter> {
  const counter = await store.incrementCounterUnlessBlocked(key, windowMs, now, NEVER_BLOCKED);
  if (!counter) throw new Error(`counter ${key} refused an increment without a limit`);
  return counter;
}
