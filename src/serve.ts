/**
 * `login-service serve`: opens the store, bootstraps an empty one, listens,
 * sweeps expired data, and shuts down gracefully on SIGTERM/SIGINT (stop
 * accepting, finish in-flight requests, close the store).
 */
import { buildApp } from './app.js';
import { bootstrapIfEmpty, firstStartMessage } from './bootstrap.js';
import type { Config } from './config.js';
import { createLogger } from './logger.js';
import { openStores } from './store/index.js';
import { startHousekeeping } from './housekeeping.js';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, options: { bootstrap?: boolean; out?: NodeJS.WritableStream } = {}): Promise<RunningServer> {
  const logger = createLogger(config.logLevel);
  const stores = await openStores({ databaseUrl: config.databaseUrl, redisUrl: config.redisUrl, migrate: config.autoMigrate });
  const { app, services } = await buildApp({ config, stores, logger });
  if (options.bootstrap !== false) {
    const first = await bootstrapIfEmpty(stores, services.clock, services.hasher);
    if (first) (options.out ?? process.stdout).write(firstStartMessage(first, config));
  }
  const housekeeping = startHousekeeping(stores, services.clock, config, logger);
  const address = await app.listen({ port: config.port, host: config.host });
  logger.info({ address, backend: stores.backend }, 'login-service listening');
  let closing: Promise<void> | undefined;
  return {
    url: address,
    close: () =>
      (closing ??= (async () => {
        housekeeping.stop();
        await app.close();
        await stores.close();
        logger.info('login-service stopped');
      })()),
  };
}

export async function serve(config: Config): Promise<number> {
  const server = await startServer(config);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      server.close().then(resolve, resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  return 0;
}
