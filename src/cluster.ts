/**
 * `--workers N`: N processes serve one port (Node cluster). The primary
 * migrates and bootstraps the store once, then forks; workers share sessions
 * through the store, whatever the backend.
 */
import cluster from 'node:cluster';
import type { Config } from './config.js';
import { serve } from './serve.js';

export async function serveWithWorkers(config: Config): Promise<number> {
  if (config.workers <= 1 || !cluster.isPrimary) return serve(config);
  const { openStores } = await import('./store/index.js');
  const { bootstrapIfEmpty, firstStartMessage } = await import('./bootstrap.js');
  const { PasswordHasher } = await import('./security/passwords.js');
  const { systemClock } = await import('./clock.js');
  const stores = await openStores({ databaseUrl: config.databaseUrl, redisUrl: config.redisUrl, migrate: config.autoMigrate });
  const first = await bootstrapIfEmpty(stores, systemClock, new PasswordHasher());
  if (first) process.stdout.write(firstStartMessage(first, config));
  await stores.close();

  let stopping = false;
  for (let i = 0; i < config.workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    process.stderr.write(`login-service: worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
    cluster.fork();
  });
  await new Promise<void>((resolve) => {
    const stop = () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      cluster.on('exit', () => {
        if (Object.keys(cluster.workers ?? {}).length === 0) resolve();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}
