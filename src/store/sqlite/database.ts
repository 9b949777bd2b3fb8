/**
 * The SQLite connection every SQLite store of a process shares, as an
 * explicit object: statements, transactions, and reads and writes batched
 * to the end of the event loop's turn (a shared read transaction, a group
 * commit). Opened with the settings a server
 * wants: WAL so readers never wait for the writer, NORMAL sync (durable at
 * checkpoints, safe against corruption), a busy timeout so several processes
 * can share one file, checkpoints on a thread of their own (checkpointer.ts),
 * and the schema migrated to the newest version.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { WAL_RESTART_FRAMES, startCheckpointer } from './checkpointer.js';

export type SqliteStatement = Database.Statement;

/**
 * SQLite's page cache per connection, in KiB (SQLite's default is 2 MiB).
 * Reads go through the memory map (SQLITE_MMAP_BYTES), so it holds only the
 * pages this connection wrote or read from the WAL; a larger one made every
 * read's page lookup dearer on a large store for no gain
 * (docs/decisions/sqlite-store.md). Pages are taken as needed, up to this.
 */
export const SQLITE_CACHE_KIB = 8192;

/**
 * Reads go through a memory map of the database file, up to this many bytes
 * (SQLite's own cap, `SQLITE_MAX_MMAP_SIZE`; the rest of a larger file is read
 * with system calls). A read then touches the mapped page instead of copying
 * it. The mapped pages are the kernel's page cache, shared by every process on
 * the file (`serve --workers`), not memory of each process. Writes still go
 * through the WAL.
 */
export const SQLITE_MMAP_BYTES = 2 ** 31;

interface Pending {
  run(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class SqliteDatabase {
  private readonly db: Database.Database;
  private stopCheckpointer: (() => void) | null = null;
  /** Reads and writes waiting for the end of the turn (`readAtEndOfTurn`, `atEndOfTurn`), each in the order asked. */
  private reads: Pending[] = [];
  private writes: Pending[] = [];
  private turnEndScheduled = false;
  private readonly commitBatch: (batch: Pending[]) => unknown[];
  private readonly begin;
  private readonly commit;

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
    if (path !== ':memory:') {
      this.db.pragma(`mmap_size = ${SQLITE_MMAP_BYTES}`);
      this.db.pragma(`wal_autocheckpoint = ${4 * WAL_RESTART_FRAMES}`);
      try {
        this.stopCheckpointer = startCheckpointer(path, () => this.handOverCheckpoint());
      } catch (error) {
        this.db.close();
        throw error;
      }
    }
    this.commitBatch = this.transaction((batch: Pending[]) => batch.map((p) => p.run()));
    this.begin = this.db.prepare('BEGIN');
    this.commit = this.db.prepare('COMMIT');
  }

  get open(): boolean {
    return this.db.open;
  }

  /** A prepared statement; prepare once and run it many times. */
  prepare(sql: string): SqliteStatement {
    return this.db.prepare(sql);
  }

  /**
   * `fn` as a transaction: it commits when `fn` returns and rolls back when it
   * throws. It takes the write lock at its start (BEGIN IMMEDIATE): a
   * transaction that read first and wrote later could fail at once with
   * SQLITE_BUSY when another process has written in between, where waiting
   * for the lock (busy_timeout) is what it should do. Called inside another
   * transaction it is a savepoint of that one.
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    const transaction = this.db.transaction(fn);
    return (...args: A) => transaction.immediate(...args) as R;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  /** The pragma's rows, or with `simple` the first column of the first row. */
  pragma(source: string, options?: { simple?: boolean }): unknown {
    return this.db.pragma(source, options);
  }

  /**
   * Group commit: runs `write` at the end of this turn of the event loop
   * (setImmediate), in one transaction with the turn's other such writes, in
   * the order asked, and resolves with what it returned once that transaction
   * has committed, never before. Writes arriving together then share one
   * commit instead of paying one each.
   *
   * For writes the caller can wait for and whose outcome does not depend on
   * the order against the turn's other writes: anything written directly in
   * the meantime commits first. If the batch fails, nothing of it is kept and
   * every one of its writes is rejected with the error.
   */
  atEndOfTurn<T>(write: () => T): Promise<T> {
    return this.defer(this.writes, write);
  }

  /**
   * Runs `read` at the end of this turn of the event loop, with the turn's
   * other such reads one after another in one read transaction (before the
   * turn's batched writes), and resolves with what it returned.
   *
   * Outside a transaction every statement opens and ends a read transaction
   * of its own, with system calls on the WAL's shared memory each time; and a
   * read made between two requests' HTTP work finds little of SQLite's code
   * and pages left in the CPU's caches. Read in a row, a turn's reads pay
   * neither (docs/decisions/sqlite-store.md). The read sees every commit
   * made before the end of the turn, its caller's own writes included.
   */
  readAtEndOfTurn<T>(read: () => T): Promise<T> {
    return this.defer(this.reads, read);
  }

  private defer<T>(queue: Pending[], run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
      if (!this.turnEndScheduled) {
        this.turnEndScheduled = true;
        setImmediate(this.endTurn);
      }
    });
  }

  private readonly endTurn = (): void => {
    this.turnEndScheduled = false;
    const reads = this.reads;
    const writes = this.writes;
    this.reads = [];
    this.writes = [];
    if (reads.length > 0) this.readInOneTransaction(reads);
    if (writes.length > 0) this.commitWrites(writes);
  };

  private readInOneTransaction(batch: Pending[]): void {
    // Inside a transaction someone else opened (never across a turn in this code), the reads join it.
    const own = !this.db.inTransaction;
    if (own) this.begin.run();
    try {
      for (const p of batch) {
        try {
          p.resolve(p.run());
        } catch (error) {
          p.reject(error);
        }
      }
    } finally {
      // A failed statement may have ended the transaction already.
      if (own && this.db.inTransaction) this.commit.run();
    }
  }

  private commitWrites(batch: Pending[]): void {
    let results: unknown[];
    try {
      results = this.commitBatch(batch);
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => p.resolve(results[i]));
  }

  /**
   * The serving connection's part of the WAL's restart (checkpointer.ts): a
   * passive checkpoint of the frames the thread left. Null when the
   * connection is closed or busy; the next handover, or the automatic
   * checkpoint, does it then.
   */
  handOverCheckpoint(): { busy: number; log: number; checkpointed: number } | null {
    if (!this.db.open) return null;
    try {
      const [result] = this.db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
      return result!;
    } catch {
      return null;
    }
  }

  /** Answers the reads and commits the writes waiting for the end of the turn, then closes. */
  close(): void {
    if (!this.db.open) return;
    this.endTurn();
    this.stopCheckpointer?.();
    this.db.close();
  }
}

export function openSqlite(path: string, options: { migrate?: boolean } = {}): SqliteDatabase {
  const db = new SqliteDatabase(path);
  try {
    if (options.migrate !== false) migrateSqlite(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Applies every migration newer than the file's version, each in its own transaction. Returns how many ran. */
export function migrateSqlite(db: SqliteDatabase): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  let applied = 0;
  for (const [index, sql] of SQLITE_MIGRATIONS.entries()) {
    const version = index + 1;
    // The write lock first (an immediate transaction), so processes starting together migrate one at a time.
    const step = db.transaction(() => {
      const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(version);
      if (done) return false;
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, Date.now());
      return true;
    });
    if (step()) applied++;
  }
  return applied;
}

export function sqliteSchemaVersion(db: SqliteDatabase): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}
