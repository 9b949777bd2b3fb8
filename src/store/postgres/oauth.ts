/**
 * OAuth grants and signing keys on PostgreSQL, for several instances on one
 * database. Taking a code is one UPDATE … RETURNING (the row lock makes the
 * count exact); rotating a refresh token locks its row (SELECT … FOR UPDATE),
 * so a second rotation of the same token waits, then finds it rotated: of
 * concurrent callers exactly one wins. Revoking a user's or installation's
 * grants is one statement.
 */
import type pg from 'pg';
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

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
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

const MARK_FAMILY = `INSERT INTO oauth_revoked_families (family_id, until) VALUES ($1, $2)
  ON CONFLICT (family_id) DO UPDATE SET until = GREATEST(oauth_revoked_families.until, EXCLUDED.until)`;

// Typed parameters: in INSERT … SELECT nothing tells PostgreSQL their types.
const INSERT_TOKEN = `INSERT INTO oauth_refresh_tokens (${REFRESH_TOKEN_COLUMNS})
  SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint, $8::text, $9::bigint, $10::bigint
  WHERE NOT EXISTS (SELECT 1 FROM oauth_revoked_families WHERE family_id = $2::text)`;

/** Deletes the codes and tokens of a user or client and marks their families, in one statement; returns how many families. */
const revokeByOwner = (column: 'user_id' | 'client_id') => `
  WITH c AS (DELETE FROM oauth_codes WHERE account_id = $1 AND ${column} = $2 RETURNING family_id),
  t AS (DELETE FROM oauth_refresh_tokens WHERE account_id = $1 AND ${column} = $2 RETURNING family_id),
  m AS (
    INSERT INTO oauth_revoked_families (family_id, until) SELECT family_id, $3 FROM (SELECT family_id FROM c UNION SELECT family_id FROM t) f
    ON CONFLICT (family_id) DO UPDATE SET until = GREATEST(oauth_revoked_families.until, EXCLUDED.until)
    RETURNING 1
  )
  SELECT count(*)::int AS n FROM m`;

export class PostgresOAuthGrantStore implements OAuthGrantStore {
  constructor(private readonly pool: pg.Pool) {}

