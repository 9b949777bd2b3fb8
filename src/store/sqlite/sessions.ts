import type { BearerSession, SessionRecord, SessionStore } from '../../sessions/model.js';
import type { SqliteDatabase } from './database.js';
import { BEARER_SESSION_COLUMNS, type BearerSessionValues, type SessionRow, bearerSessionFromValues, toSession } from '../rows.js';

const INSERT_COLUMNS = `id_hash, bearer_hash, csrf_hash, account_id, user_id, login_name, privileges, is_admin, is_lpa,
  app_key, amr, wsuk, created_at, expires_at, ttl_ms, hard_expires_at, client_ip, user_agent, sweep_after`;
const INSERT_VALUES = `@idHash, @bearerHash, @csrfHash, @accountId, @userId, @loginName, @privileges, @isAdmin, @isLPA,
  @appKey, @amr, @wsuk, @createdAt, @expiresAt, @ttlMs, @hardExpiresAt, @clientIp, @userAgent, @expiresAt`;

/**
 * Sessions in SQLite. A bearer check reads its session through the unique
 * index on bearer_hash; refresh and logout through the primary key.
 *
 * The sweep does not use an index on expires_at, which every refresh would
 * have to rewrite: each row also has sweep_after, never above expires_at,
 * set at login and moved only by the sweep (and lowered along with
 * expires_at, should an extension ever shorten a session). The sweep's index
 * on it sees one change per session per lifetime instead of one per refresh.
 */
export class SqliteSessionStore implements SessionStore {
  private readonly q;
  private readonly sweep;

  constructor(private readonly db: SqliteDatabase) {
    this.q = {
      insert: db.prepare(`INSERT INTO sessions (${INSERT_COLUMNS}) VALUES (${INSERT_VALUES})`),
      byId: db.prepare('SELECT * FROM sessions WHERE id_hash = ?'),
      byBearer: db.prepare(`SELECT ${BEARER_SESSION_COLUMNS} FROM sessions WHERE bearer_hash = ?`).raw(),
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
    this.sweep = db.transaction((now: number) => {
      const deleted = this.q.deleteExpired.run({ now }).changes;
      // Sessions refreshed past their sweep_after: raise it, so the next sweeps and counts skip them.
      this.q.raiseSweepAfter.run({ now });
      return deleted;
    });
  }

  async createSession(s: SessionRecord): Promise<void> {
    this.q.insert.run({
      ...s,
      privileges: JSON.stringify(s.privileges),
      isAdmin: s.isAdmin ? 1 : 0,
      isLPA: s.isLPA ? 1 : 0,
      amr: JSON.stringify(s.amr),
    });
  }

  async findSessionById(idHash: string): Promise<SessionRecord | null> {
    const row = this.q.byId.get(idHash) as SessionRow | undefined;
    return row ? toSession(row) : null;
  }

  /**
   * Bearer checks, the most frequent request, are read together at the end
   * of the turn (SqliteDatabase.readAtEndOfTurn).
   */
  findSessionByBearer(bearerHash: string): Promise<BearerSession | null> {
    return this.db.readAtEndOfTurn(() => {
      const values = this.q.byBearer.get(bearerHash) as BearerSessionValues | undefined;
      return values ? bearerSessionFromValues(values) : null;
    });
  }

  /**
   * Refreshes come many at a time, each a one-row write: they share a commit
   * with the turn's other refreshes (SqliteDatabase.atEndOfTurn), and each
   * resolves once its write is committed.
   */
  extendSession(idHash: string, expiresAt: number): Promise<boolean> {
    return this.db.atEndOfTurn(() => {
      const values = { idHash, expiresAt };
      return this.q.extend.run(values).changes > 0 || this.q.extendEarlier.run(values).changes > 0;
    });
  }

  async deleteSession(idHash: string): Promise<boolean> {
    return this.q.delete.run(idHash).changes > 0;
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
