import type { BearerSession, SessionRecord, SessionStore } from '../../sessions/model.js';
import type { SqliteDatabase } from './database.js';
import type { TurnReads } from './turnReads.js';
import { BearerCache } from './bearerCache.js';
import { BEARER_SESSION_COLUMNS, type BearerSessionValues, type SessionRow, bearerSessionFromValues, toSession } from '../rows.js';

const INSERT_COLUMNS = `id_hash, bearer_hash, csrf_hash, account_id, user_id, login_name, privileges, is_admin, is_lpa,
  app_key, wsuk, created_at, expires_at, ttl_ms, hard_expires_at, client_ip, user_agent, sweep_after`;
const INSERT_VALUES = `@idHash, @bearerHash, @csrfHash, @accountId, @userId, @loginName, @privileges, @isAdmin, @isLPA,
  @appKey, @wsuk, @createdAt, @expiresAt, @ttlMs, @hardExpiresAt, @clientIp, @userAgent, @expiresAt`;

/** The rowid a session is stored at, unless another row holds it: its bearer digest's first 13 hex digits (52 bits). */
export const bearerRowid = (bearerHash: string): number => parseInt(bearerHash.slice(0, 13), 16);

/**
 * Reads `columns` of the session a bearer digest belongs to, as raw values: at
 * its rowid, else through the unique index (the rows stored elsewhere).
 * `+bearer_hash` keeps the planner on the rowid: given the index, it would take that.
 */
function bearerRead(db: SqliteDatabase, columns: string): (rowid: number, bearerHash: string) => unknown {
  const atRowid = db.prepare(`SELECT ${columns} FROM sessions WHERE rowid = ? AND +bearer_hash = ?`).raw();
  const byIndex = db.prepare(`SELECT ${columns} FROM sessions WHERE bearer_hash = ?`).raw();
  return (rowid, bearerHash) => atRowid.get(rowid, bearerHash) ?? byIndex.get(bearerHash);
}

/** A row of the bearer read: BEARER_SESSION_COLUMNS, then id_hash. */
type BearerSessionWithId = [...BearerSessionValues, string];

/** A refresh waiting for the next group commit. */
interface PendingExtension {
  idHash: string;
  expiresAt: number;
  resolve(changed: boolean): void;
  reject(error: unknown): void;
}

/**
 * Sessions in SQLite. The sweep does not use an index on expires_at, which
 * every refresh would have to rewrite: each row also has sweep_after, never
 * above expires_at, set at login and moved only by the sweep (and lowered
 * along with expires_at, should an extension ever shorten a session). The
 * sweep's index on it sees one change per session per lifetime instead of
 * one per refresh.
 *
 * A session's rowid is its bearer digest's first 52 bits (`bearerRowid`),
 * so a bearer check reads one B-tree, the table's, by integer key; through
 * the unique index on bearer_hash it took two descents, the index's with
 * 64-character keys, then the table's by rowid. With a million sessions,
 * whose pages are cold in the CPU's caches, a read took 5.9 µs that way and
 * 4.1 µs by rowid in a loop (docs/BENCHMARKS.md, change 19). The index
 * stays: it keeps bearers unique and finds the few rows whose rowid is not
 * their bearer's, because another row held it (about once in 4.5 billion
 * logins with a million sessions live) or because a previous version
 * inserted them, which it may still do while instances are upgraded one by
 * one. A bearer the table's lookup misses is looked up there too, so one
 * that matches no session costs both reads.
 *
 * Given the connection's TurnReads, the bearer check, refresh and logout
 * read their session in one read transaction per event-loop turn
 * (turnReads.ts), and bearer checks are answered from a BearerCache of
 * `bearerCacheSize` entries (bearerCache.ts; 0: none).
 */
export class SqliteSessionStore implements SessionStore {
  private readonly q;
  private pendingExtensions: PendingExtension[] = [];
  private readonly extendAll;
  private readonly sweep;
  /** Null without a TurnReads, which tells the cache when to let go. */
  readonly bearerCache: BearerCache | null;

