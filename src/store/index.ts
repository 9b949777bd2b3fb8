/** Opens the backends the settings name. */
import type { Config } from '../config.js';
import type { Stores } from './stores.js';

export type { Stores } from './stores.js';

export interface OpenStoresOptions {
  databaseUrl: string;
  redisUrl?: string | null;
  /** Apply schema migrations on open (default true). */
  migrate?: boolean;
  /** Prefix for every Redis key, so tests and installations can share one Redis. */
  redisKeyPrefix?: string;
  /** PostgreSQL connections per process. */
  poolSize?: number;
}

/** The stores the settings name: what `serve` and every admin command open. */
export function openConfiguredStores(config: Config): Promise<Stores> {
  return openStores({
    databaseUrl: config.databaseUrl,
    redisUrl: config.redisUrl,
    redisKeyPrefix: config.redisKeyPrefix ?? undefined,
    migrate: config.autoMigrate,
    poolSize: config.databasePoolSize,
  });
}

/** `sqlite:PATH`, `sqlite::memory:` or `postgres://…`; `redisUrl` moves sessions, counters and OAuth grants to Redis. */
export async function openStores(options: OpenStoresOptions): Promise<Stores> {
  const { databaseUrl } = options;
  let stores: Stores;
  if (databaseUrl.startsWith('sqlite:')) {
    const { openSqliteStores } = await import('./sqlite/index.js');
    stores = openSqliteStores(databaseUrl.slice('sqlite:'.length), { migrate: options.migrate });
  } else if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    const { openPostgresStores } = await import('./postgres/index.js');
    stores = await openPostgresStores(databaseUrl, { migrate: options.migrate, maxConnections: options.poolSize });
  } else {
    throw new Error(`unsupported database URL scheme (use sqlite:PATH or postgres://…)`);
  }
  if (options.redisUrl) {
    const { withRedisSessions } = await import('./redis/index.js');
    try {
      stores = await withRedisSessions(stores, options.redisUrl, { keyPrefix: options.redisKeyPrefix });
    } catch (e) {
      await stores.close();
      throw e;
    }
  }
  return stores;
}
