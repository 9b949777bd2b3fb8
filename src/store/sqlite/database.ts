/**
 * Opens the SQLite file (or memory database) with the settings a server wants:
 * WAL so readers never wait for the writer, NORMAL sync (durable at checkpoints,
 * safe against corruption), a busy timeout so several worker processes can
 * share one file, and the schema migrated to the newest version.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from './migrations.js';

export type SqliteDatabase = Database.Database;

export function openSqlite(path: string, options: { migrate?: boolean } = {}): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  if (options.migrate !== false) migrateSqlite(db);
  return db;
}

/** Applies every migration newer than the file's version, each in its own transaction. Returns how many ran. */
export function migrateSqlite(db: SqliteDatabase): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  let applied = 0;
  for (const [index, sql] of SQLITE_MIGRATIONS.entries()) {
    const version = index + 1;
    // IMMEDIATE takes the write lock first, so processes starting together migrate one at a time.
    const step = db.transaction(() => {
      const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(version);
      if (done) return false;
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, Date.now());
      return true;
    });
    if (step.immediate()) applied++;
  }
  return applied;
}

export function sqliteSchemaVersion(db: SqliteDatabase): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}
