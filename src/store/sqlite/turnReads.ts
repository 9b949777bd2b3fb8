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
 *
 * A read may also wait for the end of the turn (`later`; bearer checks do):
 * the turn's deferred reads then run one after another, in its transaction,
 * before it ends, and before any write on the connection that ends it
 * earlier.
 *
 * It also tells whoever keeps reads in memory (bearerCache.ts, through
 * `onChange`) when what they read may have changed: when the connection
 * writes, unless the statement cannot touch a session (`SESSIONS`) or its
 * store has said it forgets what it changes itself (`precise`); and when
 * another connection has committed, which `PRAGMA data_version` shows at the
 * first hot read of a turn.
 */
import type { SqliteDatabase } from './database.js';

type Statement = ReturnType<SqliteDatabase['prepare']>;

interface DeferredRead {
  read: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Statements that name the sessions table. No trigger or foreign key reaches
 * it from another table (test/store/sqlite.test.ts checks the schema), so a
 * write that does not name it leaves every session row as it was.
 */
const SESSIONS = /\bsessions\b/i;

export class TurnReads {
  private readonly begin;
  private readonly commit;
  private readonly dataVersion;
  /** Whether the open transaction, if any, is ours (not one a store opened for a write). */
  private open = false;
  /** `data_version` at the last turn's first hot read; -1 before the first. */
  private version = -1;
  private readonly listeners: Array<() => void> = [];
  private readonly preciseStatements = new WeakSet<Statement>();
  /** Reads deferred to the end of the turn (`later`), in the order asked. */
  private deferred: DeferredRead[] = [];

  constructor(private readonly db: SqliteDatabase) {
    this.begin = db.prepare('BEGIN');
    this.commit = db.prepare('COMMIT');
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
  }

  /**
   * Call before a hot read: opens the turn's transaction unless one is open.
   * True when the read runs in it; false inside a transaction a store opened
   * for a write, whose reads may see what it has not committed yet.
   */
  enter(): boolean {
    if (this.open) return true;
    if (this.db.inTransaction) return false;
    this.begin.run();
    this.open = true;
    setImmediate(this.end);
    if (this.listeners.length > 0) {
      // The first statement of the transaction: it takes the snapshot the turn's reads share.
      const version = this.dataVersion.get() as number;
      if (version !== this.version) {
        this.version = version;
        this.changed();
      }
    }
    return true;
  }

  /**
   * Runs `read` at the end of the turn, in its read transaction, with the
   * turn's other deferred reads one after another, and resolves with what it
   * returns. Call it after `enter()` returned true.
   *
   * Read one at a time between two requests' HTTP work, a B-tree read finds
   * little of SQLite's code and pages left in the CPU's caches; read in a row
   * after the turn's I/O, they cost about what they cost in a loop, and their
   * requests are answered one after another too (docs/BENCHMARKS.md, change
   * 20). Every write on the connection ends the turn first (`turnReadsOn`),
   * so deferred reads never see it: they run before it, as they were asked
   * before it.
   */
  later<T>(read: () => T): Promise<T> {
    if (!this.open) return new Promise((resolve) => resolve(read()));
    return new Promise<T>((resolve, reject) => {
      this.deferred.push({ read, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /**
   * Ends the turn's transaction now, if one is open, so the next read takes a
   * fresh snapshot; its deferred reads run first, in it.
   */
  readonly end = (): void => {
    if (!this.open) return;
    if (this.deferred.length > 0) this.readDeferred();
    this.open = false;
    // A failed statement may have rolled it back already; a closed connection has none.
    if (this.db.open && this.db.inTransaction) this.commit.run();
  };

  private readDeferred(): void {
    const batch = this.deferred;
    this.deferred = [];
    for (const d of batch) {
      try {
        d.resolve(d.read());
      } catch (error) {
        d.reject(error);
      }
    }
  }

  /** Calls `listener` whenever what this connection reads may have changed since. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Writes of `statement` do not count as changes: its store forgets, before
   * each run, what it is about to change (a refresh or logout of one session),
   * or what it writes cannot be in memory yet (a new session).
   */
  precise(statement: Statement): void {
    this.preciseStatements.add(statement);
  }

  /** @internal A write that may touch a session is about to run on the connection (`null`: exec). */
  writing(statement: Statement | null): void {
    this.end();
    if (statement === null || !this.preciseStatements.has(statement)) this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
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
  /** `f`, calling `first` before each call. */
  const before =
    <F extends (...args: never[]) => unknown>(f: F, first: () => void): F =>
    function (this: unknown, ...args: Parameters<F>) {
      first();
      return f.apply(this, args);
    } as F;

  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    const statement = prepare(source);
    if (!statement.readonly) {
      const write = SESSIONS.test(source) ? () => turn.writing(statement) : turn.end;
      for (const method of ['run', 'get', 'all', 'iterate'] as const) {
        (statement as unknown as Record<string, unknown>)[method] = before(statement[method].bind(statement) as never, write);
      }
    }
    return statement;
  }) as typeof db.prepare;

  // A transaction writes through its statements (counted each) or through exec and pragma.
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: (...args: unknown[]) => unknown) => {
    const plain = transaction(fn) as unknown as Transaction;
    const wrapped = before(plain, turn.end) as Transaction;
    for (const variant of ['deferred', 'immediate', 'exclusive'] as const) wrapped[variant] = before(plain[variant], turn.end);
    return wrapped;
  }) as typeof db.transaction;

  db.exec = before(db.exec.bind(db), () => turn.writing(null)) as typeof db.exec;
  // No pragma changes a row; one that names the sessions table is counted as a write to it all the same.
  const pragma = db.pragma.bind(db);
  db.pragma = ((source: string, options?: Parameters<typeof pragma>[1]) => {
    if (SESSIONS.test(source)) turn.writing(null);
    else turn.end();
    return pragma(source, options);
  }) as typeof db.pragma;
}