  async saveCode(code: AuthorizationCode): Promise<void> {
    await this.pool.query({
      name: 'oauth_codes.insert',
      text: `INSERT INTO oauth_codes (${AUTHORIZATION_CODE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      values: authorizationCodeValues(code),
    });
  }

  async takeCode(codeHash: string, now: number): Promise<TakenCode | null> {
    const { rows } = await this.pool.query<AuthorizationCodeRow>({
      name: 'oauth_codes.take',
      text: 'UPDATE oauth_codes SET uses = uses + 1 WHERE code_hash = $1 AND expires_at > $2 RETURNING *',
      values: [codeHash, now],
    });
    return rows[0] ? { code: toAuthorizationCode(rows[0]), firstUse: rows[0].uses === 1 } : null;
  }

  async saveRefreshToken(token: RefreshToken): Promise<void> {
    await this.pool.query({ name: 'oauth_refresh_tokens.insert', text: INSERT_TOKEN, values: refreshTokenValues(token) });
  }

  async findRefreshToken(tokenHash: string, now: number): Promise<RefreshToken | null> {
    const { rows } = await this.pool.query<RefreshTokenRow>({
      name: 'oauth_refresh_tokens.current',
      text: `SELECT t.* FROM oauth_refresh_tokens t WHERE t.token_hash = $1 AND t.rotated_at IS NULL AND t.expires_at > $2
             AND NOT EXISTS (SELECT 1 FROM oauth_revoked_families f WHERE f.family_id = t.family_id AND f.until > $2)`,
      values: [tokenHash, now],
    });
    return rows[0] ? toRefreshToken(rows[0]) : null;
  }

  rotateRefreshToken(tokenHash: string, next: RefreshToken, now: number): Promise<RotationResult> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<RefreshTokenRow>('SELECT * FROM oauth_refresh_tokens WHERE token_hash = $1 FOR UPDATE', [tokenHash]);
      const row = rows[0];
      if (!row || row.expires_at <= now) return { status: 'unknown' };
      const revoked = await client.query('SELECT 1 FROM oauth_revoked_families WHERE family_id = $1 AND until > $2', [row.family_id, now]);
      if ((revoked.rowCount ?? 0) > 0) return { status: 'unknown' };
      if (row.rotated_at !== null) {
        await client.query(MARK_FAMILY, [row.family_id, now + MAX_ACCESS_TOKEN_LIFETIME_MS]);
        await client.query('DELETE FROM oauth_refresh_tokens WHERE family_id = $1', [row.family_id]);
        return { status: 'reused', familyId: row.family_id };
      }
      await client.query('UPDATE oauth_refresh_tokens SET rotated_at = $2 WHERE token_hash = $1', [tokenHash, now]);
      await client.query(INSERT_TOKEN, refreshTokenValues({ ...next, familyId: row.family_id }));
      return { status: 'rotated', previous: toRefreshToken(row) };
    });
  }

  async revokeFamily(familyId: string, until: number): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query(MARK_FAMILY, [familyId, until]);
      await client.query('DELETE FROM oauth_refresh_tokens WHERE family_id = $1', [familyId]);
    });
  }

  async familyRevoked(familyId: string, now: number): Promise<boolean> {
    const r = await this.pool.query({
      name: 'oauth_revoked_families.get',
      text: 'SELECT 1 FROM oauth_revoked_families WHERE family_id = $1 AND until > $2',
      values: [familyId, now],
    });
    return (r.rowCount ?? 0) > 0;
  }

  async revokeUserGrants(accountId: string, userId: string, until: number): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(revokeByOwner('user_id'), [accountId, userId, until]);
    return rows[0]!.n;
  }

  async revokeClientGrants(accountId: string, clientId: string, until: number): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(revokeByOwner('client_id'), [accountId, clientId, until]);
    return rows[0]!.n;
  }

  async revokeAccessToken(jti: string, until: number): Promise<void> {
    await this.pool.query({
      name: 'oauth_revoked_access_tokens.insert',
      text: `INSERT INTO oauth_revoked_access_tokens (jti, until) VALUES ($1, $2)
             ON CONFLICT (jti) DO UPDATE SET until = GREATEST(oauth_revoked_access_tokens.until, EXCLUDED.until)`,
      values: [jti, until],
    });
  }

  async accessTokenRevoked(jti: string, now: number): Promise<boolean> {
    const r = await this.pool.query({
      name: 'oauth_revoked_access_tokens.get',
      text: 'SELECT 1 FROM oauth_revoked_access_tokens WHERE jti = $1 AND until > $2',
      values: [jti, now],
    });
    return (r.rowCount ?? 0) > 0;
  }

  async deleteExpiredGrants(now: number): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `WITH c AS (DELETE FROM oauth_codes WHERE expires_at <= $1 RETURNING 1),
       t AS (DELETE FROM oauth_refresh_tokens WHERE expires_at <= $1 RETURNING 1),
       f AS (DELETE FROM oauth_revoked_families WHERE until <= $1 RETURNING 1),
       a AS (DELETE FROM oauth_revoked_access_tokens WHERE until <= $1 RETURNING 1)
       SELECT ((SELECT count(*) FROM c) + (SELECT count(*) FROM t) + (SELECT count(*) FROM f) + (SELECT count(*) FROM a))::int AS n`,
      [now],
    );
    return rows[0]!.n;
  }
}

/** Any fixed number, the same in every process: serializes adding keys, so one alg never has two current keys. */
const SIGNING_KEY_LOCK = '5390217765410928331';

export class PostgresSigningKeyStore implements SigningKeyStore {
  constructor(private readonly pool: pg.Pool) {}

  async listSigningKeys(): Promise<SigningKey[]> {
    const { rows } = await this.pool.query<SigningKeyRow>('SELECT * FROM signing_keys ORDER BY created_at DESC, kid DESC');
    return rows.map(toSigningKey);
  }

  async addSigningKey(key: SigningKey): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(${SIGNING_KEY_LOCK})`);
      await client.query('UPDATE signing_keys SET retired_at = $1 WHERE alg = $2 AND retired_at IS NULL', [key.createdAt, key.alg]);
      await client.query('INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at, retired_at) VALUES ($1, $2, $3, $4, $5, $6)', [
        key.kid,
        key.alg,
        key.privateJwk,
        key.publicJwk,
        key.createdAt,
        key.retiredAt,
      ]);
    });
  }

  async deleteRetiredSigningKeys(before: number): Promise<number> {
    const r = await this.pool.query('DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < $1', [before]);
    return r.rowCount ?? 0;
  }
}
