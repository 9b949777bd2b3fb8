/**
 * The migration that recomputes login-name keys (PRECIS usernames) on a store
 * written by the previous version, which only lower-cased them: every backend.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPostgresStores } from '../../src/store/postgres/index.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { openSqlite } from '../../src/store/sqlite/database.js';
import { openSqliteStores } from '../../src/store/sqlite/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import type { Stores } from '../../src/store/index.js';
import { findLoginNameConflicts } from '../../src/users/loginNameConflicts.js';
import { createTestDatabase } from './postgresDatabase.js';

/** Users as the previous version stored them: its key was the lower-cased name. */
const OLD_USERS: Array<[userId: string, loginName: string, createdAt: number]> = [
  ['1000000001', 'admin', 1_000],
  ['1000000002', 'ａｄｍｉｎ', 2_000],
  ['1000000003', 'admin\u200b', 3_000],
  ['1000000004', 'cafe\u0301', 4_000],
  ['1000000005', 'caf\u00e9', 5_000],
  ['1000000006', 'Agent.Smith', 6_000],
  ['1000000007', 'Stra\u00dfe', 7_000],
];
const SCHEMA_BEFORE = 2;

const userRow = ([userId, loginName, createdAt]: (typeof OLD_USERS)[number]) =>
  [userId, '1', loginName, loginName.toLowerCase(), `pid-${userId}`, null, '[]', createdAt] as const;

async function checkMigrated(stores: Stores): Promise<void> {
  const byName = async (name: string) => (await stores.users.getUserByLoginName('1', name))?.userId ?? null;
  assert.equal(await byName('admin'), '1000000001');
  assert.equal(await byName('ＡＤＭＩＮ'), '1000000001', 'the look-alike reaches the oldest holder of the name');
  assert.equal(await byName('admin\u200b'), null, 'a name no longer valid finds nobody');
  assert.equal(await byName('caf\u00e9'), '1000000004', 'the older spelling keeps the name');
  assert.equal(await byName('CAFE\u0301'), '1000000004');
  assert.equal(await byName('agent.smith'), '1000000006', 'ASCII names are unchanged');
  assert.equal(await byName('STRASSE'), '1000000007', 'full case folding');

  // Nobody was merged or removed.
  assert.equal((await stores.users.listUsers('1')).length, OLD_USERS.length);
  for (const [userId, loginName] of OLD_USERS) assert.equal((await stores.users.getUserById('1', userId))?.loginName, loginName);

  const conflicts = await findLoginNameConflicts(stores);
  assert.deepEqual(
    conflicts.map((c) => [c.holder?.userId ?? null, c.others.map((u) => u.userId)]).sort(),
    [
      ['1000000001', ['1000000002']],
      ['1000000004', ['1000000005']],
      [null, ['1000000003']],
    ].sort(),
  );
  assert.deepEqual(await findLoginNameConflicts(stores, '2'), []);
}

describe('login-name key migration: SQLite', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'login-service-names-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('recomputes keys, keeps every user, and reports the collisions', async () => {
    const path = join(dir, 'old.db');
    const old = openSqlite(path, { migrate: false });
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    for (let v = 1; v <= SCHEMA_BEFORE; v++) {
      old.exec(SQLITE_MIGRATIONS[v - 1] as string);
      old.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)').run(v);
    }
    old.prepare(`INSERT INTO accounts VALUES ('1', 'One', 'UTC', '[]', 0, '{}', 0)`).run();
    const insert = old.prepare(
      `INSERT INTO users (user_id, account_id, login_name, login_name_key, user_pid, is_bot, app_key, password_hash, password_changed_at,
         privileges, is_admin, is_lpa, enabled, created_at) VALUES (?, ?, ?, ?, ?, 0, NULL, ?, NULL, ?, 0, 0, 1, ?)`,
    );
    for (const user of OLD_USERS) insert.run(...userRow(user));
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
describe('login-name key migration: PostgreSQL', { skip: serverUrl ? false : 'set TEST_DATABASE_URL' }, () => {
  test('recomputes keys, keeps every user, and reports the collisions', async () => {
    const db = await createTestDatabase(serverUrl!);
    try {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        await client.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
        for (let v = 1; v <= SCHEMA_BEFORE; v++) {
          await client.query(POSTGRES_MIGRATIONS[v - 1] as string);
          await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)', [v]);
        }
        await client.query(`INSERT INTO accounts VALUES ('1', 'One', 'UTC', '[]', 0, '{}', 0)`);
        for (const user of OLD_USERS) {
          await client.query(
            `INSERT INTO users (user_id, account_id, login_name, login_name_key, user_pid, is_bot, app_key, password_hash, password_changed_at,
               privileges, is_admin, is_lpa, enabled, created_at) VALUES ($1, $2, $3, $4, $5, false, NULL, $6, NULL, $7, false, false, true, $8)`,
            [...userRow(user)],
          );
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
