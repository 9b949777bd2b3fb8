import type pg from 'pg';
import type { FactorStore, FactorTicket, Passkey, TotpFactor, UserFactors } from '../../factors/model.js';

interface PasskeyRow {
  account_id: string;
  user_id: string;
  credential_id: string;
  public_key: string;
  counter: string | number;
  transports: string[];
  name: string;
  created_at: string | number;
  last_used_at: string | number | null;
}

const toPasskey = (r: PasskeyRow): Passkey => ({
  accountId: r.account_id,
  userId: r.user_id,
  credentialId: r.credential_id,
  publicKey: r.public_key,
  counter: Number(r.counter),
  transports: r.transports,
  name: r.name,
  createdAt: Number(r.created_at),
  lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
});

const affected = (r: pg.QueryResult) => r.rowCount ?? 0;

/** Second factors in PostgreSQL; every change of several rows is one transaction. */
export class PostgresFactorStore implements FactorStore {
  constructor(private readonly pool: pg.Pool) {}

  private async inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  private async writeCodes(client: pg.PoolClient, accountId: string, userId: string, hashes: string[]): Promise<void> {
    await client.query('DELETE FROM recovery_codes WHERE account_id = $1 AND user_id = $2', [accountId, userId]);
    if (hashes.length > 0) {
      await client.query('INSERT INTO recovery_codes (account_id, user_id, code_hash) SELECT $1, $2, unnest($3::text[])', [accountId, userId, hashes]);
    }
  }

  async getFactors(accountId: string, userId: string): Promise<UserFactors> {
    const [totp, codes, passkeys] = await Promise.all([
      this.pool.query<{ sealed_secret: string; confirmed: boolean; created_at: string }>(
        'SELECT sealed_secret, confirmed, created_at FROM totp_factors WHERE account_id = $1 AND user_id = $2',
        [accountId, userId],
      ),
      this.pool.query<{ code_hash: string; used_at: string | null }>(
        'SELECT code_hash, used_at FROM recovery_codes WHERE account_id = $1 AND user_id = $2 ORDER BY code_hash',
        [accountId, userId],
      ),
      this.pool.query<PasskeyRow>('SELECT * FROM passkeys WHERE account_id = $1 AND user_id = $2 ORDER BY created_at, credential_id', [accountId, userId]),
    ]);
    const t = totp.rows[0];
    return {
      totp: t ? { sealedSecret: t.sealed_secret, confirmed: t.confirmed, createdAt: Number(t.created_at) } : null,
      recoveryCodes: codes.rows.map((c) => ({ codeHash: c.code_hash, usedAt: c.used_at === null ? null : Number(c.used_at) })),
      passkeys: passkeys.rows.map(toPasskey),
    };
  }

  async startTotp(accountId: string, userId: string, totp: TotpFactor): Promise<boolean> {
    const r = await this.pool.query(
      `INSERT INTO totp_factors (account_id, user_id, sealed_secret, confirmed, created_at) VALUES ($1, $2, $3, false, $4)
       ON CONFLICT (account_id, user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, created_at = excluded.created_at
       WHERE NOT totp_factors.confirmed`,
      [accountId, userId, totp.sealedSecret, totp.createdAt],
    );
    return affected(r) > 0;
  }

  confirmTotp(accountId: string, userId: string, sealedSecret: string, recoveryCodeHashes: string[]): Promise<boolean> {
    return this.inTransaction(async (client) => {
      const r = await client.query(
        'UPDATE totp_factors SET confirmed = true WHERE account_id = $1 AND user_id = $2 AND sealed_secret = $3 AND NOT confirmed',
        [accountId, userId, sealedSecret],
      );
      if (affected(r) === 0) return false;
      await this.writeCodes(client, accountId, userId, recoveryCodeHashes);
      return true;
    });
  }

  async resealTotp(accountId: string, userId: string, oldSealed: string, newSealed: string): Promise<boolean> {
    const r = await this.pool.query('UPDATE totp_factors SET sealed_secret = $4 WHERE account_id = $1 AND user_id = $2 AND sealed_secret = $3', [
      accountId,
      userId,
      oldSealed,
      newSealed,
    ]);
    return affected(r) > 0;
  }

