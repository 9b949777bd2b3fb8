/**
 * `--workers N`: N processes serve one port (Node cluster; the primary
 * accepts connections and hands them to workers in turn). Workers share
 * nothing in memory: sessions, counters and locks live in the store, so any
 * worker answers any request the same way.
 *
 * The primary:
 * - opens (and migrates) the store, checks that the API port is free, and
 *   with METRICS_PORT serves /metrics there, summed over all workers
 *   (prom-client's AggregatorRegistry asks each worker over IPC);
 * - then bootstraps the store once, before forking;
 * - forks workers 0 … N-1 (the index is in LOGIN_SERVICE_WORKER_INDEX; worker 0
 *   runs the housekeeping sweep) and replaces one that dies, with the same
 *   index, after a back-off that grows while replacements keep dying young;
 * - on SIGTERM/SIGINT passes SIGTERM to every worker, waits for their
 *   graceful shutdown, and exits 0 when all of them exited 0.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import { WORKER_INDEX_ENV } from './housekeeping.js';
import { createLogger } from './logger.js';
import { startMetricsServer, type MetricsServer } from './ops/metricsServer.js';
import { PasswordHasher } from './security/passwords.js';
import { apiPortSetting, bootstrapStore, checkPortIsFree, explainListenError, firstStopSignal, metricsPortSetting, openStoresForServing, serve } from './serve.js';
import { warnAboutLoginNameConflicts } from './users/loginNameConflicts.js';

/** A worker that lived less than this counts as dying young. */
const YOUNG_MS = 60_000;
const RESTART_BACKOFF_MAX_MS = 30_000;
/** Beyond the workers' own shutdown budget, before the primary kills them. */
const KILL_MARGIN_MS = 5_000;

export async function serveWithWorkers(config: Config): Promise<number> {
  if (config.workers <= 1 || !cluster.isPrimary) return serve(config);
  const logger = createLogger(config.logLevel);
  const signalled = firstStopSignal();

  // Ports first, bootstrap last: a start that fails on a port must not use up the first start's password banner.
  const stores = await openStoresForServing(config);
  let metricsServer: MetricsServer | null = null;
  try {
    // The workers take the API port; checking it here turns a port in use into one line instead of workers dying in a loop.
    await checkPortIsFree(apiPortSetting(config));
    if (config.metrics && config.metricsPort !== 0) {
      const aggregator = new AggregatorRegistry();
      metricsServer = await startMetricsServer(
        { contentType: aggregator.contentType, render: () => aggregator.clusterMetrics() },
        { port: config.metricsPort, host: config.metricsHost, logger },
      ).catch((error) => {
        throw explainListenError(error, metricsPortSetting(config));
      });
    }
    await bootstrapStore(stores, config, { clock: systemClock, hasher: new PasswordHasher(), out: process.stdout });
    await warnAboutLoginNameConflicts(stores, logger);
  } catch (error) {
    await metricsServer?.close();
    throw error;
  } finally {
    await stores.close();
  }

  interface Slot {
    worker: Worker | null;
    startedAt: number;
    youngDeaths: number;
    restart: NodeJS.Timeout | null;
  }
  const slots: Slot[] = [];
  let stopping = false;
  let allGraceful = true;
  let allExited: () => void = () => {};
  const exited = new Promise<void>((resolve) => (allExited = resolve));

  const fork = (index: number) => {
    const slot = slots[index]!;
    slot.restart = null;
    slot.startedAt = Date.now();
    slot.worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index) });
    const worker = slot.worker;
    worker.on('exit', (code, signal) => {
      slot.worker = null;
      if (stopping) {
        if (code !== 0) allGraceful = false;
        if (slots.every((s) => s.worker === null)) allExited();
        return;
      }
      slot.youngDeaths = Date.now() - slot.startedAt < YOUNG_MS ? slot.youngDeaths + 1 : 0;
      const delay = slot.youngDeaths === 0 ? 0 : Math.min(RESTART_BACKOFF_MAX_MS, 500 * 2 ** (slot.youngDeaths - 1));
      logger.error({ worker: index, pid: worker.process.pid, code, signal, restartInMs: delay }, 'worker exited; starting another');
      slot.restart = setTimeout(() => fork(index), delay);
    });
  };
  for (let index = 0; index < config.workers; index++) {
    slots.push({ worker: null, startedAt: 0, youngDeaths: 0, restart: null });
    fork(index);
  }
  logger.info({ workers: config.workers, port: config.port, metrics: metricsServer?.url }, 'login-service primary started');

  const signal = await signalled;
  stopping = true;
  logger.info({ signal }, 'stopping workers');
  for (const slot of slots) {
    if (slot.restart) clearTimeout(slot.restart);
    slot.restart = null;
    slot.worker?.process.kill('SIGTERM');
  }
  if (slots.every((s) => s.worker === null)) allExited();
  const killer = setTimeout(() => {
    allGraceful = false;
    for (const slot of slots) {
      if (!slot.worker) continue;
      logger.error({ pid: slot.worker.process.pid }, 'worker did not stop in time; killing it');
      slot.worker.process.kill('SIGKILL');
    }
  }, config.shutdownDelayMs + config.shutdownTimeoutMs + KILL_MARGIN_MS);
  await exited;
  clearTimeout(killer);
  await metricsServer?.close();
  logger.info({ graceful: allGraceful }, 'login-service stopped');
  return allGraceful ? 0 : 1;
}
