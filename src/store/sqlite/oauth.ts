/**
 * OAuth grants and signing keys on SQLite. Every step that reads and then
 * writes runs in one IMMEDIATE transaction (SqliteDatabase.transaction): the
 * single writer serializes it against every other process on the file, so of
 * two callers taking one code, or rotating one refresh token, exactly one
 * wins. Taking a code is a single UPDATE … RETURNING, atomic by itself.
 */
import {
  MAX_ACCESS_TOKEN_LIFETIME_MS,
  type AuthorizationCode,
  type OAuthGrantStore,
  type RefreshToken,
  type RotationResult,
  type SigningKey,
  type SigningKeyStore,
  type TakenCode,
} from '../../oauth/model.js';
import {
  AUTHORIZATION_CODE_COLUMNS,
  REFRESH_TOKEN_COLUMNS,
  authorizationCodeValues,
  refreshTokenValues,
  toAuthorizationCode,
  toRefreshToken,
  toSigningKey,
  type AuthorizationCodeRow,
  type RefreshTokenRow,
  type SigningKeyRow,
} from '../rows.js';
import type { SqliteDatabase } from './database.js';

const placeholders = (columns: string) => columns.split(',').map(() => '?').join(', ');

export class SqliteOAuthGrantStore implements OAuthGrantStore {
  private readonly q;
  private readonly rotate: (tokenHash: string, next: RefreshToken, now: number) => RotationResult;
  private readonly revokeFamilyTx: (familyId: string, until: number) => void;
  private readonly revokeByOwner: (by: 'user' | 'client', accountId: string, id: string, until: number) => number;
  private readonly deleteExpired: (now: number) => number;

  constructor(db: SqliteDatabase) {
    this.q = {
      insertCode: db.prepare(`INSERT INTO oauth_codes (${AUTHORIZATION_CODE_COLUMNS}) VALUES (${placeholders(AUTHORIZATION_CODE_COLUMNS)})`),
      takeCode: db.prepare('UPDATE oauth_codes SET uses = uses + 1 WHERE code_hash = ? AND expires_at > ? RETURNING *'),
      // Nothing goes into a family that has been revoked.
      insertToken: db.prepare(
        `INSERT INTO oauth_refresh_tokens (${REFRESH_TOKEN_COLUMNS}) SELECT ${placeholders(REFRESH_TOKEN_COLUMNS)}
         WHERE NOT EXISTS (SELECT 1 FROM oauth_revoked_families WHERE family_id = ?)`,
      ),
      token: db.prepare('SELECT * FROM oauth_refresh_tokens WHERE token_hash = ?'),
      currentToken: db.prepare(
        `SELECT t.* FROM oauth_refresh_tokens t WHERE t.token_hash = ? AND t.rotated_at IS NULL AND t.expires_at > ?
         AND NOT EXISTS (SELECT 1 FROM oauth_revoked_families f WHERE f.family_id = t.family_id AND f.until > ?)`,
      ),
      markRotated: db.prepare('UPDATE oauth_refresh_tokens SET rotated_at = ? WHERE token_hash = ?'),
      markFamily: db.prepare(
        `INSERT INTO oauth_revoked_families (family_id, until) VALUES (?, ?)
         ON CONFLICT (family_id) DO UPDATE SET until = max(until, excluded.until)`,
      ),
      familyRevoked: db.prepare('SELECT 1 FROM oauth_revoked_families WHERE family_id = ? AND until > ?').pluck(),
      deleteFamilyTokens: db.prepare('DELETE FROM oauth_refresh_tokens WHERE family_id = ?'),
      userFamilies: db.prepare(
        `SELECT family_id FROM oauth_codes WHERE account_id = ? AND user_id = ?
         UNION SELECT family_id FROM oauth_refresh_tokens WHERE account_id = ? AND user_id = ?`,
      ).pluck(),
      clientFamilies: db.prepare(
        `SELECT family_id FROM oauth_codes WHERE account_id = ? AND client_id = ?
         UNION SELECT family_id FROM oauth_refresh_tokens WHERE account_id = ? AND client_id = ?`,
      ).pluck(),
      deleteUserCodes: db.prepare('DELETE FROM oauth_codes WHERE account_id = ? AND user_id = ?'),
      deleteClientCodes: db.prepare('DELETE FROM oauth_codes WHERE account_id = ? AND client_id = ?'),
      deleteUserTokens: db.prepare('DELETE FROM oauth_refresh_tokens WHERE account_id = ? AND user_id = ?'),
      deleteClientTokens: db.prepare('DELETE FROM oauth_refresh_tokens WHERE account_id = ? AND client_id = ?'),
      markAccessToken: db.prepare(
        `INSERT INTO oauth_revoked_access_tokens (jti, until) VALUES (?, ?)
         ON CONFLICT (jti) DO UPDATE SET until = max(until, excluded.until)`,
      ),
      accessTokenRevoked: db.prepare('SELECT 1 FROM oauth_revoked_access_tokens WHERE jti = ? AND until > ?').pluck(),
      deleteExpiredCodes: db.prepare('DELETE FROM oauth_codes WHERE expires_at <= ?'),
      deleteExpiredTokens: db.prepare('DELETE FROM oauth_refresh_tokens WHERE expires_at <= ?'),
      deleteExpiredFamilyMarks: db.prepare('DELETE FROM oauth_revoked_families WHERE until <= ?'),
      deleteExpiredAccessMarks: db.prepare('DELETE FROM oauth_revoked_access_tokens WHERE until <= ?'),
    };
    this.revokeFamilyTx = db.transaction((familyId: string, until: number) => {
      this.q.markFamily.run(familyId, until);
      this.q.deleteFamilyTokens.run(familyId);
    });
    this.rotate = db.transaction((tokenHash: string, next: RefreshToken, now: number): RotationResult => {
      const row = this.q.token.get(tokenHash) as RefreshTokenRow | undefined;
      if (!row || row.expires_at <= now || this.q.familyRevoked.get(row.family_id, now) !== undefined) return { status: 'unknown' };
      if (row.rotated_at !== null) {
        this.revokeFamilyTx(row.family_id, now + MAX_ACCESS_TOKEN_LIFETIME_MS);
        return { status: 'reused', familyId: row.family_id };
      }
      this.q.markRotated.run(now, tokenHash);
      this.q.insertToken.run(...refreshTokenValues({ ...next, familyId: row.family_id }), row.family_id);
      return { status: 'rotated', previous: toRefreshToken(row) };
    });
    this.revokeByOwner = db.transaction((by: 'user' | 'client', accountId: string, id: string, until: number) => {
      const families = (by === 'user' ? this.q.userFamilies : this.q.clientFamilies).all(accountId, id, accountId, id) as string[];
      for (const familyId of families) this.q.markFamily.run(familyId, until);
      (by === 'user' ? this.q.deleteUserCodes : this.q.deleteClientCodes).run(accountId, id);
      (by === 'user' ? this.q.deleteUserTokens : this.q.deleteClientTokens).run(accountId, id);
      return families.length;
    });
    this.deleteExpired = db.transaction(
      (now: number) =>
        this.q.deleteExpiredCodes.run(now).changes +
        this.q.deleteExpiredTokens.run(now).changes +
        this.q.deleteExpiredFamilyMarks.run(now).changes +
        this.q.deleteExpiredAccessMarks.run(now).changes,
    );
  }

