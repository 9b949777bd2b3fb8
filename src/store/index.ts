/**
 * The storage of the whole service: one small contract per feature, each
 * declared beside its feature (accounts/model.ts, users/model.ts, …), and
 * backends that implement them all. Routes and logic only ever see `Stores`.
 */
import type { AccountStore } from '../accounts/model.js';
import type { ApiKeyStore, UserStore } from '../users/model.js';
import type { SessionStore } from '../sessions/model.js';
import type { CounterStore } from '../security/counters.js';
import type { EventStore } from '../events/model.js';
import type { DirectoryStore } from '../admin/model.js';
import type { Config } from '../config.js';

export interface Stores {
  /** Names the backends in use, e.g. "sqlite", "postgres", "postgres+redis". */
  backend: string;
  accounts: AccountStore;
  users: UserStore;
  apiKeys: ApiKeyStore;
  sessions: SessionStore;
  counters: CounterStore;
  events: EventStore;
  /** Agent groups, profiles and revisions (SQL only: Redis keeps sessions and counters). */
  directory: DirectoryStore;
  /** Resolves when every backend answers; rejects otherwise (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenStoresOptions {
  databaseUrl: string;
  redisUrl?: string | null;
  /** Apply schema migrations on open (default true). */
  migrate?: boolean;
  /** Prefix for every Redis key, so tests and installations can share one Redis. */
  redisKeyPrefix?: string;
  /** PostgreSQL connections per process. */
  poolSize?: number;
  /** SQLite: bearer checks kept in memory per process (0: none). */
  bearerCacheSize?: number;
}

/** The stores the settings name: what `serve` and every admin command open. */
export function openConfiguredStores(config: Config): Promise<Stores> {
  return openStores({
    databaseUrl: config.databaseUrl,
    redisUrl: config.redisUrl,
    redisKeyPrefix: config.redisKeyPrefix ?? undefined,
    migrate: config.autoMigrate,
    poolSize: config.databasePoolSize,
    bearerCacheSize: config.bearerCacheSize,
  });
}

/** `sqlite:PATH`, `sqlite::memory:` or `postgres://…`; `redisUrl` moves sessions and counters to Redis. */
export async function openStores(options: OpenStoresOptions): Promise<Stores> {
  const { databaseUrl } = options;
  let stores: Stores;
  if (databaseUrl.startsWith('sqlite:')) {
    const { openSqliteStores } = await import('./sqlite/index.js');
    stores = openSqliteStores(databaseUrl.slice('sqlite:'.length), { migrate: options.migrate, bearerCacheSize: options.bearerCacheSize });
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
