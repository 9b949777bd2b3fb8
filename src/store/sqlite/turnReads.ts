/**
 * Hot reads that share one read transaction per turn of the event loop.
 *
 * Outside a transaction every SQLite statement opens and closes a read
 * transaction of its own. In WAL mode that is two fcntl calls on the shared
 * memory file (take and drop a read mark) and, while the WAL is empty, an
 * fstat of the database file: about 8 µs of a 10 µs bearer lookup on a
 * virtual machine, against 2.4 µs for the same lookup inside a transaction
 * (docs/BENCHMARKS.md). Under load one turn of the event loop serves many
 * requests, so their reads can share one.
 *
 * The transaction opens at the first hot read of a turn and ends in
 * setImmediate, after every I/O callback of the turn, or earlier: every write
 * on the connection ends it first (`turnReadsOn` sets that up), so a write
 * never joins it, and this process reads its own writes at once. Another
 * process's commit (`serve --workers`, the CLI) is read from the next turn:
 * a read sees every change committed before its turn's first hot read.
 */
import type { SqliteDatabase } from './database.js';

export class TurnReads {
  private readonly begin;
  private readonly commit;
  /** Whether the open transaction, if any, is ours (not one a store opened for a write). */
  private open = false;

  constructor(private readonly db: SqliteDatabase) {
    this.begin = db.prepare('BEGIN');
    this.commit = db.prepare('COMMIT');
  }

  /** Call before a hot read: opens the turn's transaction unless one is open. */
  enter(): void {
    if (this.open || this.db.inTransaction) return;
    this.begin.run();
    this.open = true;
    setImmediate(this.end);
  }

  /** Ends the turn's transaction now, if one is open, so the next read takes a fresh snapshot. */
  readonly end = (): void => {
    if (!this.open) return;
    this.open = false;
    // A failed statement may have rolled it back already; a closed connection has none.
    if (this.db.open && this.db.inTransaction) this.commit.run();
  };
}

/**
 * The connection's TurnReads, with every statement that may write, and every
 * transaction, exec and pragma, made to end the turn's read transaction before
 * it runs on `db`. Call it before the stores prepare their statements.
 */
export function turnReadsOn(db: SqliteDatabase): TurnReads {
  const turn = new TurnReads(db);
  endBeforeWrites(db, turn);
  return turn;
}

type Transaction = ((...args: unknown[]) => unknown) & Record<'deferred' | 'immediate' | 'exclusive', (...args: unknown[]) => unknown>;

function endBeforeWrites(db: SqliteDatabase, turn: TurnReads): void {
  const before =
    <F extends (...args: never[]) => unknown>(f: F): F =>
    function (this: unknown, ...args: Parameters<F>) {
      turn.end();
      return f.apply(this, args);
    } as F;

  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    const statement = prepare(source);
    if (!statement.readonly) {
      for (const method of ['run', 'get', 'all', 'iterate'] as const) {
        (statement as unknown as Record<string, unknown>)[method] = before(statement[method].bind(statement) as never);
      }
    }
    return statement;
  }) as typeof db.prepare;

  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: (...args: unknown[]) => unknown) => {
    const plain = transaction(fn) as unknown as Transaction;
    const wrapped = before(plain) as Transaction;
    for (const variant of ['deferred', 'immediate', 'exclusive'] as const) wrapped[variant] = before(plain[variant]);
    return wrapped;
  }) as typeof db.transaction;

  db.exec = before(db.exec.bind(db)) as typeof db.exec;
  db.pragma = before(db.pragma.bind(db)) as typeof db.pragma;
}
