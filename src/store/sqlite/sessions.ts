import type { BearerSession, SessionRecord, SessionStore } from '../../sessions/model.js';
import type { SqliteDatabase } from './database.js';
import { BEARER_SESSION_COLUMNS, type BearerSessionValues, type SessionRow, bearerSessionFromValues, toSession } from '../rows.js';

/** A refresh waiting for the next group commit. */
interface PendingExtension {
  idHash: string;
  expiresAt: number;
  resolve(changed: boolean): void;
  reject(error: unknown): void;
}

export class SqliteSessionStore implements SessionStore {
  private readonly q;
  private pendingExtensions: PendingExtension[] = [];
  private readonly extendAll;

  constructor(db: SqliteDatabase) {
    this.extendAll = db.transaction((batch: PendingExtension[]) => batch.map((p) => this.q.extend.run(p.expiresAt, p.idHash).changes > 0));
    this.q = {
      insert: db.prepare(
        `INSERT INTO sessions (id_hash, bearer_hash, csrf_hash, account_id, user_id, login_name, privileges, is_admin, is_lpa,
           app_key, wsuk, created_at, expires_at, ttl_ms, hard_expires_at, client_ip, user_agent)
         VALUES (@idHash, @bearerHash, @csrfHash, @accountId, @userId, @loginName, @privileges, @isAdmin, @isLPA,
           @appKey, @wsuk, @createdAt, @expiresAt, @ttlMs, @hardExpiresAt, @clientIp, @userAgent)`,
      ),
      byId: db.prepare('SELECT * FROM sessions WHERE id_hash = ?'),
      byBearer: db.prepare(`SELECT ${BEARER_SESSION_COLUMNS} FROM sessions WHERE bearer_hash = ?`).raw(),
      extend: db.prepare('UPDATE sessions SET expires_at = ? WHERE id_hash = ?'),
      delete: db.prepare('DELETE FROM sessions WHERE id_hash = ?'),
      deleteUser: db.prepare('DELETE FROM sessions WHERE account_id = ? AND user_id = ?'),
      deleteAppKey: db.prepare('DELETE FROM sessions WHERE account_id = ? AND app_key = ?'),
      deleteAccount: db.prepare('DELETE FROM sessions WHERE account_id = ?'),
      listAccount: db.prepare('SELECT * FROM sessions WHERE account_id = ? AND expires_at > ? ORDER BY created_at, id_hash'),
      listUser: db.prepare(
        'SELECT * FROM sessions WHERE account_id = ? AND user_id = ? AND expires_at > ? ORDER BY created_at, id_hash',
      ),
      deleteExpired: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
      countLive: db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE expires_at > ?'),
    };
  }

  async createSession(s: SessionRecord): Promise<void> {
    this.q.insert.run({
      ...s,
      privileges: JSON.stringify(s.privileges),
      isAdmin: s.isAdmin ? 1 : 0,
      isLPA: s.isLPA ? 1 : 0,
    });
  }

  async findSessionById(idHash: string): Promise<SessionRecord | null> {
    const row = this.q.byId.get(idHash) as SessionRow | undefined;
    return row ? toSession(row) : null;
  }

  async findSessionByBearer(bearerHash: string): Promise<BearerSession | null> {
    const values = this.q.byBearer.get(bearerHash) as BearerSessionValues | undefined;
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

  private readonly commitExtensions = (): void => {
    const batch = this.pendingExtensions;
    this.pendingExtensions = [];
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
    return this.q.deleteExpired.run(now).changes;
  }

  async countLiveSessions(now: number): Promise<number> {
    return (this.q.countLive.get(now) as { n: number }).n;
  }
}
