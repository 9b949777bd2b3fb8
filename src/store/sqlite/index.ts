import type { Stores } from '../index.js';
import { openSqlite } from './database.js';
import { SqliteAccountStore } from './accounts.js';
import { SqliteApiKeyStore, SqliteUserStore } from './users.js';
import { SqliteSessionStore } from './sessions.js';
import { SqliteCounterStore } from './counters.js';
import { SqliteEventStore } from './events.js';
import { SqliteDirectoryStore } from './directory.js';
import { turnReadsOn } from './turnReads.js';
import { DEFAULT_BEARER_CACHE_SIZE } from './bearerCache.js';

export interface SqliteStoresOptions {
  migrate?: boolean;
  /** Bearer checks kept in memory (bearerCache.ts); 0 reads every one from the file. */
  bearerCacheSize?: number;
}

export function openSqliteStores(path: string, options: SqliteStoresOptions = {}): Stores {
  const db = openSqlite(path, options);
  const turn = turnReadsOn(db);
  return {
    backend: 'sqlite',
    accounts: new SqliteAccountStore(db),
    users: new SqliteUserStore(db),
    apiKeys: new SqliteApiKeyStore(db),
    sessions: new SqliteSessionStore(db, turn, options.bearerCacheSize ?? DEFAULT_BEARER_CACHE_SIZE),
    counters: new SqliteCounterStore(db),
    events: new SqliteEventStore(db),
    directory: new SqliteDirectoryStore(db),
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (!db.open) return;
      turn.end(); // reads deferred to the end of the turn are answered first
      db.close();
    },
  };
}
