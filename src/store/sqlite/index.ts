import type { Stores } from '../stores.js';
import { openSqlite } from './database.js';
import { SqliteAccountStore } from './accounts.js';
import { SqliteApiKeyStore, SqliteUserStore } from './users.js';
import { SqliteSessionStore } from './sessions.js';
import { SqliteCounterStore } from './counters.js';
import { SqliteEventStore } from './events.js';
import { SqliteDirectoryStore } from './directory.js';
import { SqliteOAuthGrantStore, SqliteSigningKeyStore } from './oauth.js';
import { SqliteFactorStore } from './factors.js';

export interface SqliteStoresOptions {
  migrate?: boolean;
}

/** Every store on one connection (SqliteDatabase) to the file at `path`, or in memory (`:memory:`). */
export function openSqliteStores(path: string, options: SqliteStoresOptions = {}): Stores {
  const db = openSqlite(path, options);
  return {
    backend: 'sqlite',
    accounts: new SqliteAccountStore(db),
    users: new SqliteUserStore(db),
    apiKeys: new SqliteApiKeyStore(db),
    sessions: new SqliteSessionStore(db),
    counters: new SqliteCounterStore(db),
    events: new SqliteEventStore(db),
    directory: new SqliteDirectoryStore(db),
    oauth: new SqliteOAuthGrantStore(db),
    signingKeys: new SqliteSigningKeyStore(db),
    factors: new SqliteFactorStore(db),
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      db.close(); // commits the writes waiting for the end of the turn first
    },
  };
}
