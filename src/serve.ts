/**
 * `login-service serve`: opens the store, bootstraps an empty one, listens,
 * sweeps expired data, and shuts down gracefully on SIGTERM/SIGINT.
 *
 * Graceful shutdown, in order:
 * 1. /readyz answers 503 at once; for SHUTDOWN_DELAY_MS everything else is
 *    still served, so a load balancer polling readiness stops sending traffic
 *    before the port closes;
 * 2. the listener closes (new connections are refused), idle keep-alive
 *    connections are closed, and requests in flight run to completion; a
 *    request that arrives on a busy keep-alive connection is still served,
 *    with `Connection: close`;
 * 3. after SHUTDOWN_TIMEOUT_MS whatever is still open is cut (exit status 1);
 * 4. the housekeeping sweep in progress finishes, then the store closes.
 * An answer a client received was written to the store before it was sent,
 * and the store is closed only after the last answer: nothing acknowledged is lost.
 */
import cluster from 'node:cluster';
import { createServer as createNetServer } from 'node:net';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { bootstrapIfEmpty, firstStartMessage } from './bootstrap.js';
import { ensureSigningKeys } from './oauth/keys.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { PasswordHasher } from './security/passwords.js';
import { createLogger } from './logger.js';
import { startMetricsServer, type MetricsServer } from './ops/metricsServer.js';
import { openConfiguredStores, type Stores } from './store/index.js';
import { warnAboutLoginNameConflicts } from './users/loginNameConflicts.js';
import { WORKER_INDEX_ENV, startHousekeeping, sweepsInThisProcess } from './housekeeping.js';

export interface RunningServer {
  url: string;
  /** Where /metrics is served (METRICS_PORT) by this process; null when on the public port, off, or served by the cluster primary. */
  metricsUrl: string | null;
  /**
   * Graceful shutdown (see above). Resolves true when every request finished
   * within the timeout. Safe to call more than once.
   */
  shutdown(): Promise<boolean>;
  /** Shutdown without the readiness delay (tests, benchmarks). */
  close(): Promise<void>;
}

export interface StartServerOptions {
  /** Create the demo account on an empty store (default true; the cluster primary does it for its workers). */
  bootstrap?: boolean;
  out?: NodeJS.WritableStream;
  logger?: Logger;
}

/**
 * Bootstraps an empty store. Instances starting together on one empty
 * database may race to create the demo account: the losers see the winner's
 * account and carry on.
 */
export async function bootstrapStore(stores: Stores, config: Config, deps: { clock: Clock; hasher: PasswordHasher; out: NodeJS.WritableStream }): Promise<void> {
  try {
    const first = await bootstrapIfEmpty(stores, deps.clock, deps.hasher);
    if (first) deps.out.write(firstStartMessage(first, config));
  } catch (error) {
    if ((await stores.accounts.listAccounts()).length === 0) throw error;
  }
  // The OAuth signing keys, made once for every instance (a race only adds a key that is retired at once and still verifies).
  await ensureSigningKeys(stores, deps.clock.now());
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The server could not start for a reason the operator fixes in the
 * configuration (a port in use, a database that cannot be opened): `main`
 * prints the message as one line, without a stack trace.
 */
export class StartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartError';
  }
}

const withoutCredentials = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');

/** Opens the configured store; a failure names DATABASE_URL (and REDIS_URL when set) instead of showing a driver's stack trace. */
export async function openStoresForServing(config: Config): Promise<Stores> {
  try {
    return await openConfiguredStores(config);
  } catch (error) {
    // A connection refused on every address of a host name arrives as an AggregateError with an empty message.
    const cause = error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
    const reason = (cause instanceof Error ? cause.message || cause.name : String(cause)).split('\n')[0];
    const where = [`DATABASE_URL ${withoutCredentials(config.databaseUrl)}`, ...(config.redisUrl ? [`REDIS_URL ${withoutCredentials(config.redisUrl)}`] : [])].join(', ');
    throw new StartError(`${where}: cannot open: ${reason} (set DATABASE_URL or --db${config.redisUrl ? ', REDIS_URL or --redis' : ''})`);
  }
}

/** One port setting, for the line that explains why it cannot be listened on. */
export interface PortSetting {
  env: string;
  flag: string;
  port: number;
  host: string;
}

export const apiPortSetting = (config: Config): PortSetting => ({ env: 'PORT', flag: 'port', port: config.port, host: config.host });
export const metricsPortSetting = (config: Config): PortSetting => ({ env: 'METRICS_PORT', flag: 'metrics-port', port: config.metricsPort, host: config.metricsHost });

