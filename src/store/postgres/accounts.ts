import type pg from 'pg';
import type { Account, AccountPatch, AccountStore, ServiceBaseURI } from '../../accounts/model.js';
import { DuplicateError } from '../../errors.js';
import { isUniqueViolation } from './database.js';
import { inDirectoryTransaction } from './directory.js';
import { type AccountRow, toAccount } from '../rows.js';

export class PostgresAccountStore implements AccountStore {
  constructor(private readonly pool: pg.Pool) {}

  async createAccount(a: Account): Promise<void> {
    try {
      await inDirectoryTransaction(this.pool, a.accountId, async (tx) => {
        await tx.client.query({
          name: 'accounts.insert',
          text: `INSERT INTO accounts (account_id, name, time_zone, settings, created_at) VALUES ($1, $2, $3, $4, $5)`,
          // JSON is passed as text: node-postgres would turn a JS array into a PostgreSQL array.
          values: [a.accountId, a.name, a.timeZone, JSON.stringify(a.settings), a.createdAt],
        });
        await tx.seed(a.createdAt);
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new DuplicateError(`account ${a.accountId}`);
      throw e;
    }
  }

  async getAccount(accountId: string): Promise<Account | null> {
    const { rows } = await this.pool.query<AccountRow>({ name: 'accounts.get', text: 'SELECT * FROM accounts WHERE account_id = $1', values: [accountId] });
    return rows[0] ? toAccount(rows[0]) : null;
  }

  async listAccounts(): Promise<Account[]> {
    const { rows } = await this.pool.query<AccountRow>({ name: 'accounts.list', text: 'SELECT * FROM accounts ORDER BY account_id' });
    return rows.map(toAccount);
  }

  async updateAccount(accountId: string, patch: AccountPatch): Promise<boolean> {
    const sets: string[] = [];
    const values: unknown[] = [accountId];
    const param = (v: unknown) => (values.push(v), `$${values.length}`);
    if (patch.name !== undefined) sets.push(`name = ${param(patch.name)}`);
    if (patch.timeZone !== undefined) sets.push(`time_zone = ${param(patch.timeZone)}`);
    if (patch.settings !== undefined) sets.push(`settings = ${param(JSON.stringify(patch.settings))}`);
    if (sets.length === 0) return (await this.getAccount(accountId)) !== null;
    const r = await this.pool.query(`UPDATE accounts SET ${sets.join(', ')} WHERE account_id = $1`, values);
    return (r.rowCount ?? 0) > 0;
  }

  async setServiceBaseURI(accountId: string, service: string, baseURI: string): Promise<void> {
    await this.pool.query({
      name: 'service_base_uris.set',
      text: `INSERT INTO service_base_uris (account_id, service, base_uri) VALUES ($1, $2, $3)
             ON CONFLICT (account_id, service) DO UPDATE SET base_uri = excluded.base_uri`,
      values: [accountId, service, baseURI],
    });
  }

  async deleteServiceBaseURI(accountId: string, service: string): Promise<boolean> {
    const r = await this.pool.query({
      name: 'service_base_uris.delete',
      text: 'DELETE FROM service_base_uris WHERE account_id = $1 AND service = $2',
      values: [accountId, service],
    });
    return (r.rowCount ?? 0) > 0;
  }

  async listServiceBaseURIs(accountId: string): Promise<ServiceBaseURI[]> {
    const { rows } = await this.pool.query<ServiceBaseURI>({
      name: 'service_base_uris.list',
      text: 'SELECT service, base_uri AS "baseURI" FROM service_base_uris WHERE account_id = $1 ORDER BY service',
      values: [accountId],
    });
    return rows;
  }
}
