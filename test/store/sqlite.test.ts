import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES, openSqlite } from '../../src/store/sqlite/database.js';
import { WAL_RESTART_FRAMES } from '../../src/store/sqlite/checkpointer.js';
import { openSqliteStores } from '../../src/store/sqlite/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteSessionStore } from '../../src/store/sqlite/sessions.js';
import { session, storeContract } from './contract.js';

storeContract('SQLite in memory', async () => openSqliteStores(':memory:'));

let dir = '';
let files = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'login-service-store-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

storeContract(
  'SQLite file',
  async () => openSqliteStores(join(dir, `stores-${++files}.db`)),
  // Another process's connection to the same file.
  async () => openSqliteStores(join(dir, `stores-${files}.db`)),
);

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

  test('a connection keeps a page cache sized for random reads, not SQLite\'s 2 MiB default', () => {
    const db = openSqlite(join(dir, 'cache.db'));
    try {
      assert.equal(db.pragma('cache_size', { simple: true }), -SQLITE_CACHE_KIB);
      assert.ok(SQLITE_CACHE_KIB > 2000);
    } finally {
      db.close();
    }
  });

  test('a file is read through a memory map, as large as SQLite allows', () => {
    const db = openSqlite(join(dir, 'mmap.db'));
    try {
      const mapped = db.pragma('mmap_size', { simple: true }) as number;
      // SQLite caps the request at its compile-time maximum (2 GiB - 64 KiB in better-sqlite3's build).
      assert.ok(mapped > 2 ** 30 && mapped <= SQLITE_MMAP_BYTES, `mmap_size ${mapped}`);
    } finally {
      db.close();
    }
  });

  test('with the serving connection\'s automatic checkpoints off, writes in every turn still reuse the WAL from its start', async () => {
    const path = join(dir, 'wal-restart.db');
    const db = openSqlite(path);
    try {
      // Off, so only the checkpoint thread, and its handover to this connection, can let the WAL start over.
      db.pragma('wal_autocheckpoint = 0');
      db.exec('CREATE TABLE pages (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)');
      const rows = 2000;
      const insert = db.prepare('INSERT INTO pages (id, payload) VALUES (?, zeroblob(3000))');
      db.transaction(() => {
        for (let id = 0; id < rows; id++) insert.run(id);
      })();
      // One row per page: every update commits at least one 4 KiB frame.
      const update = db.prepare('UPDATE pages SET payload = zeroblob(3000) WHERE id = ?');
      // Commits in every turn, as under steady refreshes.
      const started = Date.now();
      let commits = 0;
      while (commits < 4 * WAL_RESTART_FRAMES || Date.now() - started < 1500) {
        for (const end = commits + 20; commits < end; commits++) update.run(commits % rows);
        await new Promise((resolve) => setImmediate(resolve));
      }
      // Without a restart the WAL would hold every commit's frame; it restarts from its start, keeping its size.
      const walFrames = statSync(`${path}-wal`).size / 4096;
      assert.ok(walFrames < commits / 2, `a WAL of ${walFrames} frames after ${commits} commits`);
    } finally {
      db.close();
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


describe('SQLite sessions', () => {
  const HOUR = 3_600_000;
  const planOf = (db: ReturnType<typeof openSqlite>, sql: string, ...args: unknown[]) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((step) => step.detail).join('; ');

  test('a bearer check reads its session through the unique index on bearer_hash', () => {
    const db = openSqlite(':memory:');
    try {
      const plan = planOf(db, 'SELECT expires_at FROM sessions WHERE bearer_hash = ?', 'x');
      assert.match(plan, /USING INDEX sqlite_autoindex_sessions_\d+ \(bearer_hash=\?\)/, plan);
    } finally {
      db.close();
    }
  });

  test('sessions a previous version stored at rowids of its choosing are found, refreshed and ended like any other', async () => {
    const path = join(dir, 'chosen-rowids.db');
    const db = openSqlite(path);
    const t = Date.now();
    const old = session('1', '10', t, HOUR);
    // The previous version stored a session at a rowid taken from its bearer digest.
    db.prepare(
      `INSERT INTO sessions (rowid, id_hash, bearer_hash, csrf_hash, account_id, user_id, login_name, privileges, is_admin, is_lpa,
         app_key, wsuk, created_at, expires_at, ttl_ms, hard_expires_at, client_ip, user_agent, sweep_after)
       VALUES (?, ?, ?, 'c', '1', '10', 'agent-10', '[]', 0, 0, NULL, '100000000000000000', ?, ?, ?, NULL, NULL, NULL, ?)`,
    ).run(parseInt(old.bearerHash.slice(0, 13), 16), old.idHash, old.bearerHash, t, t + HOUR, HOUR, t + HOUR);
    db.close();
    const stores = openSqliteStores(path);
    try {
      const fresh = session('1', '11', t, HOUR);
      await stores.sessions.createSession(fresh);
      assert.equal((await stores.sessions.findSessionByBearer(old.bearerHash))?.userId, '10');
      assert.equal((await stores.sessions.findSessionByBearer(fresh.bearerHash))?.userId, '11');
      assert.equal(await stores.sessions.extendSession(old.idHash, t + 2 * HOUR), true);
      assert.equal((await stores.sessions.findSessionByBearer(old.bearerHash))?.expiresAt, t + 2 * HOUR);
      assert.equal(await stores.sessions.deleteSession(old.idHash), true);
      assert.equal(await stores.sessions.findSessionByBearer(old.bearerHash), null);
      await assert.rejects(stores.sessions.createSession({ ...session('1', '12', t, HOUR), bearerHash: fresh.bearerHash }), /UNIQUE/, 'bearers stay unique');
    } finally {
      await stores.close();
    }
  });

  test('refreshes asked in one turn are committed together, each answered only once committed', async () => {
    const path = join(dir, 'group-commit.db');
    const stores = openSqliteStores(path);
    const other = openSqlite(path, { migrate: false });
    const expiryElsewhere = (idHash: string) => other.prepare('SELECT expires_at FROM sessions WHERE id_hash = ?').pluck().get(idHash);
    try {
      const t = Date.now();
      const sessions = Array.from({ length: 5 }, (_, i) => session('1', String(10 + i), t, HOUR));
      for (const s of sessions) await stores.sessions.createSession(s);
      const answers = sessions.map((s, i) =>
        stores.sessions.extendSession(s.idHash, t + 2 * HOUR + i).then((changed) => {
          // Read through another connection the moment this refresh is answered.
          assert.equal(expiryElsewhere(s.idHash), t + 2 * HOUR + i, 'committed before it is answered');
          return changed;
        }),
      );
      answers.push(stores.sessions.extendSession('no-such-session', t + 2 * HOUR));
      assert.equal(expiryElsewhere(sessions[0]!.idHash), t + HOUR, 'nothing is written before the end of the turn');
      assert.deepEqual(await Promise.all(answers), [true, true, true, true, true, false]);
    } finally {
      other.close();
      await stores.close();
    }
  });

  test('closing the stores commits the refreshes still waiting for the end of the turn', async () => {
    const path = join(dir, 'close-pending.db');
    const stores = openSqliteStores(path);
    const t = Date.now();
    const s = session('1', '10', t, HOUR);
    await stores.sessions.createSession(s);
    const refreshed = stores.sessions.extendSession(s.idHash, t + 2 * HOUR);
    await stores.close();
    assert.equal(await refreshed, true);
    const reopened = openSqliteStores(path);
    try {
      assert.equal((await reopened.sessions.findSessionById(s.idHash))?.expiresAt, t + 2 * HOUR);
    } finally {
      await reopened.close();
    }
  });

  test('bearer checks are read together at the end of the turn, seeing every write made before it, and leave no transaction open', async () => {
    const path = join(dir, 'turn-reads.db');
    const stores = openSqliteStores(path);
    const db = openSqlite(path, { migrate: false });
    try {
      const t = Date.now();
      const kept = session('1', '10', t, HOUR);
      const ended = session('1', '11', t, HOUR);
      await stores.sessions.createSession(kept);
      await stores.sessions.createSession(ended);
      let turnEnded = false;
      setImmediate(() => (turnEnded = true));
      const checks = [kept, ended].map((s) => stores.sessions.findSessionByBearer(s.bearerHash));
      assert.equal(await stores.sessions.deleteSession(ended.idHash), true, 'a logout in the same turn, after the check was asked');
      const [first, second] = await Promise.all(checks);
      assert.equal(turnEnded, true, 'answered at the end of the turn');
      assert.equal(first?.userId, '10');
      assert.equal(second, null, 'read after the logout, at the end of the turn');
      // No read transaction outlives its batch: another connection can copy and truncate the whole WAL
      // (tried again while the checkpoint thread may hold the checkpoint lock for a moment).
      let result: { busy: number; log: number } | undefined;
      for (let attempt = 0; attempt < 20 && (result?.busy ?? 1) + (result?.log ?? 1) > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20));
        [result] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number }>;
      }
      assert.deepEqual([result!.busy, result!.log], [0, 0]);
    } finally {
      db.close();
      await stores.close();
    }
  });

  test('a read of the batch that fails rejects only its own caller; closing answers the reads still waiting', async () => {
    const db = openSqlite(':memory:');
    const store = new SqliteSessionStore(db);
    const s = session('1', '10', Date.now(), HOUR);
    await store.createSession(s);
    const failing = db.readAtEndOfTurn(() => db.prepare('SELECT * FROM no_such_table').get());
    const check = store.findSessionByBearer(s.bearerHash);
    await assert.rejects(failing, /no such table/);
    assert.equal((await check)?.userId, '10');
    const waiting = store.findSessionByBearer(s.bearerHash);
    db.close();
    assert.equal((await waiting)?.userId, '10');
  });

  test('a batch of writes that fails keeps none of them and rejects each', async () => {
    const db = openSqlite(':memory:');
    try {
      const store = new SqliteSessionStore(db);
      const t = Date.now();
      const s = session('1', '10', t, HOUR);
      await store.createSession(s);
      const refresh = store.extendSession(s.idHash, t + 2 * HOUR);
      const failing = db.atEndOfTurn(() => db.prepare('INSERT INTO no_such_table VALUES (1)').run());
      await assert.rejects(refresh, /no such table/);
      await assert.rejects(failing, /no such table/);
      assert.equal((await store.findSessionById(s.idHash))?.expiresAt, t + HOUR, 'the refresh was rolled back with its batch');
      assert.equal(await store.extendSession(s.idHash, t + 3 * HOUR), true, 'the next turn commits again');
    } finally {
      db.close();
    }
  });
});
