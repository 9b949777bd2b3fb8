/**
 * Migration 7: new accounts get a longest session life and a cap on sessions
 * per user by default, while accounts of the previous version, which kept the
 * old defaults (no limit, no cap), keep them. Every SQL backend.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { accountSettings } from '../../src/accounts/model.js';
import { createAccount } from '../../src/accounts/service.js';
import { ManualClock } from '../../src/clock.js';
import { openPostgresStores } from '../../src/store/postgres/index.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { openSqlite } from '../../src/store/sqlite/database.js';
import { openSqliteStores } from '../../src/store/sqlite/index.js';
import { SQLITE_MIGRATIONS, registerMigrationFunctions } from '../../src/store/sqlite/migrations.js';
import type { Stores } from '../../src/store/index.js';
import { createTestDatabase } from '../store/postgresDatabase.js';

const SCHEMA_BEFORE = 6;

/** Accounts as the previous version stored them: only what differed from its defaults. */
const OLD_ACCOUNTS: Array<[accountId: string, settings: object]> = [
  ['1', {}],
  ['2', { absoluteSessionLifetimeMs: 3_600_000 }],
  ['3', { maxSessionsPerUser: 3, sessionTtlMs: 600_000, rejectCommonPasswords: false }],
];

async function checkMigrated(stores: Stores): Promise<void> {
  const settingsOf = async (id: string) => accountSettings((await stores.accounts.getAccount(id))!);
  const one = await settingsOf('1');
  assert.equal(one.absoluteSessionLifetimeMs, 0, 'an account that kept the old default keeps no limit');
  assert.equal(one.maxSessionsPerUser, 0);
  assert.equal(one.sessionTtlMs, 8 * 3_600_000, 'other defaults are untouched');
  const two = await settingsOf('2');
  assert.equal(two.absoluteSessionLifetimeMs, 3_600_000, 'a value the account set is kept');
  assert.equal(two.maxSessionsPerUser, 0);
  const three = await settingsOf('3');
  assert.deepEqual([three.absoluteSessionLifetimeMs, three.maxSessionsPerUser, three.sessionTtlMs, three.rejectCommonPasswords], [0, 3, 600_000, false]);

  const created = await createAccount(stores, new ManualClock(5_000), { accountId: '4', name: 'New' });
  const fresh = accountSettings(created);
  assert.equal(fresh.absoluteSessionLifetimeMs, 24 * 3_600_000, 'a new account gets the new defaults');
  assert.equal(fresh.maxSessionsPerUser, 10);
  assert.deepEqual((await stores.accounts.getAccount('4'))!.settings, {}, 'and stores none of them');
}

describe('default session limits migration: SQLite', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'login-service-defaults-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('existing accounts keep no limit; new ones get the defaults', async () => {
    const path = join(dir, 'old.db');
    const old = openSqlite(path, { migrate: false });
    registerMigrationFunctions(old);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    for (let v = 1; v <= SCHEMA_BEFORE; v++) {
      const step = SQLITE_MIGRATIONS[v - 1]!;
      if (typeof step === 'string') old.exec(step);
      else step(old);
      old.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)').run(v);
    }
    const insert = old.prepare(`INSERT INTO accounts (account_id, name, time_zone, settings, created_at) VALUES (?, 'Old', 'UTC', ?, 0)`);
    for (const [accountId, settings] of OLD_ACCOUNTS) insert.run(accountId, JSON.stringify(settings));
    old.close();

    const stores = openSqliteStores(path);
    try {
      await checkMigrated(stores);
    } finally {
      await stores.close();
    }
  });
});

const serverUrl = process.env.TEST_DATABASE_URL;
describe('default session limits migration: PostgreSQL', { skip: serverUrl ? false : 'set TEST_DATABASE_URL' }, () => {
  test('existing accounts keep no limit; new ones get the defaults', async () => {
    const db = await createTestDatabase(serverUrl!);
    try {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        await client.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
        for (let v = 1; v <= SCHEMA_BEFORE; v++) {
          const step = POSTGRES_MIGRATIONS[v - 1]!;
          if (typeof step === 'string') await client.query(step);
          else await step(client as unknown as pg.PoolClient);
          await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)', [v]);
        }
        for (const [accountId, settings] of OLD_ACCOUNTS) {
          await client.query(`INSERT INTO accounts (account_id, name, time_zone, settings, created_at) VALUES ($1, 'Old', 'UTC', $2, 0)`, [accountId, JSON.stringify(settings)]);
        }
      } finally {
        await client.end();
      }
      const stores = await openPostgresStores(db.url);
      try {
        await checkMigrated(stores);
      } finally {
        await stores.close();
      }
    } finally {
      await db.drop();
    }
  });
});
