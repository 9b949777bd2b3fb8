/**
 * The PostgreSQL backend: the storage contract plus migrations. Runs when
 * TEST_DATABASE_URL names a server (e.g. postgres://postgres@127.0.0.1:5432/test);
 * each run creates its own databases there and drops them at the end.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openStores } from '../../src/store/index.js';
import { migratePostgres, openPostgresStores } from '../../src/store/postgres/index.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { storeContract } from './contract.js';
import { createTestDatabase, type TestDatabase } from './postgresDatabase.js';

const serverUrl = process.env.TEST_DATABASE_URL;

if (!serverUrl) {
  test('PostgreSQL backend: not exercised (TEST_DATABASE_URL is not set)', (t) => {
    assert.ok(!process.env.TEST_DATABASE_URL);
    t.diagnostic('PostgreSQL backend not exercised: set TEST_DATABASE_URL=postgres://USER@HOST:PORT/DB to run its storage contract');
  });
} else {
  const TABLES = ['accounts', 'service_base_uris', 'users', 'api_keys', 'sessions', 'counters', 'events'];
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase(serverUrl);
    const stores = await openPostgresStores(db.url);
    await stores.close();
  });
  after(async () => {
    await db?.drop();
  });

  storeContract('PostgreSQL', async () => {
    const stores = await openPostgresStores(db.url, { migrate: false });
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      await pool.query(`TRUNCATE ${TABLES.join(', ')} RESTART IDENTITY`);
    } finally {
      await pool.end();
    }
    return stores;
  });

  describe('PostgreSQL migrations', () => {
    let fresh: TestDatabase;
    before(async () => {
      fresh = await createTestDatabase(serverUrl);
    });
    after(async () => {
      await fresh?.drop();
    });

    test('two processes starting together migrate once between them; later runs find nothing to do', async () => {
      const applied = await Promise.all([migratePostgres(fresh.url), migratePostgres(fresh.url), migratePostgres(fresh.url)]);
      assert.deepEqual([...applied].sort(), [0, 0, POSTGRES_MIGRATIONS.length]);
      assert.equal(await migratePostgres(fresh.url), 0);
      const client = new pg.Client({ connectionString: fresh.url });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT version FROM schema_migrations ORDER BY version');
        assert.deepEqual(
          rows.map((r) => r.version),
          POSTGRES_MIGRATIONS.map((_, i) => i + 1),
        );
      } finally {
        await client.end();
      }
    });

    test('migrate: false leaves an empty database alone', async () => {
      const empty = await createTestDatabase(serverUrl);
      try {
        const stores = await openPostgresStores(empty.url, { migrate: false });
        try {
          await stores.ping();
          await assert.rejects(stores.accounts.listAccounts(), /relation "accounts" does not exist/);
        } finally {
          await stores.close();
        }
      } finally {
        await empty.drop();
      }
    });

    test('openStores opens postgres:// URLs with this backend', async () => {
      const stores = await openStores({ databaseUrl: db.url });
      try {
        assert.equal(stores.backend, 'postgres');
        await stores.ping();
      } finally {
        await stores.close();
      }
    });

    test('a server that cannot be reached fails the open with the driver\'s error', async () => {
      const unreachable = new URL(db.url);
      unreachable.port = '1';
      await assert.rejects(openPostgresStores(unreachable.toString()), /ECONNREFUSED/);
    });
  });
}