/** A listen error as one line naming the setting to change; other errors pass through unchanged. */
export function explainListenError(error: unknown, setting: PortSetting): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const hostSetting = setting.env === 'PORT' ? 'HOST (--host)' : 'METRICS_HOST (--metrics-host)';
  switch (code) {
    case 'EADDRINUSE':
      return new StartError(`${setting.env} ${setting.port} is in use on ${setting.host} (set ${setting.env} or --${setting.flag})`);
    case 'EACCES':
      return new StartError(`${setting.env} ${setting.port} needs privileges this process does not have (set ${setting.env} or --${setting.flag})`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartError(`${hostSetting} ${setting.host} is not an address of this machine`);
    default:
      return error;
  }
}

/** Resolves when `port` could be listened on a moment ago (the cluster primary checks before forking workers). */
export function checkPortIsFree(setting: PortSetting): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', (error) => reject(explainListenError(error, setting)));
    probe.listen(setting.port, setting.host, () => probe.close(() => resolve()));
  });
}

export async function startServer(config: Config, options: StartServerOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const stores = await openStoresForServing(config);
  let metricsServer: MetricsServer | null = null;
  let housekeeping: { stop(): Promise<void> } | null = null;
  let built: Awaited<ReturnType<typeof buildApp>> | null = null;
  try {
    built = await buildApp({ config, stores, logger });
    const { app, services, ops } = built;
    // Every port is taken before the first start's bootstrap: the administrator's one-time
    // password is printed only by a server that is up, so a failed start prints none and the next one does.
    if (ops.metrics && config.metricsPort !== 0) {
      if (cluster.isWorker) {
        // The primary serves the metrics port and asks each worker for its registry.
        new AggregatorRegistry();
        AggregatorRegistry.setRegistries([ops.metrics.registry]);
      } else {
        metricsServer = await startMetricsServer(ops.metrics, { port: config.metricsPort, host: config.metricsHost, logger }).catch((error) => {
          throw explainListenError(error, metricsPortSetting(config));
        });
      }
    }
    const address = await app.listen({ port: config.port, host: config.host }).catch((error) => {
      throw explainListenError(error, apiPortSetting(config));
    });
    if (options.bootstrap !== false) {
      await bootstrapStore(stores, config, { ...services, out: options.out ?? process.stdout });
      await warnAboutLoginNameConflicts(stores, logger);
    }
    if (sweepsInThisProcess()) housekeeping = startHousekeeping(stores, services.clock, config, logger, { audit: services.audit });
    const worker = cluster.isWorker ? process.env[WORKER_INDEX_ENV] : undefined;
    logger.info({ address, metrics: metricsServer?.url, backend: stores.backend, worker }, 'login-service listening');

    let finishing: Promise<boolean> | undefined;
    const shutdown = (delayMs: number) =>
      (finishing ??= (async () => {
        ops.readiness.shuttingDown = true;
        logger.info({ delayMs, timeoutMs: config.shutdownTimeoutMs }, 'login-service shutting down');
        if (delayMs > 0) await sleep(delayMs);
        let inTime = true;
        const deadline = setTimeout(() => {
          inTime = false;
          logger.warn('shutdown timeout: cutting the connections still open');
          app.server.closeAllConnections();
        }, config.shutdownTimeoutMs);
        try {
          await app.close();
        } finally {
          clearTimeout(deadline);
        }
        await housekeeping?.stop();
        await metricsServer?.close();
        await stores.close();
        logger.info({ inTime }, 'login-service stopped');
        return inTime;
      })());
    return {
      url: address,
      metricsUrl: metricsServer?.url ?? null,
      shutdown: () => shutdown(config.shutdownDelayMs),
      close: async () => {
        await shutdown(0);
      },
    };
  } catch (error) {
    // E.g. the port is taken: release what was opened before reporting it.
    await built?.app.close();
    await housekeeping?.stop();
    await metricsServer?.close();
    await stores.close();
    throw error;
  }
}

/** Resolves with the first SIGTERM or SIGINT; later ones are ignored, so a second Ctrl-C does not kill requests mid-flight. */
export function firstStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (!received) resolve(signal);
      received = true;
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** Serves until SIGTERM or SIGINT, then shuts down gracefully. Exit status 0 when everything finished in time. */
export async function serve(config: Config): Promise<number> {
  const logger = createLogger(config.logLevel);
  // Listening for signals before starting: one that arrives during start is honoured once the server is up.
  const signalled = firstStopSignal();
  const server = await startServer(config, { logger, bootstrap: !cluster.isWorker });
  const signal = await signalled;
  logger.info({ signal }, 'signal received');
  // Backstop: a close that hangs (e.g. a store that never answers) must not keep the process for ever.
  setTimeout(() => {
    logger.error('shutdown did not complete; exiting');
    process.exit(1);
  }, config.shutdownDelayMs + config.shutdownTimeoutMs + 10_000).unref();
  const inTime = await server.shutdown().catch((err) => {
    logger.error({ err }, 'shutdown failed');
    return false;
  });
  // A worker's IPC channel would keep it alive; leaving the cluster lets it exit.
  if (cluster.isWorker && process.connected) process.disconnect();
  return inTime ? 0 : 1;
}
