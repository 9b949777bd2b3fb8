import type { ApiKey, ApiKeyStore, User, UserPatch, UserStore } from '../../users/model.js';
import { DuplicateError } from '../errors.js';
import { storedLoginNameKey, loginNameKeyOrNull } from '../../users/loginName.js';
import type { SqliteDatabase } from './database.js';
import { type UserRow, toUser, type ApiKeyRow, toApiKey } from '../rows.js';

const isUniqueViolation = (e: unknown) =>
  ['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY'].includes((e as { code?: string }).code ?? '');

export class SqliteUserStore implements UserStore {
  private readonly q;

  constructor(private readonly db: SqliteDatabase) {
    this.q = {
      insert: db.prepare(
        `INSERT INTO users (user_id, account_id, login_name, login_name_key, user_pid, is_bot, app_key, password_hash,
           password_changed_at, privileges, is_admin, is_lpa, enabled, created_at)
         VALUES (@userId, @accountId, @loginName, @loginNameKey, @userPid, @isBot, @appKey, @passwordHash,
           @passwordChangedAt, @privileges, @isAdmin, @isLPA, @enabled, @createdAt)`,
      ),
      byLogin: db.prepare('SELECT * FROM users WHERE account_id = ? AND login_name_key = ?'),
      byId: db.prepare('SELECT * FROM users WHERE account_id = ? AND user_id = ?'),
      list: db.prepare('SELECT * FROM users WHERE account_id = ? ORDER BY login_name_key'),
    };
  }

  async createUser(u: User): Promise<void> {
    try {
      this.q.insert.run({
        ...u,
        loginNameKey: storedLoginNameKey(u),
        isBot: u.isBot ? 1 : 0,
        privileges: JSON.stringify(u.privileges),
        isAdmin: u.isAdmin ? 1 : 0,
        isLPA: u.isLPA ? 1 : 0,
        enabled: u.enabled ? 1 : 0,
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new DuplicateError(`user ${u.loginName}`);
      throw e;
    }
  }

  async getUserByLoginName(accountId: string, loginName: string): Promise<User | null> {
    const key = loginNameKeyOrNull(loginName);
    if (key === null) return null;
    const row = this.q.byLogin.get(accountId, key) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  async getUserById(accountId: string, userId: string): Promise<User | null> {
    const row = this.q.byId.get(accountId, userId) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  async listUsers(accountId: string): Promise<User[]> {
    return (this.q.list.all(accountId) as UserRow[]).map(toUser);
  }

  async updateUser(accountId: string, userId: string, patch: UserPatch): Promise<boolean> {
    const sets: string[] = [];
    const values: unknown[] = [];
    if (patch.passwordHash !== undefined) sets.push('password_hash = ?'), values.push(patch.passwordHash);
    if (patch.passwordChangedAt !== undefined) sets.push('password_changed_at = ?'), values.push(patch.passwordChangedAt);
    if (patch.enabled !== undefined) sets.push('enabled = ?'), values.push(patch.enabled ? 1 : 0);
    if (patch.privileges !== undefined) sets.push('privileges = ?'), values.push(JSON.stringify(patch.privileges));
    if (patch.isAdmin !== undefined) sets.push('is_admin = ?'), values.push(patch.isAdmin ? 1 : 0);
    if (sets.length === 0) return (await this.getUserById(accountId, userId)) !== null;
    const r = this.db
      .prepare(`UPDATE users SET ${sets.join(', ')} WHERE account_id = ? AND user_id = ?`)
      .run(...values, accountId, userId);
    return r.changes > 0;
  }
}

export class SqliteApiKeyStore implements ApiKeyStore {
  private readonly q;

  constructor(db: SqliteDatabase) {
    this.q = {
      insert: db.prepare(
        `INSERT INTO api_keys (account_id, app_key, name, type, secret_hash, access_token_hash, access_token_secret_hash, created_at, revoked_at)
         VALUES (@accountId, @appKey, @name, @type, @secretHash, @accessTokenHash, @accessTokenSecretHash, @createdAt, @revokedAt)`,
      ),
      get: db.prepare('SELECT * FROM api_keys WHERE account_id = ? AND app_key = ?'),
      list: db.prepare('SELECT * FROM api_keys WHERE account_id = ? ORDER BY created_at, app_key'),
      revoke: db.prepare('UPDATE api_keys SET revoked_at = ? WHERE account_id = ? AND app_key = ? AND revoked_at IS NULL'),
    };
  }

  async createApiKey(k: ApiKey): Promise<void> {
    try {
      this.q.insert.run(k);
    } catch (e) {
      if (isUniqueViolation(e)) throw new DuplicateError(`API key ${k.appKey}`);
      throw e;
    }
  }

  async getApiKey(accountId: string, appKey: string): Promise<ApiKey | null> {
    const row = this.q.get.get(accountId, appKey) as ApiKeyRow | undefined;
    return row ? toApiKey(row) : null;
  }

  async listApiKeys(accountId: string): Promise<ApiKey[]> {
    return (this.q.list.all(accountId) as ApiKeyRow[]).map(toApiKey);
  }

  async revokeApiKey(accountId: string, appKey: string, at: number): Promise<boolean> {
    return this.q.revoke.run(at, accountId, appKey).changes > 0;
  }
}
