/**
 * Opens the SQLite file (or memory database) with the settings a server wants:
 * WAL so readers never wait for the writer, NORMAL sync (durable at checkpoints,
 * safe against corruption), a busy timeout so several worker processes can
 * share one file, a page cache sized for random reads, and the schema migrated
 * to the newest version.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from './migrations.js';

export type SqliteDatabase = Database.Database;

/**
 * SQLite's page cache per connection, in KiB (SQLite's default is 2 MiB).
 * Since reads go through a memory map of the file (SQLITE_MMAP_BYTES), it
 * holds only the pages this connection wrote or read from the WAL, and every
 * page a read needs is looked up in it first. A million-session store under
 * refreshes filled a 64 MiB cache (change 10, chosen before the memory map)
 * with the pages each refresh wrote, and its lookups and recycling became a
 * cost of every read (pcache1Fetch 4.6% of the event loop's profile, 1.2%
 * at 10,000 sessions). 8 MiB, in alternating A/B runs at 1,000,000
 * sessions: refresh 72.3 → 67.5 µs of server CPU, bearer check (after
 * refreshes) 48.1 → 44.1 µs, about as much as identical servers differ at
 * that size; at 10,000 and 100,000 sessions no change; 56 MiB less per
 * serving process (docs/BENCHMARKS.md, change 18). Pages are taken as they
 * are needed, up to this.
 */
export const SQLITE_CACHE_KIB = 8192;

/**
 * Reads through a memory map of the database file, up to this many bytes
 * (SQLite caps it at 2 GiB, `SQLITE_MAX_MMAP_SIZE`; the rest of a larger file
 * is read as before). A read then touches the mapped page instead of copying
 * it into the page cache with a system call. In alternating A/B runs at
 * 1,000,000 sessions (a 556 MB file): bearer check 32,900 → 38,000/s, 29.2 →
 * 24.9 µs of server CPU; refresh 18,900 → 20,200/s; at 10,000 sessions no
 * change (docs/BENCHMARKS.md, change 13). The mapped pages are the kernel's
 * page cache, shared by every process on the file (`serve --workers`), not
 * memory of each process. Writes still go through the WAL.
 */
export const SQLITE_MMAP_BYTES = 2 ** 31;

export function openSqlite(path: string, options: { migrate?: boolean } = {}): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  if (path !== ':memory:') {
    db.pragma(`mmap_size = ${SQLITE_MMAP_BYTES}`);
    checkpointInBackground(db, path);
  }
  if (options.migrate !== false) migrateSqlite(db);
  return db;
}

/**
 * The WAL size, in 4 KiB frames (64 MiB), past which the checkpoint thread
 * asks the serving connection to let the WAL start over.
 */
export const WAL_RESTART_FRAMES = 16384;

// Plain JavaScript, evaluated in the thread. A connection per checkpoint, so none is left open when the store closes.
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
setInterval(() => {
  try {
    const db = new Database(workerData.path, { fileMustExist: true });
    try {
      db.pragma('busy_timeout = 1000');
      const [result] = db.pragma('wal_checkpoint(PASSIVE)');
      if (result.log >= workerData.restartFrames) parentPort.postMessage(result);
    } finally {
      db.close();
    }
  } catch {}
}, workerData.intervalMs);
`;

/**
 * Checkpoints (copying the WAL back into the database file, with an fsync)
 * run every 200 ms on a thread of their own, so they never stall the event
 * loop: inline, under a login storm, single statements took up to ~40 ms and
 * set the refresh p99 (docs/BENCHMARKS.md).
 *
 * The WAL starts over from its beginning only when a write finds every frame
 * copied back. Beside writes that never pause, which a large store under
 * refreshes sees, the thread's checkpoints always leave the frames written
 * during their copy, and only the serving connection's automatic checkpoint
 * used to restart the WAL: at 16,384 frames, with fsyncs of up to ~160 ms on
 * the event loop at a million sessions. Now, once the WAL passes
 * WAL_RESTART_FRAMES, the thread, having just copied all but the newest
 * frames, asks the serving connection to copy those between two of its
 * writes (tens of pages; 55–100 ms on a virtual disk, most of it the
 * fsyncs), after which its next write restarts the WAL. Refreshes at a
 * million sessions, alternating A/B: 0.557 → 0.603 of the bare route, 120 →
 * 106 µs of server CPU each (docs/BENCHMARKS.md, change 16). The automatic
 * checkpoint stays, at four times the size, should the thread fall behind.
 */
function checkpointInBackground(db: SqliteDatabase, path: string): void {
  db.pragma(`wal_autocheckpoint = ${4 * WAL_RESTART_FRAMES}`);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(CHECKPOINTER_SOURCE, {
    eval: true,
    execArgv: [],
    workerData: { driver, path, intervalMs: 200, restartFrames: WAL_RESTART_FRAMES },
  });
  worker.on('error', () => {}); // the serving connection's own checkpoints remain
  worker.on('message', () => {
    handOverCheckpoint(db);
  });
  worker.unref(); // after the listener, which would otherwise keep the process alive
  const close = db.close.bind(db);
  db.close = () => {
    void worker.terminate();
    return close();
  };
}

/**
 * The serving connection's part of the WAL's restart (checkpointInBackground):
 * a passive checkpoint of the frames the thread left. `db.pragma` as it is
 * when the message comes: once the stores are open, the turn's reads
 * (turnReads.ts) wrap it to end their transaction first. A checkpoint changes
 * no row, so the bearers held in memory stay (until change 18 every pragma
 * emptied that cache, and so did every handover, every few seconds under
 * steady refreshes of a large store).
 */
export function handOverCheckpoint(db: SqliteDatabase): { busy: number; log: number; checkpointed: number } | null {
  if (!db.open) return null;
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    return result!;
  } catch {
    // Busy: the next handover, or the automatic checkpoint, does it.
    return null;
  }
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
      if (typeof sql === 'string') db.exec(sql);
      else sql(db);
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
