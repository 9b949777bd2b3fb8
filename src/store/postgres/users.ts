import type pg from 'pg';
import type { ApiKey, ApiKeyStore, User, UserPatch, UserStore } from '../../users/model.js';
import { DuplicateError } from '../errors.js';
import { storedLoginNameKey, loginNameKeyOrNull } from '../../users/loginName.js';
import { isUniqueViolation } from './database.js';
import { type UserRow, toUser, type ApiKeyRow, toApiKey } from '../rows.js';

export class PostgresUserStore implements UserStore {
  constructor(private readonly pool: pg.Pool) {}

  async createUser(u: User): Promise<void> {
    try {
      await this.pool.query({
        name: 'users.insert',
        text: `INSERT INTO users (user_id, account_id, login_name, login_name_key, user_pid, is_bot, app_key, password_hash,
                 password_changed_at, privileges, is_admin, is_lpa, enabled, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        values: [
          u.userId, u.accountId, u.loginName, storedLoginNameKey(u), u.userPid, u.isBot, u.appKey, u.passwordHash,
          u.passwordChangedAt, JSON.stringify(u.privileges), u.isAdmin, u.isLPA, u.enabled, u.createdAt,
        ],
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new DuplicateError(`user ${u.loginName}`);
      throw e;
    }
  }

  async getUserByLoginName(accountId: string, loginName: string): Promise<User | null> {
    const key = loginNameKeyOrNull(loginName);
    if (key === null) return null;
    const { rows } = await this.pool.query<UserRow>({
      name: 'users.byLogin',
      text: 'SELECT * FROM users WHERE account_id = $1 AND login_name_key = $2',
      values: [accountId, key],
    });
    return rows[0] ? toUser(rows[0]) : null;
  }

  async getUserById(accountId: string, userId: string): Promise<User | null> {
    const { rows } = await this.pool.query<UserRow>({
      name: 'users.byId',
      text: 'SELECT * FROM users WHERE account_id = $1 AND user_id = $2',
      values: [accountId, userId],
    });
    return rows[0] ? toUser(rows[0]) : null;
  }

  async listUsers(accountId: string): Promise<User[]> {
    const { rows } = await this.pool.query<UserRow>({
      name: 'users.list',
      text: 'SELECT * FROM users WHERE account_id = $1 ORDER BY login_name_key',
      values: [accountId],
    });
    return rows.map(toUser);
  }

  async updateUser(accountId: string, userId: string, patch: UserPatch): Promise<boolean> {
    const sets: string[] = [];
    const values: unknown[] = [accountId, userId];
    const param = (v: unknown) => (values.push(v), `$${values.length}`);
    if (patch.passwordHash !== undefined) sets.push(`password_hash = ${param(patch.passwordHash)}`);
    if (patch.passwordChangedAt !== undefined) sets.push(`password_changed_at = ${param(patch.passwordChangedAt)}`);
    if (patch.enabled !== undefined) sets.push(`enabled = ${param(patch.enabled)}`);
    if (patch.privileges !== undefined) sets.push(`privileges = ${param(JSON.stringify(patch.privileges))}`);
    if (patch.isAdmin !== undefined) sets.push(`is_admin = ${param(patch.isAdmin)}`);
    if (sets.length === 0) return (await this.getUserById(accountId, userId)) !== null;
    const r = await this.pool.query(`UPDATE users SET ${sets.join(', ')} WHERE account_id = $1 AND user_id = $2`, values);
    return (r.rowCount ?? 0) > 0;
  }
}

export class PostgresApiKeyStore implements ApiKeyStore {
  constructor(private readonly pool: pg.Pool) {}

  async createApiKey(k: ApiKey): Promise<void> {
    try {
      await this.pool.query({
        name: 'api_keys.insert',
        text: `INSERT INTO api_keys (account_id, app_key, name, type, secret_hash, access_token_hash, access_token_secret_hash, created_at, revoked_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        values: [k.accountId, k.appKey, k.name, k.type, k.secretHash, k.accessTokenHash, k.accessTokenSecretHash, k.createdAt, k.revokedAt],
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new DuplicateError(`API key ${k.appKey}`);
      throw e;
    }
  }

  async getApiKey(accountId: string, appKey: string): Promise<ApiKey | null> {
    const { rows } = await this.pool.query<ApiKeyRow>({
      name: 'api_keys.get',
      text: 'SELECT * FROM api_keys WHERE account_id = $1 AND app_key = $2',
      values: [accountId, appKey],
    });
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async listApiKeys(accountId: string): Promise<ApiKey[]> {
    const { rows } = await this.pool.query<ApiKeyRow>({
      name: 'api_keys.list',
      text: 'SELECT * FROM api_keys WHERE account_id = $1 ORDER BY created_at, app_key',
      values: [accountId],
    });
    return rows.map(toApiKey);
  }

  async revokeApiKey(accountId: string, appKey: string, at: number): Promise<boolean> {
    const r = await this.pool.query({
      name: 'api_keys.revoke',
      text: 'UPDATE api_keys SET revoked_at = $3 WHERE account_id = $1 AND app_key = $2 AND revoked_at IS NULL',
      values: [accountId, appKey, at],
    });
    return (r.rowCount ?? 0) > 0;
  }
}
