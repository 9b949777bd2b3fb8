import type { Account, AccountPatch, AccountStore, ServiceBaseURI } from '../../accounts/model.js';
import { DuplicateError } from '../../errors.js';
import type { SqliteDatabase } from './database.js';
import { SqliteDirectoryStore } from './directory.js';
import { type AccountRow, toAccount } from '../rows.js';

export class SqliteAccountStore implements AccountStore {
  private readonly q;

  private readonly directory: SqliteDirectoryStore;

  constructor(private readonly db: SqliteDatabase) {
    this.directory = new SqliteDirectoryStore(db);
    this.q = {
      insert: db.prepare(
        `INSERT INTO accounts (account_id, name, time_zone, settings, created_at)
         VALUES (@accountId, @name, @timeZone, @settings, @createdAt)`,
      ),
      get: db.prepare('SELECT * FROM accounts WHERE account_id = ?'),
      list: db.prepare('SELECT * FROM accounts ORDER BY account_id'),
      setUri: db.prepare(
        `INSERT INTO service_base_uris (account_id, service, base_uri) VALUES (?, ?, ?)
         ON CONFLICT (account_id, service) DO UPDATE SET base_uri = excluded.base_uri`,
      ),
      deleteUri: db.prepare('DELETE FROM service_base_uris WHERE account_id = ? AND service = ?'),
      listUris: db.prepare('SELECT service, base_uri AS baseURI FROM service_base_uris WHERE account_id = ? ORDER BY service'),
    };
  }

  async createAccount(a: Account): Promise<void> {
    try {
      this.db.transaction(() => {
        this.q.insert.run({ accountId: a.accountId, name: a.name, timeZone: a.timeZone, createdAt: a.createdAt, settings: JSON.stringify(a.settings) });
        this.directory.seedAccount(a.accountId, a.createdAt);
      })();
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DuplicateError(`account ${a.accountId}`);
      throw e;
    }
  }

  async getAccount(accountId: string): Promise<Account | null> {
    const row = this.q.get.get(accountId) as AccountRow | undefined;
    return row ? toAccount(row) : null;
  }

  async listAccounts(): Promise<Account[]> {
    return (this.q.list.all() as AccountRow[]).map(toAccount);
  }

  async updateAccount(accountId: string, patch: AccountPatch): Promise<boolean> {
    const sets: string[] = [];
    const values: unknown[] = [];
    if (patch.name !== undefined) sets.push('name = ?'), values.push(patch.name);
    if (patch.timeZone !== undefined) sets.push('time_zone = ?'), values.push(patch.timeZone);
    if (patch.settings !== undefined) sets.push('settings = ?'), values.push(JSON.stringify(patch.settings));
    if (sets.length === 0) return (await this.getAccount(accountId)) !== null;
    const r = this.db.prepare(`UPDATE accounts SET ${sets.join(', ')} WHERE account_id = ?`).run(...values, accountId);
    return r.changes > 0;
  }

  async setServiceBaseURI(accountId: string, service: string, baseURI: string): Promise<void> {
    this.q.setUri.run(accountId, service, baseURI);
  }

  async deleteServiceBaseURI(accountId: string, service: string): Promise<boolean> {
    return this.q.deleteUri.run(accountId, service).changes > 0;
  }

  async listServiceBaseURIs(accountId: string): Promise<ServiceBaseURI[]> {
    return this.q.listUris.all(accountId) as ServiceBaseURI[];
  }
}
