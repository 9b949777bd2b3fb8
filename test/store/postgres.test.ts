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
  const TABLES = ['accounts', 'service_base_uris', 'users', 'api_keys', 'sessions', 'counters', 'events', 'agent_groups', 'profiles', 'revisions',
    'oauth_codes', 'oauth_refresh_tokens', 'oauth_revoked_families', 'oauth_revoked_access_tokens', 'signing_keys',
    'totp_factors', 'recovery_codes', 'passkeys', 'factor_tickets'];
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
  }, async () => openPostgresStores(db.url, { migrate: false }));

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

    test('a database made by the first schema is migrated: its sessions and the previous version\'s inserts keep working, refreshes update rows in place', async () => {
      const first = await createTestDatabase(serverUrl);
      const client = new pg.Client({ connectionString: first.url });
      await client.connect();
      try {
        await client.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
        await client.query(POSTGRES_MIGRATIONS[0] as string);
        await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0)');
        const t = Date.now();
        const HOUR = 3_600_000;
        // How the first schema's code inserted a session.
        const insertV1 = `INSERT INTO sessions (id_hash, bearer_hash, csrf_hash, account_id, user_id, login_name, privileges, is_admin, is_lpa,
            app_key, wsuk, created_at, expires_at, ttl_ms, hard_expires_at, client_ip, user_agent)
          VALUES ($1, $2, 'c', '1', '10', 'agent', '[]', false, false, NULL, '100000000000000000', $3, $4, $5, NULL, NULL, NULL)`;
        await client.query(insertV1, ['i1', 'b1', t, t + HOUR, HOUR]);
        const stores = await openPostgresStores(first.url);
        try {
          assert.equal((await stores.sessions.findSessionByBearer('b1'))?.expiresAt, t + HOUR);
          assert.equal(await stores.sessions.countLiveSessions(t), 1);
          for (let i = 1; i <= 20; i++) assert.equal(await stores.sessions.extendSession('i1', t + HOUR + i), true);
          // An instance of the previous version, not yet rolled, inserts without sweep_after.
          await client.query(insertV1, ['i2', 'b2', t, t + 3 * HOUR, HOUR]);
          assert.equal(await stores.sessions.countLiveSessions(t + 2 * HOUR), 1, "the previous version's session is live");
          assert.equal(await stores.sessions.deleteExpiredSessions(t + HOUR), 0, 'extended past its old expiry');
          assert.equal(await stores.sessions.deleteExpiredSessions(t + HOUR + 20), 1);
          assert.equal(await stores.sessions.deleteExpiredSessions(t + 3 * HOUR), 1, "the previous version's session is swept at its expiry");
        } finally {
          await stores.close();
        }
        // The store's connections have ended, so their statistics are flushed: the refreshes were HOT updates.
        let stats = { hot: 0, updates: 0 };
        for (let attempt = 0; attempt < 50 && stats.updates < 20; attempt++) {
          await client.query('SELECT pg_stat_clear_snapshot()');
          const { rows } = await client.query<{ hot: string; updates: string }>(
            `SELECT n_tup_hot_upd AS hot, n_tup_upd AS updates FROM pg_stat_user_tables WHERE relname = 'sessions'`,
          );
          stats = { hot: Number(rows[0]?.hot ?? 0), updates: Number(rows[0]?.updates ?? 0) };
          if (stats.updates < 20) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.ok(stats.updates >= 20, `updates counted: ${stats.updates}`);
        assert.ok(stats.hot >= 20, `HOT updates: ${stats.hot} of ${stats.updates}`);
      } finally {
        await client.end();
        await first.drop();
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
