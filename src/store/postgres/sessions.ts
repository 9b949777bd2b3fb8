import type pg from 'pg';
import type { BearerSession, SessionRecord, SessionStore } from '../../sessions/model.js';
import { BEARER_SESSION_COLUMNS, type BearerSessionValues, type SessionRow, bearerSessionFromValues, toSession } from '../rows.js';

const affected = (r: pg.QueryResult) => r.rowCount ?? 0;

/**
 * Every query is a named (prepared) statement: after its first use on a
 * connection, the bearer check and the refresh are one Bind/Execute round trip
 * on a plan PostgreSQL already has.
 */
export class PostgresSessionStore implements SessionStore {
  constructor(private readonly pool: pg.Pool) {}

  async createSession(s: SessionRecord): Promise<void> {
    await this.pool.query({
      name: 'sessions.insert',
      text: `INSERT INTO sessions (id_hash, bearer_hash, csrf_hash, account_id, user_id, login_name, privileges, is_admin, is_lpa,
               app_key, wsuk, created_at, expires_at, ttl_ms, hard_expires_at, client_ip, user_agent, sweep_after, amr)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $13, $18)`,
      values: [
        s.idHash, s.bearerHash, s.csrfHash, s.accountId, s.userId, s.loginName, JSON.stringify(s.privileges), s.isAdmin, s.isLPA,
        s.appKey, s.wsuk, s.createdAt, s.expiresAt, s.ttlMs, s.hardExpiresAt, s.clientIp, s.userAgent, JSON.stringify(s.amr),
      ],
    });
  }

  async findSessionById(idHash: string): Promise<SessionRecord | null> {
    const { rows } = await this.pool.query<SessionRow>({ name: 'sessions.byId', text: 'SELECT * FROM sessions WHERE id_hash = $1', values: [idHash] });
    return rows[0] ? toSession(rows[0]) : null;
  }

  async findSessionByBearer(bearerHash: string): Promise<BearerSession | null> {
    const { rows } = await this.pool.query<BearerSessionValues>({
      name: 'sessions.byBearer',
      text: `SELECT ${BEARER_SESSION_COLUMNS} FROM sessions WHERE bearer_hash = $1`,
      values: [bearerHash],
      rowMode: 'array',
    });
    return rows[0] ? bearerSessionFromValues(rows[0]) : null;
  }

  async extendSession(idHash: string, expiresAt: number): Promise<boolean> {
    // sweep_after keeps its value unless the new expiry is earlier, so the update touches no indexed column (HOT).
    const r = await this.pool.query({
      name: 'sessions.extend',
      text: 'UPDATE sessions SET expires_at = $2, sweep_after = LEAST(sweep_after, $2) WHERE id_hash = $1',
      values: [idHash, expiresAt],
    });
    return affected(r) > 0;
  }

  async deleteSession(idHash: string): Promise<boolean> {
    const r = await this.pool.query({ name: 'sessions.delete', text: 'DELETE FROM sessions WHERE id_hash = $1', values: [idHash] });
    return affected(r) > 0;
  }

  async deleteUserSessions(accountId: string, userId: string): Promise<number> {
    return affected(
      await this.pool.query({
        name: 'sessions.deleteUser',
        text: 'DELETE FROM sessions WHERE account_id = $1 AND user_id = $2',
        values: [accountId, userId],
      }),
    );
  }

  async deleteAppKeySessions(accountId: string, appKey: string): Promise<number> {
    return affected(
      await this.pool.query({
        name: 'sessions.deleteAppKey',
        text: 'DELETE FROM sessions WHERE account_id = $1 AND app_key = $2',
        values: [accountId, appKey],
      }),
    );
  }

  async deleteAccountSessions(accountId: string): Promise<number> {
    return affected(await this.pool.query({ name: 'sessions.deleteAccount', text: 'DELETE FROM sessions WHERE account_id = $1', values: [accountId] }));
  }

  async listSessions(accountId: string, now: number, userId?: string): Promise<SessionRecord[]> {
    const { rows } =
      userId === undefined
        ? await this.pool.query<SessionRow>({
            name: 'sessions.listAccount',
            text: 'SELECT * FROM sessions WHERE account_id = $1 AND expires_at > $2 ORDER BY created_at, id_hash',
            values: [accountId, now],
          })
        : await this.pool.query<SessionRow>({
            name: 'sessions.listUser',
            text: 'SELECT * FROM sessions WHERE account_id = $1 AND user_id = $2 AND expires_at > $3 ORDER BY created_at, id_hash',
            values: [accountId, userId, now],
          });
    return rows.map(toSession);
  }

  async deleteExpiredSessions(now: number): Promise<number> {
    const deleted = affected(
      await this.pool.query({ name: 'sessions.deleteExpired', text: 'DELETE FROM sessions WHERE sweep_after <= $1 AND expires_at <= $1', values: [now] }),
    );
    // Sessions refreshed past their sweep_after: raise it, so the next sweeps and counts skip them.
    await this.pool.query({
      name: 'sessions.raiseSweepAfter',
      text: 'UPDATE sessions SET sweep_after = expires_at WHERE sweep_after <= $1 AND expires_at > $1',
      values: [now],
    });
    return deleted;
  }

  async countLiveSessions(now: number): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>({
      name: 'sessions.countLive',
      // Live = sweep_after in the future (so is expires_at), plus those refreshed past a sweep_after already reached.
      text: 'SELECT (SELECT COUNT(*) FROM sessions WHERE sweep_after > $1) + (SELECT COUNT(*) FROM sessions WHERE sweep_after <= $1 AND expires_at > $1) AS n',
      values: [now],
    });
    return rows[0]!.n;
  }
}
