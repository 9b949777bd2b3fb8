/**
 * The retry policy of the original documentation: never retry a 4xx; retry a
 * 5xx or network error 3 times, pausing 5, 10, then 15 seconds; after that,
 * log in again with exponential backoff (2, 4, 8 … minutes, capped).
 *
 * Every pause goes through an injectable `Timers`, so tests drive time with
 * fake timers instead of waiting.
 */
import { LoginServiceError } from './errors.js';

/** The two timer functions the client uses; `globalThis` by default, a fake clock in tests. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface RetryPolicy {
  /** Pauses before each retry of a call that failed with 5xx or a network error. Default [5000, 10000, 15000]. */
  retryDelaysMs: readonly number[];
  /** First pause of the re-login backoff, once the retries above are spent. Default 2 minutes. */
  reloginInitialDelayMs: number;
  /** The backoff doubles up to this pause. Default 32 minutes. */
  reloginMaxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retryDelaysMs: [5_000, 10_000, 15_000],
  reloginInitialDelayMs: 2 * 60_000,
  reloginMaxDelayMs: 32 * 60_000,
};

/** 2, 4, 8 … minutes, then the cap forever. */
export function* reloginBackoff(policy: RetryPolicy): Generator<number, never> {
  let delay = policy.reloginInitialDelayMs;
  for (;;) {
    yield Math.min(delay, policy.reloginMaxDelayMs);
    delay = Math.min(delay * 2, policy.reloginMaxDelayMs);
  }
}

/** Resolves after `ms`; rejects with the signal's reason as soon as it aborts (and clears the timer). */
export function sleep(timers: Timers, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      timers.clearTimeout(handle);
      reject(signal!.reason);
    };
    const handle = timers.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryNotice {
  operation: string;
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  error: LoginServiceError;
}

/**
 * Runs `call` until it succeeds, fails with a non-retryable error, or `delays`
 * runs out (then the last error is thrown). `onRetry` hears each pause before it starts.
 */
export async function withRetries<T>(
  operation: string,
  call: () => Promise<T>,
  delays: Iterator<number>,
  timers: Timers,
  onRetry: (notice: RetryNotice) => void,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof LoginServiceError) || !error.retryable || signal?.aborted) throw error;
      const next = delays.next();
      if (next.done) throw error;
      onRetry({ operation, attempt, delayMs: next.value, error });
      await sleep(timers, next.value, signal);
    }
  }
}
