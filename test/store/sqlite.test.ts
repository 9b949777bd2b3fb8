import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES, WAL_RESTART_FRAMES, openSqlite } from '../../src/store/sqlite/database.js';
import { openSqliteStores } from '../../src/store/sqlite/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
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

describe('SQLite session reads, one read transaction per event-loop turn', () => {
  const HOUR = 3_600_000;
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
  /** Runs `body` and checks that it finished within the turn it started in. */
  const inOneTurn = async (body: () => Promise<void>) => {
    let turnEnded = false;
    setImmediate(() => (turnEnded = true));
    await body();
    assert.equal(turnEnded, false, 'the body ran within one turn');
  };

  test('a process reads its own session writes at once, within the turn that made them', async () => {
    const stores = openSqliteStores(join(dir, 'own-writes.db'));
    try {
      await inOneTurn(async () => {
        const t = Date.now();
        const first = session('1', '10', t, HOUR);
        const second = session('1', '11', t, HOUR);
        await stores.sessions.createSession(first);
        assert.equal((await stores.sessions.findSessionByBearer(first.bearerHash))?.userId, '10', "this read opens the turn's transaction");
        await stores.sessions.createSession(second);
        assert.equal((await stores.sessions.findSessionByBearer(second.bearerHash))?.userId, '11', 'created after the transaction opened');
        assert.equal(await stores.sessions.deleteSession(first.idHash), true);
        assert.equal(await stores.sessions.findSessionByBearer(first.bearerHash), null, 'deleted after the transaction opened');
        assert.equal(await stores.sessions.findSessionById(first.idHash), null);
        assert.equal(await stores.sessions.deleteUserSessions('1', '11'), 1);
        assert.equal(await stores.sessions.findSessionById(second.idHash), null);
      });
    } finally {
      await stores.close();
    }
  });

  test('a write made while the read transaction is open is committed at once, never held in it', async () => {
    const path = join(dir, 'writes-commit.db');
    const stores = openSqliteStores(path);
    const other = openSqlite(path, { migrate: false });
    const count = (table: string) => (other.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    try {
      await inOneTurn(async () => {
        const t = Date.now();
        const live = session('1', '10', t, HOUR);
        const expired = session('1', '11', t - 2 * HOUR, HOUR);
        assert.equal(await stores.sessions.findSessionByBearer(live.bearerHash), null, "this read opens the turn's transaction");
        await stores.sessions.createSession(live);
        await stores.sessions.createSession(expired);
        assert.equal(count('sessions'), 2, 'a plain statement');
        await stores.sessions.findSessionByBearer(live.bearerHash);
        assert.equal(await stores.sessions.deleteExpiredSessions(t), 1);
        assert.equal(count('sessions'), 1, 'a transaction');
        await stores.sessions.findSessionByBearer(live.bearerHash);
        await stores.counters.incrementCounter('k', 60_000, t);
        assert.equal(count('counters'), 1, 'a statement with RETURNING');
        await stores.sessions.findSessionByBearer(live.bearerHash);
        await stores.events.appendEvent({ time: t, accountId: '1', type: 'login', userId: '10', loginName: 'agent', clientIp: null, userAgent: null, detail: {} });
        assert.equal(count('events'), 1);
      });
    } finally {
      other.close();
      await stores.close();
    }
  });

  test("another process's commits are read from the next turn on, and no read transaction outlives its turn", async () => {
    const path = join(dir, 'two-processes.db');
    const one = openSqliteStores(path);
    const two = openSqliteStores(path);
    try {
      const t = Date.now();
      const s = session('1', '10', t, HOUR);
      await one.sessions.createSession(s);
      await nextTurn();
      assert.equal((await two.sessions.findSessionByBearer(s.bearerHash))?.expiresAt, t + HOUR);
      assert.equal(await one.sessions.extendSession(s.idHash, t + 2 * HOUR), true);
      await nextTurn();
      assert.equal((await two.sessions.findSessionByBearer(s.bearerHash))?.expiresAt, t + 2 * HOUR, 'the refresh is read');
      assert.equal(await one.sessions.deleteSession(s.idHash), true);
      await nextTurn();
      assert.equal(await two.sessions.findSessionByBearer(s.bearerHash), null, 'the logout is read');
      assert.equal(await two.sessions.findSessionById(s.idHash), null);

      // Both stores have ended their read transactions, so a checkpoint can copy and truncate the whole WAL.
      await nextTurn();
      const db = openSqlite(path, { migrate: false });
      try {
        const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>;
        assert.deepEqual(result, { busy: 0, log: 0, checkpointed: 0 });
      } finally {
        db.close();
      }
    } finally {
      await one.close();
      await two.close();
    }
  });

  test('closing the stores while a read transaction is open is safe', async () => {
    const stores = openSqliteStores(join(dir, 'close-open.db'));
    assert.equal(await stores.sessions.findSessionByBearer('b'), null);
    await stores.close();
    await nextTurn(); // the scheduled end finds the connection closed
    await nextTurn();
  });
});
