/**
 * Removes expired sessions, counters and OAuth grants (codes, refresh tokens,
 * revocation marks), signing keys retired long enough ago, and old audit
 * events, so storage does not grow without bound; and, given the audit log,
 * disables the people of accounts with `deactivateAfterDays` who have not
 * logged in for that long (directory/inactiveUsers.ts).
 *
 * A retired signing key is deleted RETIRED_SIGNING_KEY_RETENTION_MS (25 h)
 * after its retirement: it signed nothing since, and every access token it
 * signed lived 24 h at most, so no live token loses its key from the JWKS.
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
import type { AuditLog } from './events/audit.js';
import { deactivateInactiveUsers } from './directory/inactiveUsers.js';
import { RETIRED_SIGNING_KEY_RETENTION_MS } from './oauth/model.js';

export interface SweepResult {
  sessions: number;
  counters: number;
  oauthGrants: number;
  signingKeys: number;
  events: number;
  /** Second-step tickets (mfaToken, enrollToken, WebAuthn challenges) whose time is over. */
  factorTickets: number;
  /** People disabled for inactivity; present when the sweep was given the audit log to record them in. */
  usersDeactivated?: number;
}

/** What the deactivation of inactive people records its events with. */
export interface DeactivationDeps {
  audit: AuditLog;
  clock: Clock;
}

/** Set by the cluster primary on each worker it forks: 0 … N-1, kept by a replacement. */
export const WORKER_INDEX_ENV = 'LOGIN_SERVICE_WORKER_INDEX';

export async function sweep(stores: Stores, now: number, eventRetentionDays: number, deactivation?: DeactivationDeps): Promise<SweepResult> {
  // First, so the sessions it ends and the marks it reads are those of this moment.
  const deactivated = deactivation ? await deactivateInactiveUsers({ stores, clock: deactivation.clock, audit: deactivation.audit }, now) : undefined;
  return {
    sessions: await stores.sessions.deleteExpiredSessions(now),
    counters: await stores.counters.deleteExpiredCounters(now),
    oauthGrants: await stores.oauth.deleteExpiredGrants(now),
    signingKeys: await stores.signingKeys.deleteRetiredSigningKeys(now - RETIRED_SIGNING_KEY_RETENTION_MS),
    events: await stores.events.deleteEventsBefore(now - eventRetentionDays * 86_400_000),
    factorTickets: await stores.factors.deleteExpiredTickets(now),
    ...(deactivated && { usersDeactivated: deactivated.users }),
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
  /** Where the deactivation of inactive people records its events; without it, nobody is deactivated. */
  audit?: AuditLog;
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
    running = sweep(stores, clock.now(), config.eventRetentionDays, options.audit ? { audit: options.audit, clock } : undefined).then(
      (removed) => {
        if (Object.values(removed).some((n) => n > 0)) logger.info({ removed }, 'housekeeping sweep');
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