  deleteTotp(accountId: string, userId: string): Promise<boolean> {
    return this.inTransaction(async (client) => {
      const r = await client.query('DELETE FROM totp_factors WHERE account_id = $1 AND user_id = $2', [accountId, userId]);
      await client.query('DELETE FROM recovery_codes WHERE account_id = $1 AND user_id = $2', [accountId, userId]);
      return affected(r) > 0;
    });
  }

  replaceRecoveryCodes(accountId: string, userId: string, codeHashes: string[]): Promise<void> {
    return this.inTransaction((client) => this.writeCodes(client, accountId, userId, codeHashes));
  }

  async useRecoveryCode(accountId: string, userId: string, codeHash: string, now: number): Promise<boolean> {
    const r = await this.pool.query(
      'UPDATE recovery_codes SET used_at = $4 WHERE account_id = $1 AND user_id = $2 AND code_hash = $3 AND used_at IS NULL',
      [accountId, userId, codeHash, now],
    );
    return affected(r) > 0;
  }

  async addPasskey(p: Passkey): Promise<void> {
    await this.pool.query(
      `INSERT INTO passkeys (account_id, credential_id, user_id, public_key, counter, transports, name, created_at, last_used_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [p.accountId, p.credentialId, p.userId, p.publicKey, p.counter, JSON.stringify(p.transports), p.name, p.createdAt, p.lastUsedAt],
    );
  }

  async findPasskey(accountId: string, credentialId: string): Promise<Passkey | null> {
    const { rows } = await this.pool.query<PasskeyRow>('SELECT * FROM passkeys WHERE account_id = $1 AND credential_id = $2', [accountId, credentialId]);
    return rows[0] ? toPasskey(rows[0]) : null;
  }

  async touchPasskey(accountId: string, credentialId: string, counter: number, now: number): Promise<void> {
    await this.pool.query('UPDATE passkeys SET counter = $3, last_used_at = $4 WHERE account_id = $1 AND credential_id = $2', [accountId, credentialId, counter, now]);
  }

  async deletePasskey(accountId: string, userId: string, credentialId: string): Promise<boolean> {
    const r = await this.pool.query('DELETE FROM passkeys WHERE account_id = $1 AND user_id = $2 AND credential_id = $3', [accountId, userId, credentialId]);
    return affected(r) > 0;
  }

  deleteFactors(accountId: string, userId: string): Promise<boolean> {
    return this.inTransaction(async (client) => {
      let n = 0;
      for (const table of ['totp_factors', 'recovery_codes', 'passkeys']) {
        n += affected(await client.query(`DELETE FROM ${table} WHERE account_id = $1 AND user_id = $2`, [accountId, userId]));
      }
      await client.query('DELETE FROM factor_tickets WHERE account_id = $1 AND user_id = $2', [accountId, userId]);
      return n > 0;
    });
  }

  async putTicket(t: FactorTicket): Promise<void> {
    await this.pool.query('INSERT INTO factor_tickets (token_hash, kind, account_id, user_id, data, expires_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      t.tokenHash,
      t.kind,
      t.accountId,
      t.userId,
      JSON.stringify(t.data),
      t.expiresAt,
    ]);
  }

  async getTicket(tokenHash: string, now: number): Promise<FactorTicket | null> {
    const { rows } = await this.pool.query<{ token_hash: string; kind: FactorTicket['kind']; account_id: string; user_id: string; data: Record<string, unknown>; expires_at: string }>(
      'SELECT * FROM factor_tickets WHERE token_hash = $1 AND expires_at > $2',
      [tokenHash, now],
    );
    const r = rows[0];
    return r ? { tokenHash: r.token_hash, kind: r.kind, accountId: r.account_id, userId: r.user_id, data: r.data, expiresAt: Number(r.expires_at) } : null;
  }

  async takeTicket(tokenHash: string): Promise<boolean> {
    return affected(await this.pool.query('DELETE FROM factor_tickets WHERE token_hash = $1', [tokenHash])) > 0;
  }

  async deleteExpiredTickets(now: number): Promise<number> {
    return affected(await this.pool.query('DELETE FROM factor_tickets WHERE expires_at <= $1', [now]));
  }
}
