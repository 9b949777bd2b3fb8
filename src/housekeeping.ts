/** Removes expired sessions and counters and old audit events, so storage does not grow without bound. */
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Stores } from './store/index.js';

export interface SweepResult {
  sessions: number;
  counters: number;
  events: number;
}

export async function sweep(stores: Stores, now: number, eventRetentionDays: number): Promise<SweepResult> {
  return {
    sessions: await stores.sessions.deleteExpiredSessions(now),
    counters: await stores.counters.deleteExpiredCounters(now),
    events: await stores.events.deleteEventsBefore(now - eventRetentionDays * 86_400_000),
  };
}

export function startHousekeeping(stores: Stores, clock: Clock, config: Config, logger: Logger): { stop(): void } {
  if (config.sweepIntervalMs <= 0) return { stop() {} };
  const timer = setInterval(() => {
    sweep(stores, clock.now(), config.eventRetentionDays).then(
      (removed) => logger.debug({ removed }, 'housekeeping sweep'),
      (err) => logger.warn({ err }, 'housekeeping sweep failed'),
    );
  }, config.sweepIntervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
