import type pg from 'pg';
import { deletedLoginNameKey, unresolvedReference } from '../../directory/model.js';
import type { ApiKey, ApiKeyPatch, ApiKeyStore, User, UserPatch, UserStore, UserWrite } from '../../directory/model.js';
import { DuplicateError, UnknownReferenceError } from '../../errors.js';
import { storedLoginNameKey, loginNameKeyOrNull } from '../../users/loginName.js';
import { isUniqueViolation } from './database.js';
import { inDirectoryTransaction } from './directory.js';
import { type UserRow, toUser, type ApiKeyRow, toApiKey, API_KEY_COLUMNS, apiKeyColumns, apiKeyPatchColumns, USER_COLUMNS, userColumns, isReplacedUserColumn } from '../rows.js';

const INSERT_USER = `INSERT INTO users (${USER_COLUMNS.join(', ')}) VALUES (${USER_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;
const REPLACED_COLUMNS = USER_COLUMNS.filter(isReplacedUserColumn);
const REPLACE_USER = `UPDATE users SET ${REPLACED_COLUMNS.map((c, i) => `${c} = $${i + 1}`).join(', ')}
  WHERE user_id = $${REPLACED_COLUMNS.length + 1} AND account_id = $${REPLACED_COLUMNS.length + 2}`;

const columnsOf = (u: User): Record<string, unknown> => userColumns(u, u.deleted ? deletedLoginNameKey(u.userId) : storedLoginNameKey(u));
const userValues = (u: User) => Object.values(columnsOf(u));
const replaceValues = (u: User) => {
  const columns = columnsOf(u);
  return [...REPLACED_COLUMNS.map((c) => columns[c]), u.userId, u.accountId];
};

export class PostgresUserStore implements UserStore {
  constructor(private readonly pool: pg.Pool) {}

  async createUser(u: User): Promise<void> {
    await this.writeUsers(u.accountId, { create: [u] });
  }

  async writeUsers(accountId: string, write: UserWrite): Promise<number> {
    const users = [...(write.create ?? []), ...(write.replace ?? [])];
    try {
      return await inDirectoryTransaction(this.pool, accountId, async (tx) => {
        await tx.check('users', write.expectedRevision);
        if (users.some((u) => !u.deleted)) {
          const refs = await tx.references();
          for (const u of users) {
            const problem = unresolvedReference(u, refs);
            if (problem) throw new UnknownReferenceError(`user ${u.loginName}: ${problem}`);
          }
        }
        for (const u of write.create ?? []) await tx.client.query({ name: 'users.insert', text: INSERT_USER, values: userValues({ ...u, accountId }) });
        if (write.replace?.length) {
          await tx.keepingAnAdministrator(async () => {
            for (const u of write.replace ?? []) {
              const r = await tx.client.query({ name: 'users.replace', text: REPLACE_USER, values: replaceValues({ ...u, accountId }) });
              if ((r.rowCount ?? 0) === 0) throw new UnknownReferenceError(`user ${u.userId} does not exist`);
            }
          });
        }
        return tx.bump('users');
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new DuplicateError(`user ${users.map((u) => u.loginName).join(', ')}`);
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

  async listUsers(accountId: string, options: { includeDeleted?: boolean } = {}): Promise<User[]> {
    const { rows } = await this.pool.query<UserRow>({
      name: 'users.list',
      text: 'SELECT * FROM users WHERE account_id = $1 AND (NOT deleted OR $2) ORDER BY login_name_key',
      values: [accountId, options.includeDeleted === true],
    });
    return rows.map(toUser);
  }

  async recordLogin(accountId: string, userId: string, at: number): Promise<void> {
    await this.pool.query({ name: 'users.recordLogin', text: 'UPDATE users SET last_login_at = $1 WHERE account_id = $2 AND user_id = $3', values: [at, accountId, userId] });
  }

  async updateUser(accountId: string, userId: string, patch: UserPatch): Promise<boolean> {
    const sets: string[] = [];
    const values: unknown[] = [accountId, userId];
    const param = (v: unknown) => (values.push(v), `$${values.length}`);
    if (patch.passwordHash !== undefined) sets.push(`password_hash = ${param(patch.passwordHash)}`);
    if (patch.passwordChangedAt !== undefined) sets.push(`password_changed_at = ${param(patch.passwordChangedAt)}`, `updated_at = ${param(patch.passwordChangedAt)}`);
    if (patch.enabled !== undefined) sets.push(`enabled = ${param(patch.enabled)}`);
    if (patch.changePwdNextLogin !== undefined) sets.push(`change_pwd_next_login = ${param(patch.changePwdNextLogin)}`);
    if (sets.length === 0) return (await this.getUserById(accountId, userId)) !== null;
    return inDirectoryTransaction(this.pool, accountId, async (tx) => {
      const run = async () => ((await tx.client.query(`UPDATE users SET ${sets.join(', ')} WHERE account_id = $1 AND user_id = $2`, values)).rowCount ?? 0) > 0;
      const changed = patch.enabled === false ? await tx.keepingAnAdministrator(run) : await run();
      if (changed) await tx.bump('users');
      return changed;
    });
  }
}

export class PostgresApiKeyStore implements ApiKeyStore {
  constructor(private readonly pool: pg.Pool) {}

  async createApiKey(k: ApiKey): Promise<void> {
    try {
      await this.pool.query({
        name: 'api_keys.insert',
        text: `INSERT INTO api_keys (${API_KEY_COLUMNS.join(', ')}) VALUES (${API_KEY_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
        values: Object.values(apiKeyColumns(k)),
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

  async updateApiKey(accountId: string, appKey: string, patch: ApiKeyPatch): Promise<boolean> {
    const sets = apiKeyPatchColumns(patch);
    const text =
      sets.length === 0
        ? 'SELECT 1 FROM api_keys WHERE account_id = $1 AND app_key = $2 AND revoked_at IS NULL'
        : `UPDATE api_keys SET ${sets.map(([c], i) => `${c} = $${i + 3}`).join(', ')} WHERE account_id = $1 AND app_key = $2 AND revoked_at IS NULL`;
    const r = await this.pool.query(text, [accountId, appKey, ...sets.map(([, v]) => v)]);
    return (r.rowCount ?? 0) > 0;
  }
}
