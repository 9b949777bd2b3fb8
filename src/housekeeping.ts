/**
 * Removes expired sessions and counters and old audit events, so storage does
 * not grow without bound.
 *
 * The sweep is idempotent: running it twice, or in two instances at once,
 * deletes nothing twice and nothing live. Still, N processes sweeping the same
 * store every interval would be N-fold work (and N writers queueing on
 * SQLite's single write lock), so:
 * - with `--workers N`, only worker 0 sweeps (its replacement inherits the role);
 * - each sweeping process starts at a random point of the interval and keeps a
 *   ±10% jitter, so separate instances do not sweep in lockstep;
 * - a process never overlaps its own sweeps: the next is scheduled after the
 *   last one finishes.
 */
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Stores } from './store/index.js';

export interface SweepResult {
  sessions: number;
  counters: number;
  events: number;
  /** Second-step tickets (mfaToken, enrollToken, WebAuthn challenges) whose time is over. */
  factorTickets: number;
}

/** Set by the cluster primary on each worker it forks: 0 … N-1, kept by a replacement. */
export const WORKER_INDEX_ENV = 'LOGIN_SERVICE_WORKER_INDEX';

export async function sweep(stores: Stores, now: number, eventRetentionDays: number): Promise<SweepResult> {
  return {
    sessions: await stores.sessions.deleteExpiredSessions(now),
    counters: await stores.counters.deleteExpiredCounters(now),
    events: await stores.events.deleteEventsBefore(now - eventRetentionDays * 86_400_000),
    factorTickets: await stores.factors.deleteExpiredTickets(now),
  };
}

/** True in a single process and in worker 0 of a cluster. */
export function sweepsInThisProcess(env: NodeJS.ProcessEnv = process.env): boolean {
  const index = env[WORKER_INDEX_ENV];
  return index === undefined || index === '0';
}

export interface Housekeeping {
  /** Stops the timer and waits for a sweep in progress, so the store can be closed after it. */
  stop(): Promise<void>;
}

export interface HousekeepingOptions {
  /** [0, 1); replaceable so tests can pin the jitter. */
  random?: () => number;
  /** Told after each sweep (tests wait on it). */
  onSweep?: (result: SweepResult) => void;
}

export function startHousekeeping(
  stores: Stores,
  clock: Clock,
  config: Pick<Config, 'sweepIntervalMs' | 'eventRetentionDays'>,
  logger: Logger,
  options: HousekeepingOptions = {},
): Housekeeping {
  const interval = config.sweepIntervalMs;
  if (interval <= 0) return { stop: async () => {} };
  const random = options.random ?? Math.random;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const schedule = (delay: number) => {
    timer = setTimeout(run, Math.max(1, Math.round(delay)));
    timer.unref();
  };
  const run = () => {
    running = sweep(stores, clock.now(), config.eventRetentionDays).then(
      (removed) => {
        if (removed.sessions + removed.counters + removed.events > 0) logger.info({ removed }, 'housekeeping sweep');
        options.onSweep?.(removed);
      },
      (err) => logger.warn({ err }, 'housekeeping sweep failed'),
    );
    void running.then(() => {
      running = undefined;
      if (!stopped) schedule(interval * (0.9 + 0.2 * random()));
    });
  };

  schedule(interval * random());
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
