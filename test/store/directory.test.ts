/**
 * The account directory beyond the contract: the migration that maps users
 * of the previous schema onto profiles (both SQL backends), and the
 * revision counter under concurrent writers on two PostgreSQL instances.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { privilegesOf } from '../../src/directory/profiles.js';
import type { Stores } from '../../src/store/index.js';
import { openSqlite } from '../../src/store/sqlite/database.js';
import { openSqliteStores } from '../../src/store/sqlite/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { openPostgresStores } from '../../src/store/postgres/index.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { createTestDatabase, type TestDatabase } from './postgresDatabase.js';

/** Rows as the previous schema's code wrote them: agent groups on the account, privileges and is_admin on users. */
const PREVIOUS_ROWS = [
  `INSERT INTO accounts (account_id, name, time_zone, agent_groups, agent_groups_revision, settings, created_at)
   VALUES ('1', 'One', 'UTC', '[{"id":-1,"name":"Main Group","deleted":false},{"id":12,"name":"Night shift","deleted":false},{"id":13,"name":"Old","deleted":true}]', 4, '{}', 1000)`,
  `INSERT INTO accounts (account_id, name, time_zone, agent_groups, agent_groups_revision, settings, created_at)
   VALUES ('2', 'Two', 'UTC', '[{"id":-1,"name":"Main Group","deleted":false}]', 1, '{}', 1000)`,
  ...[
    ['10', '1', 'boss', 'true', '[100,101]'],
    ['11', '1', 'agent', 'false', '[100,101]'],
    ['12', '1', 'plain', 'false', '[]'],
    ['13', '1', 'other', 'false', '[1800]'],
    ['20', '2', 'admin', 'true', '[]'],
  ].map(
    ([id, account, name, admin, privileges]) =>
      `INSERT INTO users (user_id, account_id, login_name, login_name_key, user_pid, is_bot, app_key, password_hash, password_changed_at,
         privileges, is_admin, is_lpa, enabled, created_at)
       VALUES ('${id}', '${account}', '${name}', '${name}', 'pid-${id}', false, NULL, 'h', 1000, '${privileges}', ${admin}, false, true, 2000)`,
  ),
];

async function assertMapped(stores: Stores): Promise<void> {
  const groups = await stores.directory.listAgentGroups('1', { includeDeleted: true });
  assert.deepEqual(groups.map((g) => [g.id, g.name, g.parentGroupId, g.deleted]), [
    [-1, 'Main Group', null, false],
    [12, 'Night shift', -1, false],
    [13, 'Old', -1, true],
  ]);
  assert.equal(await stores.directory.revision('1', 'agentGroups'), 4, 'the groups revision carries over');
  const profiles = await stores.directory.listProfiles('1');
  const grants = async (id: string) => privilegesOf((await stores.users.getUserById('1', id))!.profileIds, profiles);
  assert.deepEqual(await grants('10'), { privileges: [100, 101], isAdmin: true });
  assert.deepEqual(await grants('11'), { privileges: [100, 101], isAdmin: false });
  assert.deepEqual(await grants('12'), { privileges: [], isAdmin: false });
  assert.deepEqual(await grants('13'), { privileges: [1800], isAdmin: false });
  assert.deepEqual((await stores.users.getUserById('1', '12'))!.profileIds, [2]);
  assert.deepEqual((await stores.users.getUserById('1', '12'))!.memberOf, { agentGroupId: -1, assignmentDate: 2000 });
  assert.equal(profiles.filter((p) => !p.builtIn).length, 2, 'one profile per distinct privilege list');
  const admin = (await stores.users.getUserById('2', '20'))!;
  assert.deepEqual(privilegesOf(admin.profileIds, await stores.directory.listProfiles('2')), { privileges: [], isAdmin: true });
  // The migrated account takes new writes.
  await stores.directory.writeProfiles('1', { create: [{ name: 'New', description: '', roleTypeId: 2, permissions: [], builtIn: false, updatedAt: 0 }] });
}

test('SQLite: a file of the previous schema is migrated; its users keep their privileges and administrator flag through profiles', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ls-directory-'));
  try {
    const path = join(dir, 'previous.db');
    const old = openSqlite(path, { migrate: false });
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    SQLITE_MIGRATIONS.slice(0, 2).forEach((sql, i) => {
      old.exec(sql as string);
      old.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)').run(i + 1);
    });
    for (const sql of PREVIOUS_ROWS) old.exec(sql.replace(/\btrue\b/g, '1').replace(/\bfalse\b/g, '0'));
    old.close();
    const stores = openSqliteStores(path);
    try {
      await assertMapped(stores);
    } finally {
      await stores.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const serverUrl = process.env.TEST_DATABASE_URL;

if (serverUrl) {
  describe('PostgreSQL directory', () => {
    let db: TestDatabase;
    before(async () => {
      db = await createTestDatabase(serverUrl);
    });
    after(async () => {
      await db?.drop();
    });

    test('a database of the previous schema is migrated; its users keep their privileges and administrator flag through profiles', async () => {
      const previous = await createTestDatabase(serverUrl);
      const client = new pg.Client({ connectionString: previous.url });
      await client.connect();
      try {
        await client.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
        for (const [i, sql] of POSTGRES_MIGRATIONS.slice(0, 2).entries()) {
          await client.query(sql as string);
          await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)', [i + 1]);
        }
        for (const sql of PREVIOUS_ROWS) await client.query(sql);
        const stores = await openPostgresStores(previous.url);
        try {
          await assertMapped(stores);
        } finally {
          await stores.close();
        }
      } finally {
        await client.end();
        await previous.drop();
      }
    });

    test('two instances writing at once: the revision counts every write, and no id is given twice', async () => {
      const [a, b] = [await openPostgresStores(db.url, { maxConnections: 4 }), await openPostgresStores(db.url, { maxConnections: 4 })];
      try {
        const t = Date.now();
        await a.accounts.createAccount({ accountId: '9', name: 'Nine', timeZone: 'UTC', settings: {}, createdAt: t });
        const start = await a.directory.revision('9', 'agentGroups');
        const writes = 40;
        const results = await Promise.all(
          Array.from({ length: writes }, (_, i) =>
            (i % 2 ? a : b).directory.writeAgentGroups('9', {
              create: [{ name: `Group ${i}`, description: '', parentGroupId: -1, isEnabled: true, deleted: false, updatedAt: t }],
            }),
          ),
        );
        assert.equal(await b.directory.revision('9', 'agentGroups'), start + writes);
        assert.deepEqual(
          results.map((r) => r.revision).sort((x, y) => x - y),
          Array.from({ length: writes }, (_, i) => start + i + 1),
          'each write saw its own revision',
        );
        assert.equal(new Set(results.flatMap((r) => r.ids)).size, writes);
        assert.equal((await a.directory.listAgentGroups('9')).length, writes + 1);

        const userRevision = await a.directory.revision('9', 'users');
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 ? a : b).users.createUser({
              accountId: '9', userId: `9${String(i).padStart(4, '0')}`, userPid: `pid-9-${i}`, loginName: `user-${i}`, isBot: false, appKey: null,
              passwordHash: 'h', passwordChangedAt: t, lastLoginAt: null, isLPA: false, enabled: true, createdAt: t, fullName: '', nickname: '', email: '',
              employeeId: '', description: '', mobileNumber: '', maxChats: 0, skillIds: [], memberOf: null, managerOf: [], profileIds: [2],
              changePwdNextLogin: false, deleted: false, updatedAt: t,
            }),
          ),
        );
        assert.equal(await a.directory.revision('9', 'users'), userRevision + 20);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