  constructor(
    db: SqliteDatabase,
    private readonly turn?: TurnReads,
    bearerCacheSize = 0,
  ) {
    this.extendAll = db.transaction((batch: PendingExtension[]) => batch.map((p) => this.extendOne(p.idHash, p.expiresAt)));
    this.sweep = db.transaction((now: number) => {
      const deleted = this.q.deleteExpired.run({ now }).changes;
      // Sessions refreshed past their sweep_after: raise it, so the next sweeps and counts skip them.
      this.q.raiseSweepAfter.run({ now });
      return deleted;
    });
    this.q = {
      // At the bearer's rowid, unless another row holds it (the only conflict a new session can meet
      // that `insert` would not report too); then `insert` lets SQLite choose.
      insertAtBearerRowid: db.prepare(`INSERT OR IGNORE INTO sessions (rowid, ${INSERT_COLUMNS}) VALUES (@rowid, ${INSERT_VALUES})`),
      insert: db.prepare(`INSERT INTO sessions (${INSERT_COLUMNS}) VALUES (${INSERT_VALUES})`),
      byId: db.prepare('SELECT * FROM sessions WHERE id_hash = ?'),
      byBearer: bearerRead(db, BEARER_SESSION_COLUMNS),
      byBearerWithId: bearerRead(db, `${BEARER_SESSION_COLUMNS}, id_hash`),
      // The common case: the expiry moves later and only the row changes.
      extend: db.prepare('UPDATE sessions SET expires_at = @expiresAt WHERE id_hash = @idHash AND sweep_after <= @expiresAt'),
      extendEarlier: db.prepare('UPDATE sessions SET expires_at = @expiresAt, sweep_after = @expiresAt WHERE id_hash = @idHash'),
      delete: db.prepare('DELETE FROM sessions WHERE id_hash = ?'),
      deleteUser: db.prepare('DELETE FROM sessions WHERE account_id = ? AND user_id = ?'),
      deleteAppKey: db.prepare('DELETE FROM sessions WHERE account_id = ? AND app_key = ?'),
      deleteAccount: db.prepare('DELETE FROM sessions WHERE account_id = ?'),
      listAccount: db.prepare('SELECT * FROM sessions WHERE account_id = ? AND expires_at > ? ORDER BY created_at, id_hash'),
      listUser: db.prepare(
        'SELECT * FROM sessions WHERE account_id = ? AND user_id = ? AND expires_at > ? ORDER BY created_at, id_hash',
      ),
      deleteExpired: db.prepare('DELETE FROM sessions WHERE sweep_after <= @now AND expires_at <= @now'),
      raiseSweepAfter: db.prepare('UPDATE sessions SET sweep_after = expires_at WHERE sweep_after <= @now AND expires_at > @now'),
      // Live = sweep_after in the future (so is expires_at), plus those refreshed past a sweep_after already reached.
      countLive: db.prepare(
        'SELECT (SELECT COUNT(*) FROM sessions WHERE sweep_after > @now) + (SELECT COUNT(*) FROM sessions WHERE sweep_after <= @now AND expires_at > @now) AS n',
      ),
    };
    this.bearerCache = turn && bearerCacheSize > 0 ? new BearerCache(bearerCacheSize) : null;
    if (turn && this.bearerCache) {
      turn.onChange(this.bearerCache.clear);
      // A new session's bearer cannot be cached yet; refresh and logout forget their session first.
      for (const statement of [this.q.insertAtBearerRowid, this.q.insert, this.q.extend, this.q.extendEarlier, this.q.delete]) turn.precise(statement);
    }
  }

  async createSession(s: SessionRecord): Promise<void> {
    const values = {
      ...s,
      rowid: bearerRowid(s.bearerHash),
      privileges: JSON.stringify(s.privileges),
      isAdmin: s.isAdmin ? 1 : 0,
      isLPA: s.isLPA ? 1 : 0,
    };
    if (this.q.insertAtBearerRowid.run(values).changes === 0) this.q.insert.run(values);
  }