  async saveCode(code: AuthorizationCode): Promise<void> {
    this.q.insertCode.run(...authorizationCodeValues(code));
  }

  async takeCode(codeHash: string, now: number): Promise<TakenCode | null> {
    const row = this.q.takeCode.get(codeHash, now) as AuthorizationCodeRow | undefined;
    return row ? { code: toAuthorizationCode(row), firstUse: row.uses === 1 } : null;
  }

  async saveRefreshToken(token: RefreshToken): Promise<void> {
    this.q.insertToken.run(...refreshTokenValues(token), token.familyId);
  }

  async findRefreshToken(tokenHash: string, now: number): Promise<RefreshToken | null> {
    const row = this.q.currentToken.get(tokenHash, now, now) as RefreshTokenRow | undefined;
    return row ? toRefreshToken(row) : null;
  }

  async rotateRefreshToken(tokenHash: string, next: RefreshToken, now: number): Promise<RotationResult> {
    return this.rotate(tokenHash, next, now);
  }

  async revokeFamily(familyId: string, until: number): Promise<void> {
    this.revokeFamilyTx(familyId, until);
  }

  async familyRevoked(familyId: string, now: number): Promise<boolean> {
    return this.q.familyRevoked.get(familyId, now) !== undefined;
  }

  async revokeUserGrants(accountId: string, userId: string, until: number): Promise<number> {
    return this.revokeByOwner('user', accountId, userId, until);
  }

  async revokeClientGrants(accountId: string, clientId: string, until: number): Promise<number> {
    return this.revokeByOwner('client', accountId, clientId, until);
  }

  async revokeAccessToken(jti: string, until: number): Promise<void> {
    this.q.markAccessToken.run(jti, until);
  }

  async accessTokenRevoked(jti: string, now: number): Promise<boolean> {
    return this.q.accessTokenRevoked.get(jti, now) !== undefined;
  }

  async deleteExpiredGrants(now: number): Promise<number> {
    return this.deleteExpired(now);
  }
}

export class SqliteSigningKeyStore implements SigningKeyStore {
  private readonly q;
  private readonly add: (key: SigningKey) => void;

  constructor(db: SqliteDatabase) {
    this.q = {
      list: db.prepare('SELECT * FROM signing_keys ORDER BY created_at DESC, kid DESC'),
      retire: db.prepare('UPDATE signing_keys SET retired_at = ? WHERE alg = ? AND retired_at IS NULL'),
      insert: db.prepare('INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at, retired_at) VALUES (?, ?, ?, ?, ?, ?)'),
      deleteRetired: db.prepare('DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < ?'),
    };
    this.add = db.transaction((key: SigningKey) => {
      this.q.retire.run(key.createdAt, key.alg);
      this.q.insert.run(key.kid, key.alg, key.privateJwk, key.publicJwk, key.createdAt, key.retiredAt);
    });
  }

  async listSigningKeys(): Promise<SigningKey[]> {
    return (this.q.list.all() as SigningKeyRow[]).map(toSigningKey);
  }

  async addSigningKey(key: SigningKey): Promise<void> {
    this.add(key);
  }

  async deleteRetiredSigningKeys(before: number): Promise<number> {
    return this.q.deleteRetired.run(before).changes;
  }
}
