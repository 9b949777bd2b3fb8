import type { FactorStore, FactorTicket, Passkey, TotpFactor, UserFactors } from '../../factors/model.js';
import type { SqliteDatabase } from './database.js';

interface TotpRow {
  sealed_secret: string;
  confirmed: number;
  created_at: number;
}

interface PasskeyRow {
  account_id: string;
  user_id: string;
  credential_id: string;
  public_key: string;
  counter: number;
  transports: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

interface TicketRow {
  token_hash: string;
  kind: FactorTicket['kind'];
  account_id: string;
  user_id: string;
  data: string;
  expires_at: number;
}

const toPasskey = (r: PasskeyRow): Passkey => ({
  accountId: r.account_id,
  userId: r.user_id,
  credentialId: r.credential_id,
  publicKey: r.public_key,
  counter: Number(r.counter),
  transports: JSON.parse(r.transports) as string[],
  name: r.name,
  createdAt: Number(r.created_at),
  lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
});

/** Second factors in SQLite; every change of several rows is one transaction. */
export class SqliteFactorStore implements FactorStore {
  private readonly q;
  private readonly tx;

  constructor(db: SqliteDatabase) {
    this.q = {
      totp: db.prepare('SELECT sealed_secret, confirmed, created_at FROM totp_factors WHERE account_id = ? AND user_id = ?'),
      codes: db.prepare('SELECT code_hash, used_at FROM recovery_codes WHERE account_id = ? AND user_id = ? ORDER BY code_hash'),
      passkeys: db.prepare('SELECT * FROM passkeys WHERE account_id = ? AND user_id = ? ORDER BY created_at, credential_id'),
      startTotp: db.prepare(
        `INSERT INTO totp_factors (account_id, user_id, sealed_secret, confirmed, created_at) VALUES (@accountId, @userId, @sealedSecret, 0, @createdAt)
         ON CONFLICT (account_id, user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, created_at = excluded.created_at
         WHERE totp_factors.confirmed = 0`,
      ),
      confirmTotp: db.prepare('UPDATE totp_factors SET confirmed = 1 WHERE account_id = ? AND user_id = ? AND sealed_secret = ? AND confirmed = 0'),
      resealTotp: db.prepare('UPDATE totp_factors SET sealed_secret = ? WHERE account_id = ? AND user_id = ? AND sealed_secret = ?'),
      deleteTotp: db.prepare('DELETE FROM totp_factors WHERE account_id = ? AND user_id = ?'),
      deleteCodes: db.prepare('DELETE FROM recovery_codes WHERE account_id = ? AND user_id = ?'),
      insertCode: db.prepare('INSERT INTO recovery_codes (account_id, user_id, code_hash, used_at) VALUES (?, ?, ?, NULL)'),
      useCode: db.prepare('UPDATE recovery_codes SET used_at = ? WHERE account_id = ? AND user_id = ? AND code_hash = ? AND used_at IS NULL'),
      insertPasskey: db.prepare(
        `INSERT INTO passkeys (account_id, credential_id, user_id, public_key, counter, transports, name, created_at, last_used_at)
         VALUES (@accountId, @credentialId, @userId, @publicKey, @counter, @transports, @name, @createdAt, @lastUsedAt)`,
      ),
      findPasskey: db.prepare('SELECT * FROM passkeys WHERE account_id = ? AND credential_id = ?'),
      touchPasskey: db.prepare('UPDATE passkeys SET counter = ?, last_used_at = ? WHERE account_id = ? AND credential_id = ?'),
      deletePasskey: db.prepare('DELETE FROM passkeys WHERE account_id = ? AND user_id = ? AND credential_id = ?'),
      deletePasskeys: db.prepare('DELETE FROM passkeys WHERE account_id = ? AND user_id = ?'),
      deleteTickets: db.prepare('DELETE FROM factor_tickets WHERE account_id = ? AND user_id = ?'),
      putTicket: db.prepare(
        'INSERT INTO factor_tickets (token_hash, kind, account_id, user_id, data, expires_at) VALUES (@tokenHash, @kind, @accountId, @userId, @data, @expiresAt)',
      ),
      getTicket: db.prepare('SELECT * FROM factor_tickets WHERE token_hash = ? AND expires_at > ?'),
      takeTicket: db.prepare('DELETE FROM factor_tickets WHERE token_hash = ?'),
      deleteExpiredTickets: db.prepare('DELETE FROM factor_tickets WHERE expires_at <= ?'),
    };
    const q = this.q;
    this.tx = {
      replaceCodes: db.transaction((accountId: string, userId: string, hashes: string[]) => {
        q.deleteCodes.run(accountId, userId);
        for (const h of hashes) q.insertCode.run(accountId, userId, h);
      }),
      confirm: db.transaction((accountId: string, userId: string, sealed: string, hashes: string[]) => {
        if (q.confirmTotp.run(accountId, userId, sealed).changes === 0) return false;
        q.deleteCodes.run(accountId, userId);
        for (const h of hashes) q.insertCode.run(accountId, userId, h);
        return true;
      }),
      deleteTotp: db.transaction((accountId: string, userId: string) => {
        const removed = q.deleteTotp.run(accountId, userId).changes > 0;
        q.deleteCodes.run(accountId, userId);
        return removed;
      }),
      deleteAll: db.transaction((accountId: string, userId: string) => {
        let n = q.deleteTotp.run(accountId, userId).changes;
        n += q.deleteCodes.run(accountId, userId).changes;
        n += q.deletePasskeys.run(accountId, userId).changes;
        q.deleteTickets.run(accountId, userId);
        return n > 0;
      }),
    };
  }