  async findSessionById(idHash: string): Promise<SessionRecord | null> {
    this.turn?.enter();
    const row = this.q.byId.get(idHash) as SessionRow | undefined;
    return row ? toSession(row) : null;
  }

  /**
   * Answered at the end of the turn, with the turn's other bearer checks
   * (TurnReads.later): from memory if held, else from the file.
   */
  findSessionByBearer(bearerHash: string): Promise<BearerSession | null> {
    if (this.turn?.enter() !== true) return new Promise((resolve) => resolve(this.readBearer(bearerHash, null)));
    return this.turn.later(() => this.readBearer(bearerHash, this.bearerCache));
  }

  /** The session of a bearer: held in `cache`, else read from the file and kept if the doorkeeper lets it in. */
  private readBearer(bearerHash: string, cache: BearerCache | null): BearerSession | null {
    const cached = cache?.get(bearerHash);
    if (cached !== undefined) return cached;
    const rowid = bearerRowid(bearerHash);
    if (cache?.keeps(bearerHash)) {
      const values = this.q.byBearerWithId(rowid, bearerHash) as BearerSessionWithId | undefined;
      return values ? cache.set(bearerHash, values[10], bearerSessionFromValues(values as unknown as BearerSessionValues)) : null;
    }
    const values = this.q.byBearer(rowid, bearerHash) as BearerSessionValues | undefined;
    return values ? bearerSessionFromValues(values) : null;
  }

  /**
   * Group commit: the refreshes that arrive in one turn of the event loop are
   * written in one transaction at its end (setImmediate), and each promise
   * resolves only once that transaction is committed, so no refresh is
   * answered before it is stored. One commit per batch instead of one per
   * refresh cut a refresh's CPU time by about a third (docs/BENCHMARKS.md).
   */
  extendSession(idHash: string, expiresAt: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      if (this.pendingExtensions.push({ idHash, expiresAt, resolve, reject }) === 1) setImmediate(this.commitExtensions);
    });
  }

  private extendOne(idHash: string, expiresAt: number): boolean {
    const values = { idHash, expiresAt };
    return this.q.extend.run(values).changes > 0 || this.q.extendEarlier.run(values).changes > 0;
  }

  private readonly commitExtensions = (): void => {
    const batch = this.pendingExtensions;
    this.pendingExtensions = [];
    this.forget(batch);
    let changed: boolean[];
    try {
      changed = this.extendAll(batch);
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => p.resolve(changed[i]!));
  };

  async deleteSession(idHash: string): Promise<boolean> {
    this.forget([{ idHash }]);
    return this.q.delete.run(idHash).changes > 0;
  }

  /**
   * Drops the cached bearers of sessions about to be written. The turn's
   * deferred reads run first: read after this, they could keep a session's
   * row as it was before the write.
   */
  private forget(sessions: ReadonlyArray<{ idHash: string }>): void {
    if (!this.bearerCache) return;
    this.turn!.end();
    for (const s of sessions) this.bearerCache.forget(s.idHash);
  }

  async deleteUserSessions(accountId: string, userId: string): Promise<number> {
    return this.q.deleteUser.run(accountId, userId).changes;
  }

  async deleteAppKeySessions(accountId: string, appKey: string): Promise<number> {
    return this.q.deleteAppKey.run(accountId, appKey).changes;
  }

  async deleteAccountSessions(accountId: string): Promise<number> {
    return this.q.deleteAccount.run(accountId).changes;
  }

  async listSessions(accountId: string, now: number, userId?: string): Promise<SessionRecord[]> {
    const rows = (userId === undefined ? this.q.listAccount.all(accountId, now) : this.q.listUser.all(accountId, userId, now)) as SessionRow[];
    return rows.map(toSession);
  }

  async deleteExpiredSessions(now: number): Promise<number> {
    return this.sweep(now);
  }

  async countLiveSessions(now: number): Promise<number> {
    return (this.q.countLive.get({ now }) as { n: number }).n;
  }
}
