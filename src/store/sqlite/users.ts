import { deletedLoginNameKey, unresolvedReference } from '../../directory/model.js';
import type { ApiKey, ApiKeyPatch, ApiKeyStore, User, UserPatch, UserStore, UserWrite } from '../../directory/model.js';
import { DuplicateError, UnknownReferenceError } from '../../errors.js';
import { storedLoginNameKey, loginNameKeyOrNull } from '../../users/loginName.js';
import type { SqliteDatabase } from './database.js';
import { SqliteDirectoryTx } from './directory.js';
import { type UserRow, toUser, type ApiKeyRow, toApiKey, API_KEY_COLUMNS, apiKeyColumns, apiKeyPatchColumns, USER_COLUMNS, userColumns, isReplacedUserColumn } from '../rows.js';

const isUniqueViolation = (e: unknown) =>
  ['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY'].includes((e as { code?: string }).code ?? '');

const sqliteValue = (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

export class SqliteUserStore implements UserStore {
  private readonly q;
  private readonly tx: SqliteDirectoryTx;

  constructor(private readonly db: SqliteDatabase) {
    this.tx = new SqliteDirectoryTx(db);
    this.q = {
      insert: db.prepare(`INSERT INTO users (${USER_COLUMNS.join(', ')}) VALUES (${USER_COLUMNS.map((c) => `@${c}`).join(', ')})`),
      replace: db.prepare(
        `UPDATE users SET ${USER_COLUMNS.filter(isReplacedUserColumn).map((c) => `${c} = @${c}`).join(', ')}
         WHERE account_id = @account_id AND user_id = @user_id`,
      ),
      byLogin: db.prepare('SELECT * FROM users WHERE account_id = ? AND login_name_key = ?'),
      byId: db.prepare('SELECT * FROM users WHERE account_id = ? AND user_id = ?'),
      recordLogin: db.prepare('UPDATE users SET last_login_at = ? WHERE account_id = ? AND user_id = ?'),
      list: db.prepare('SELECT * FROM users WHERE account_id = ? AND (deleted = 0 OR ?) ORDER BY login_name_key'),
    };
  }

  private row(u: User) {
    const columns = userColumns(u, u.deleted ? deletedLoginNameKey(u.userId) : storedLoginNameKey(u));
    for (const key of Object.keys(columns) as Array<keyof typeof columns>) (columns as Record<string, unknown>)[key] = sqliteValue(columns[key]);
    return columns;
  }

  async createUser(u: User): Promise<void> {
    await this.writeUsers(u.accountId, { create: [u] });
  }

  async writeUsers(accountId: string, write: UserWrite): Promise<number> {
    try {
      return this.db.transaction(() => {
        this.tx.check(accountId, 'users', write.expectedRevision);
        const users = [...(write.create ?? []), ...(write.replace ?? [])];
        if (users.some((u) => !u.deleted)) {
          const refs = this.tx.references(accountId);
          for (const u of users) {
            const problem = unresolvedReference(u, refs);
            if (problem) throw new UnknownReferenceError(`user ${u.loginName}: ${problem}`);
          }
        }
        for (const u of write.create ?? []) this.q.insert.run(this.row({ ...u, accountId }));
        if (write.replace?.length) {
          this.tx.keepingAnAdministrator(accountId, () => {
            for (const u of write.replace ?? []) {
              if (this.q.replace.run(this.row({ ...u, accountId })).changes === 0) throw new UnknownReferenceError(`user ${u.userId} does not exist`);
            }
          });
        }
        return this.tx.bump(accountId, 'users');
      })();
    } catch (e) {
      if (isUniqueViolation(e)) throw new DuplicateError(`user ${[...(write.create ?? []), ...(write.replace ?? [])].map((u) => u.loginName).join(', ')}`);
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

  async listUsers(accountId: string, options: { includeDeleted?: boolean } = {}): Promise<User[]> {
    return (this.q.list.all(accountId, options.includeDeleted ? 1 : 0) as UserRow[]).map(toUser);
  }

  /** Through the connection's group commit, as the login's counter writes are: no commit of its own. */
  async recordLogin(accountId: string, userId: string, at: number): Promise<void> {
    await this.db.atEndOfTurn(() => this.q.recordLogin.run(at, accountId, userId));
  }

  async updateUser(accountId: string, userId: string, patch: UserPatch): Promise<boolean> {
    const sets: string[] = [];
    const values: unknown[] = [];
    if (patch.passwordHash !== undefined) sets.push('password_hash = ?'), values.push(patch.passwordHash);
    if (patch.passwordChangedAt !== undefined) sets.push('password_changed_at = ?', 'updated_at = ?'), values.push(patch.passwordChangedAt, patch.passwordChangedAt);
    if (patch.enabled !== undefined) sets.push('enabled = ?'), values.push(patch.enabled ? 1 : 0);
    if (patch.changePwdNextLogin !== undefined) sets.push('change_pwd_next_login = ?'), values.push(patch.changePwdNextLogin ? 1 : 0);
    if (sets.length === 0) return (await this.getUserById(accountId, userId)) !== null;
    const update = this.db.prepare(`UPDATE users SET ${sets.join(', ')} WHERE account_id = ? AND user_id = ?`);
    const run = () => update.run(...values, accountId, userId).changes > 0;
    return this.db.transaction(() => {
      const changed = patch.enabled === false ? this.tx.keepingAnAdministrator(accountId, run) : run();
      if (changed) this.tx.bump(accountId, 'users');
      return changed;
    })();
  }
}

export class SqliteApiKeyStore implements ApiKeyStore {
  private readonly q;

  constructor(private readonly db: SqliteDatabase) {
    this.q = {
      insert: db.prepare(`INSERT INTO api_keys (${API_KEY_COLUMNS.join(', ')}) VALUES (${API_KEY_COLUMNS.map((c) => `@${c}`).join(', ')})`),
      get: db.prepare('SELECT * FROM api_keys WHERE account_id = ? AND app_key = ?'),
      list: db.prepare('SELECT * FROM api_keys WHERE account_id = ? ORDER BY created_at, app_key'),
      revoke: db.prepare('UPDATE api_keys SET revoked_at = ? WHERE account_id = ? AND app_key = ? AND revoked_at IS NULL'),
      active: db.prepare('SELECT 1 FROM api_keys WHERE account_id = ? AND app_key = ? AND revoked_at IS NULL').pluck(),
    };
  }

  async createApiKey(k: ApiKey): Promise<void> {
    try {
      this.q.insert.run(apiKeyColumns(k));
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

  async updateApiKey(accountId: string, appKey: string, patch: ApiKeyPatch): Promise<boolean> {
    const sets = apiKeyPatchColumns(patch);
    if (sets.length === 0) return this.q.active.get(accountId, appKey) !== undefined;
    const update = this.db.prepare(`UPDATE api_keys SET ${sets.map(([c]) => `${c} = ?`).join(', ')} WHERE account_id = ? AND app_key = ? AND revoked_at IS NULL`);
    return update.run(...sets.map(([, v]) => v), accountId, appKey).changes > 0;
  }
}