  async getFactors(accountId: string, userId: string): Promise<UserFactors> {
    const totp = this.q.totp.get(accountId, userId) as TotpRow | undefined;
    const codes = this.q.codes.all(accountId, userId) as Array<{ code_hash: string; used_at: number | null }>;
    const passkeys = this.q.passkeys.all(accountId, userId) as PasskeyRow[];
    return {
      totp: totp ? { sealedSecret: totp.sealed_secret, confirmed: totp.confirmed === 1, createdAt: Number(totp.created_at) } : null,
      recoveryCodes: codes.map((c) => ({ codeHash: c.code_hash, usedAt: c.used_at === null ? null : Number(c.used_at) })),
      passkeys: passkeys.map(toPasskey),
    };
  }

  async startTotp(accountId: string, userId: string, totp: TotpFactor): Promise<boolean> {
    return this.q.startTotp.run({ accountId, userId, sealedSecret: totp.sealedSecret, createdAt: totp.createdAt }).changes > 0;
  }

  async confirmTotp(accountId: string, userId: string, sealedSecret: string, recoveryCodeHashes: string[]): Promise<boolean> {
    return this.tx.confirm(accountId, userId, sealedSecret, recoveryCodeHashes);
  }

  async resealTotp(accountId: string, userId: string, oldSealed: string, newSealed: string): Promise<boolean> {
    return this.q.resealTotp.run(newSealed, accountId, userId, oldSealed).changes > 0;
  }

  async deleteTotp(accountId: string, userId: string): Promise<boolean> {
    return this.tx.deleteTotp(accountId, userId);
  }

  async replaceRecoveryCodes(accountId: string, userId: string, codeHashes: string[]): Promise<void> {
    this.tx.replaceCodes(accountId, userId, codeHashes);
  }

  async useRecoveryCode(accountId: string, userId: string, codeHash: string, now: number): Promise<boolean> {
    return this.q.useCode.run(now, accountId, userId, codeHash).changes > 0;
  }

  async addPasskey(p: Passkey): Promise<void> {
    this.q.insertPasskey.run({ ...p, transports: JSON.stringify(p.transports) });
  }

  async findPasskey(accountId: string, credentialId: string): Promise<Passkey | null> {
    const row = this.q.findPasskey.get(accountId, credentialId) as PasskeyRow | undefined;
    return row ? toPasskey(row) : null;
  }

  async touchPasskey(accountId: string, credentialId: string, counter: number, now: number): Promise<void> {
    this.q.touchPasskey.run(counter, now, accountId, credentialId);
  }

  async deletePasskey(accountId: string, userId: string, credentialId: string): Promise<boolean> {
    return this.q.deletePasskey.run(accountId, userId, credentialId).changes > 0;
  }

  async deleteFactors(accountId: string, userId: string): Promise<boolean> {
    return this.tx.deleteAll(accountId, userId);
  }

  async putTicket(t: FactorTicket): Promise<void> {
    this.q.putTicket.run({ ...t, data: JSON.stringify(t.data) });
  }

  async getTicket(tokenHash: string, now: number): Promise<FactorTicket | null> {
    const r = this.q.getTicket.get(tokenHash, now) as TicketRow | undefined;
    if (!r) return null;
    return { tokenHash: r.token_hash, kind: r.kind, accountId: r.account_id, userId: r.user_id, data: JSON.parse(r.data) as Record<string, unknown>, expiresAt: Number(r.expires_at) };
  }

  async takeTicket(tokenHash: string): Promise<boolean> {
    return this.q.takeTicket.run(tokenHash).changes > 0;
  }

  async deleteExpiredTickets(now: number): Promise<number> {
    return this.q.deleteExpiredTickets.run(now).changes;
  }
}
