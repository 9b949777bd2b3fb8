import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/store/sqlite/database.js';
import { openSqliteStores } from '../../src/store/sqlite/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { storeContract } from './contract.js';

storeContract('SQLite in memory', async () => openSqliteStores(':memory:'));

let dir = '';
let files = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'login-service-store-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

storeContract('SQLite file', async () => openSqliteStores(join(dir, `stores-${++files}.db`)));

describe('SQLite sessions schema', () => {
  const HOUR = 3_600_000;

  /** How the first schema's code inserted a session. */
  const insertV1 = `INSERT INTO sessions (id_hash, bearer_hash, csrf_hash, account_id, user_id, login_name, privileges, is_admin, is_lpa,
      app_key, wsuk, created_at, expires_at, ttl_ms, hard_expires_at, client_ip, user_agent)
    VALUES (?, ?, 'c', '1', '10', 'agent', '[]', 0, 0, NULL, '100000000000000000', ?, ?, ?, NULL, NULL, NULL)`;

  test('a file made by the first schema is migrated: its sessions, and those the previous version still inserts, are swept at their expiry', async () => {
    const path = join(dir, 'first-schema.db');
    const old = openSqlite(path, { migrate: false });
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    old.exec(SQLITE_MIGRATIONS[0]!);
    old.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0)').run();
    const t = Date.now();
    old.prepare(insertV1).run('i1', 'b1', t, t + HOUR, HOUR);
    old.close();

    const stores = openSqliteStores(path);
    try {
      assert.equal((await stores.sessions.findSessionByBearer('b1'))?.expiresAt, t + HOUR);
      assert.equal(await stores.sessions.countLiveSessions(t), 1);
      assert.equal(await stores.sessions.extendSession('i1', t + 2 * HOUR), true);
      // A process of the previous version, sharing the file, inserts without sweep_after.
      const previous = openSqlite(path, { migrate: false });
      previous.prepare(insertV1).run('i2', 'b2', t, t + 3 * HOUR, HOUR);
      previous.close();
      assert.equal(await stores.sessions.countLiveSessions(t + 2 * HOUR), 1, "the previous version's session is live");
      assert.equal(await stores.sessions.deleteExpiredSessions(t + HOUR), 0, 'extended past its old expiry');
      assert.equal(await stores.sessions.deleteExpiredSessions(t + 2 * HOUR), 1);
      assert.equal(await stores.sessions.deleteExpiredSessions(t + 3 * HOUR), 1, "the previous version's session is swept at its expiry");
    } finally {
      await stores.close();
    }
  });

  test('no index covers expires_at, so a refresh rewrites only the row; the sweep has an index of its own', () => {
    const db = openSqlite(':memory:');
    try {
      const indexed = (db.pragma('index_list(sessions)') as Array<{ name: string }>).flatMap((index) =>
        (db.pragma(`index_info(${index.name})`) as Array<{ name: string }>).map((column) => column.name),
      );
      assert.ok(indexed.includes('bearer_hash') && indexed.includes('sweep_after'), `indexed columns: ${indexed.join(', ')}`);
      assert.ok(!indexed.includes('expires_at'), `indexed columns: ${indexed.join(', ')}`);
      const plan = (db.prepare('EXPLAIN QUERY PLAN DELETE FROM sessions WHERE sweep_after <= @now AND expires_at <= @now').all({ now: 0 }) as Array<{ detail: string }>)
        .map((step) => step.detail)
        .join('; ');
      assert.match(plan, /sessions_by_sweep/);
      const refreshPlan = (db.prepare('EXPLAIN QUERY PLAN UPDATE sessions SET expires_at = @expiresAt WHERE id_hash = @idHash AND sweep_after <= @expiresAt').all({ expiresAt: 0, idHash: 'x' }) as Array<{ detail: string }>)
        .map((step) => step.detail)
        .join('; ');
      assert.match(refreshPlan, /\(id_hash=\?\)/, 'a refresh finds its row by the session digest, not by a sweep_after range');
    } finally {
      db.close();
    }
  });
});
