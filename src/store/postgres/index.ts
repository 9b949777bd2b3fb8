/**
 * The PostgreSQL backend: every contract over one connection pool, for
 * installations that run several instances against one database.
 */
import type { Stores } from '../stores.js';
import { createPostgresPool, migratePostgresPool } from './database.js';
import { PostgresAccountStore } from './accounts.js';
import { PostgresApiKeyStore, PostgresUserStore } from './users.js';
import { PostgresSessionStore } from './sessions.js';
import { PostgresCounterStore } from './counters.js';
import { PostgresEventStore } from './events.js';
import { PostgresDirectoryStore } from './directory.js';
import { PostgresOAuthGrantStore, PostgresSigningKeyStore } from './oauth.js';
import { PostgresFactorStore } from './factors.js';

export { migratePostgres } from './database.js';

export interface PostgresStoresOptions {
  /** Apply schema migrations on open (default true). */
  migrate?: boolean;
  /** Most connections this process holds (default 10). */
  maxConnections?: number;
}

export async function openPostgresStores(url: string, options: PostgresStoresOptions = {}): Promise<Stores> {
  const pool = createPostgresPool(url, { max: options.maxConnections });
  try {
    if (options.migrate !== false) await migratePostgresPool(pool);
    else await pool.query('SELECT 1');
  } catch (e) {
    await pool.end();
    throw e;
  }
  let closed = false;
  return {
    backend: 'postgres',
    accounts: new PostgresAccountStore(pool),
    users: new PostgresUserStore(pool),
    apiKeys: new PostgresApiKeyStore(pool),
    sessions: new PostgresSessionStore(pool),
    counters: new PostgresCounterStore(pool),
    events: new PostgresEventStore(pool),
    directory: new PostgresDirectoryStore(pool),
    oauth: new PostgresOAuthGrantStore(pool),
    signingKeys: new PostgresSigningKeyStore(pool),
    factors: new PostgresFactorStore(pool),
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
