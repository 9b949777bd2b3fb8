import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES, WAL_RESTART_FRAMES, handOverCheckpoint, openSqlite } from '../../src/store/sqlite/database.js';
import { openSqliteStores } from '../../src/store/sqlite/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteSessionStore, bearerRowid } from '../../src/store/sqlite/sessions.js';
import { BearerCache } from '../../src/store/sqlite/bearerCache.js';
import { turnReadsOn } from '../../src/store/sqlite/turnReads.js';
import type { Stores } from '../../src/store/index.js';
import type { BearerSession } from '../../src/sessions/model.js';
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
    old.exec(SQLITE_MIGRATIONS[0] as string);
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

describe('SQLite sessions stored at their bearer digest', () => {
  const HOUR = 3_600_000;
  const rowidOf = (db: ReturnType<typeof openSqlite>, bearerHash: string) =>
    (db.prepare('SELECT rowid FROM sessions WHERE bearer_hash = ?').pluck().get(bearerHash) as number | undefined) ?? null;

  test('a session is stored at its bearer digest, and a bearer check reads the table by that rowid alone', async () => {
    const db = openSqlite(':memory:');
    try {
      const store = new SqliteSessionStore(db);
      const s = session('1', '10', Date.now(), HOUR);
      await store.createSession(s);
      assert.equal(rowidOf(db, s.bearerHash), bearerRowid(s.bearerHash));
      assert.equal(bearerRowid('ffffffffffffff00'), 2 ** 52 - 1, 'the first 13 hex digits: 52 bits, a safe integer');
      const plan = (db.prepare(`EXPLAIN QUERY PLAN SELECT expires_at FROM sessions WHERE rowid = ? AND +bearer_hash = ?`).all(1, 'x') as Array<{ detail: string }>)
        .map((step) => step.detail)
        .join('; ');
      assert.match(plan, /USING INTEGER PRIMARY KEY \(rowid=\?\)/, plan);
      assert.equal((await store.findSessionByBearer(s.bearerHash))?.userId, '10');
      // Same rowid, another digest: the rowid alone does not find it.
      const sameRowid = s.bearerHash.slice(0, 13) + '0'.repeat(51);
      assert.notEqual(sameRowid, s.bearerHash);
      assert.equal(await store.findSessionByBearer(sameRowid), null);
    } finally {
      db.close();
    }
  });

  test('a bearer whose rowid another row holds, and a row a previous version inserted, are found through the index', async () => {
    const path = join(dir, 'bearer-rowid.db');
    const db = openSqlite(path);
    try {
      const turn = turnReadsOn(db);
      const store = new SqliteSessionStore(db, turn, 16);
      const t = Date.now();
      const first = session('1', '10', t, HOUR);
      // A second bearer with the same first 13 hex digits: its rowid is taken.
      const second = session('1', '11', t, HOUR, { bearerHash: first.bearerHash.slice(0, 13) + 'f'.repeat(51) });
      await store.createSession(first);
      await store.createSession(second);
      assert.equal(rowidOf(db, first.bearerHash), bearerRowid(first.bearerHash));
      assert.notEqual(rowidOf(db, second.bearerHash), bearerRowid(second.bearerHash), 'SQLite chose its rowid');
      // A process of the previous version inserts without a rowid.
      const previous = openSqlite(path, { migrate: false });
      const third = session('1', '12', t, HOUR);
      previous
        .prepare(`INSERT INTO sessions (id_hash, bearer_hash, csrf_hash, account_id, user_id, login_name, privileges, is_admin, is_lpa,
            app_key, wsuk, created_at, expires_at, ttl_ms, hard_expires_at, client_ip, user_agent)
          VALUES (?, ?, 'c', '1', '12', 'agent-12', '[]', 0, 0, NULL, '100000000000000000', ?, ?, ?, NULL, NULL, NULL)`)
        .run(third.idHash, third.bearerHash, t, t + HOUR, HOUR);
      previous.close();
      await new Promise((resolve) => setImmediate(resolve));
      assert.notEqual(rowidOf(db, third.bearerHash), bearerRowid(third.bearerHash));
      // Checked twice each: the second check is kept in memory (the doorkeeper), the third answered from it.
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(
          await Promise.all([first, second, third].map(async (x) => (await store.findSessionByBearer(x.bearerHash))?.userId)),
          ['10', '11', '12'],
        );
      }
      assert.equal(store.bearerCache?.size, 3);
      // Refreshed through its session digest, as every session is.
      assert.equal(await store.extendSession(second.idHash, t + 2 * HOUR), true);
      assert.equal((await store.findSessionByBearer(second.bearerHash))?.expiresAt, t + 2 * HOUR);
      await assert.rejects(store.createSession({ ...session('1', '13', t, HOUR), bearerHash: first.bearerHash }), /UNIQUE/, 'bearers stay unique');
      turn.end();
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
      const t = Date.now();
      const first = session('1', '10', t, HOUR);
      const second = session('1', '11', t, HOUR);
      let checks: Array<Promise<BearerSession | null>> = [];
      await inOneTurn(async () => {
        await stores.sessions.createSession(first);
        assert.equal((await stores.sessions.findSessionById(first.idHash))?.userId, '10', "this read opens the turn's transaction");
        await stores.sessions.createSession(second);
        assert.equal((await stores.sessions.findSessionById(second.idHash))?.userId, '11', 'created after the transaction opened');
        // Bearer checks wait for the end of the turn, or for the next write, whichever comes first.
        checks = [stores.sessions.findSessionByBearer(first.bearerHash), stores.sessions.findSessionByBearer(second.bearerHash)];
        assert.equal(await stores.sessions.deleteSession(first.idHash), true);
        checks.push(stores.sessions.findSessionByBearer(first.bearerHash));
        assert.equal(await stores.sessions.findSessionById(first.idHash), null, 'deleted after the transaction opened');
        assert.equal(await stores.sessions.deleteUserSessions('1', '11'), 1);
        checks.push(stores.sessions.findSessionByBearer(second.bearerHash));
        assert.equal(await stores.sessions.findSessionById(second.idHash), null);
      });
      const [beforeDelete, beforeRevoke, afterDelete, afterRevoke] = await Promise.all(checks);
      assert.equal(beforeDelete?.userId, '10', 'asked before the logout, read before it');
      assert.equal(beforeRevoke?.userId, '11', 'asked before the revocation, read before it');
      assert.equal(afterDelete, null, 'asked after the logout');
      assert.equal(afterRevoke, null, 'asked after the revocation');
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
        assert.equal(await stores.sessions.findSessionById(live.idHash), null, "this read opens the turn's transaction");
        await stores.sessions.createSession(live);
        await stores.sessions.createSession(expired);
        assert.equal(count('sessions'), 2, 'a plain statement');
        await stores.sessions.findSessionById(live.idHash);
        assert.equal(await stores.sessions.deleteExpiredSessions(t), 1);
        assert.equal(count('sessions'), 1, 'a transaction');
        await stores.sessions.findSessionById(live.idHash);
        await stores.counters.incrementCounter('k', 60_000, t);
        assert.equal(count('counters'), 1, 'a statement with RETURNING');
        await stores.sessions.findSessionById(live.idHash);
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
    const deferred = stores.sessions.findSessionByBearer('c');
    await stores.close();
    assert.equal(await deferred, null, 'a read waiting for the end of the turn is answered before the connection closes');
    await nextTurn(); // the scheduled end finds the connection closed
    await nextTurn();
  });
});

describe('SQLite bearer checks answered from memory', () => {
  const HOUR = 3_600_000;
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const cacheOf = (stores: Stores) => (stores.sessions as SqliteSessionStore).bearerCache!;
  /** Runs `body` with the stores of a new file, closing them after. */
  const withStores = async (file: string, body: (stores: Stores) => Promise<void>) => {
    const stores = openSqliteStores(join(dir, file));
    try {
      await body(stores);
    } finally {
      await stores.close();
    }
  };
  /** A bearer is kept from its second check on. */
  const checkTwice = async (stores: Stores, bearerHash: string) => {
    await stores.sessions.findSessionByBearer(bearerHash);
    return stores.sessions.findSessionByBearer(bearerHash);
  };

  test('a bearer checked again is answered from memory, with the session as read', () =>
    withStores('cache-hit.db', async (stores) => {
      const t = Date.now();
      const s = session('1', '10', t, HOUR, { privileges: [100, 101] });
      await stores.sessions.createSession(s);
      const first = await stores.sessions.findSessionByBearer(s.bearerHash);
      assert.equal(cacheOf(stores).size, 0, 'a bearer seen once is not kept');
      await nextTurn();
      const second = await stores.sessions.findSessionByBearer(s.bearerHash);
      assert.equal(cacheOf(stores).size, 1, 'kept on its second check');
      assert.deepEqual(second, first);
      await nextTurn();
      const third = await stores.sessions.findSessionByBearer(s.bearerHash);
      assert.equal(third, second, 'the same object: no read from the file');
      assert.deepEqual(third, { accountId: '1', userId: '10', loginName: 'agent-10', privileges: [100, 101], isAdmin: false, isLPA: false, appKey: null, createdAt: t, expiresAt: t + HOUR, hardExpiresAt: null });
      assert.ok(Object.isFrozen(third) && Object.isFrozen(third!.privileges), 'shared by every caller, so nobody can change it');
      assert.equal(await checkTwice(stores, 'unknown'), null);
      assert.equal(cacheOf(stores).size, 1, 'unknown bearers are not kept');
    }));

  test('a bearer check waits for the end of the turn or its next write, held in memory or not', () =>
    withStores('cache-deferred.db', async (stores) => {
      const t = Date.now();
      const s = session('1', '10', t, HOUR);
      const other = session('1', '11', t, HOUR);
      await stores.sessions.createSession(s);
      await stores.sessions.createSession(other);
      await nextTurn();

      const settledWithinTurn = async () => {
        let settled = false;
        const check = stores.sessions.findSessionByBearer(s.bearerHash).then((found) => ((settled = true), found));
        for (let i = 0; i < 5; i++) await Promise.resolve();
        const within = settled;
        assert.equal((await check)?.userId, '10');
        return within;
      };
      assert.equal(await settledWithinTurn(), false, 'read from the file at the end of the turn');
      assert.equal(await settledWithinTurn(), false, 'kept on its second check');
      assert.equal(cacheOf(stores).size, 1);
      assert.equal(await settledWithinTurn(), false, 'held in memory, answered at the end of the turn too');

      // A read asked before a logout runs before it, and what it keeps does not outlive the logout.
      await stores.sessions.findSessionByBearer(other.bearerHash);
      await nextTurn();
      const asked = stores.sessions.findSessionByBearer(other.bearerHash);
      assert.equal(await stores.sessions.deleteSession(other.idHash), true);
      assert.equal((await asked)?.userId, '11', 'asked before the logout, read before it');
      assert.equal(await stores.sessions.findSessionByBearer(other.bearerHash), null, 'the logout');
      assert.equal(cacheOf(stores).size, 1);
    }));

  test("this process's refresh and logout are read at once, and writes elsewhere keep what is held", () =>
    withStores('cache-own-writes.db', async (stores) => {
      const t = Date.now();
      const s = session('1', '10', t, HOUR);
      const other = session('1', '11', t, HOUR);
      await stores.sessions.createSession(s);
      await stores.sessions.createSession(other);
      await checkTwice(stores, s.bearerHash);
      await checkTwice(stores, other.bearerHash);
      assert.equal(cacheOf(stores).size, 2);

      assert.equal(await stores.sessions.extendSession(s.idHash, t + 2 * HOUR), true);
      assert.equal((await stores.sessions.findSessionByBearer(s.bearerHash))?.expiresAt, t + 2 * HOUR, 'the refresh');
      assert.equal(await stores.sessions.extendSession(s.idHash, t + HOUR / 2), true);
      assert.equal((await stores.sessions.findSessionByBearer(s.bearerHash))?.expiresAt, t + HOUR / 2, 'a refresh that shortens');

      // A login's writes: a new session, its audit event, a failure counter.
      await stores.sessions.createSession(session('1', '12', t, HOUR));
      await stores.events.appendEvent({ time: t, accountId: '1', type: 'login', userId: '12', loginName: 'agent-12', clientIp: null, userAgent: null, detail: {} });
      await stores.counters.incrementCounter('k', 60_000, t);
      assert.equal(cacheOf(stores).size, 2, 'nothing held was touched');

      assert.equal(await stores.sessions.deleteSession(s.idHash), true);
      assert.equal(await stores.sessions.findSessionByBearer(s.bearerHash), null, 'the logout, in the same turn');
      assert.equal(cacheOf(stores).size, 1, 'the other session is still held');
      assert.equal((await stores.sessions.findSessionByBearer(other.bearerHash))?.userId, '11');
    }));

  test('a write that may touch any session lets go of everything held', () =>
    withStores('cache-wide-writes.db', async (stores) => {
      const t = Date.now();
      const writes: Array<[string, () => Promise<unknown>]> = [
        ['revoking one user', () => stores.sessions.deleteUserSessions('1', '99')],
        ["revoking an API key's bots", () => stores.sessions.deleteAppKeySessions('1', 'APPKEY')],
        ['revoking an account', () => stores.sessions.deleteAccountSessions('2')],
        ['the sweep', () => stores.sessions.deleteExpiredSessions(t)],
      ];
      const s = session('1', '10', t, HOUR);
      await stores.sessions.createSession(s);
      for (const [name, write] of writes) {
        await checkTwice(stores, s.bearerHash);
        assert.equal(cacheOf(stores).size, 1);
        await write();
        assert.equal(cacheOf(stores).size, 0, name);
      }
    }));

  test("the WAL handover's checkpoint ends the turn's read first and keeps what is held", async () => {
    const db = openSqlite(join(dir, 'cache-handover.db'));
    const sessions = new SqliteSessionStore(db, turnReadsOn(db), 16);
    try {
      const s = session('1', '10', Date.now(), HOUR);
      await sessions.createSession(s);
      await sessions.findSessionByBearer(s.bearerHash);
      await sessions.findSessionByBearer(s.bearerHash);
      assert.equal(sessions.bearerCache!.size, 1);
      const check = sessions.findSessionByBearer(s.bearerHash);
      assert.equal(db.inTransaction, true, "the turn's read transaction is open");
      const result = handOverCheckpoint(db);
      assert.equal(db.inTransaction, false, 'ended before the checkpoint');
      const held = await check;
      assert.equal(held?.userId, '10', "the turn's check is answered before the checkpoint");
      assert.ok(result && result.busy === 0 && result.checkpointed === result.log, `every frame copied: ${JSON.stringify(result)}`);
      assert.equal(sessions.bearerCache!.size, 1, 'a checkpoint changes no row, so nothing held is let go');
      assert.equal(await sessions.findSessionByBearer(s.bearerHash), held);
    } finally {
      db.close();
    }
  });

  test("another connection's commit is read from the next turn on, even for a bearer held in memory", async () => {
    const path = join(dir, 'cache-other-connection.db');
    const stores = openSqliteStores(path);
    const other = openSqlite(path, { migrate: false });
    try {
      const t = Date.now();
      const s = session('1', '10', t, HOUR);
      await stores.sessions.createSession(s);
      assert.equal((await checkTwice(stores, s.bearerHash))?.loginName, 'agent-10');
      assert.equal(cacheOf(stores).size, 1);
      await nextTurn();
      // What the CLI does: plain SQL on its own connection, which the server's process knows nothing of.
      other.prepare('UPDATE sessions SET login_name = ?, expires_at = ? WHERE id_hash = ?').run('renamed', t + 3 * HOUR, s.idHash);
      const after = await stores.sessions.findSessionByBearer(s.bearerHash);
      assert.equal(after?.loginName, 'renamed');
      assert.equal(after?.expiresAt, t + 3 * HOUR);
      await nextTurn();
      other.prepare('DELETE FROM sessions').run();
      assert.equal(await stores.sessions.findSessionByBearer(s.bearerHash), null, 'the revocation');
    } finally {
      other.close();
      await stores.close();
    }
  });

  test('it holds at most its capacity, and none with a capacity of 0', async () => {
    const path = join(dir, 'cache-capacity.db');
    const small = openSqliteStores(path, { bearerCacheSize: 3 });
    const none = openSqliteStores(path, { bearerCacheSize: 0 });
    try {
      const t = Date.now();
      const sessions = Array.from({ length: 8 }, (_, i) => session('1', String(i), t, HOUR));
      for (const s of sessions) await small.sessions.createSession(s);
      for (let round = 0; round < 2; round++) {
        for (const [i, s] of sessions.entries()) {
          assert.equal((await small.sessions.findSessionByBearer(s.bearerHash))?.userId, String(i));
          assert.ok(cacheOf(small).size <= 3);
          assert.equal((await none.sessions.findSessionByBearer(s.bearerHash))?.userId, String(i));
        }
      }
      assert.equal((none.sessions as SqliteSessionStore).bearerCache, null);
    } finally {
      await small.close();
      await none.close();
    }
  });

  test('a bearer is kept on its second miss; bearers that never come back are not', () => {
    const cache = new BearerCache(100);
    const sessionFor = (i: number) => ({ accountId: '1', userId: String(i), loginName: 'a', privileges: [], isAdmin: false, isLPA: false, appKey: null, createdAt: 0, expiresAt: 1, hardExpiresAt: null });
    /** A check as the store makes it: a lookup, then on a miss a read, kept if the cache says so. */
    const check = (i: number) => {
      const bearer = `${i}`.padStart(64, 'f');
      if (cache.get(bearer) === undefined && cache.keeps(bearer)) cache.set(bearer, `id-${i}`, sessionFor(i));
    };
    for (let i = 0; i < 10_000; i++) check(i);
    assert.ok(cache.size < 10, `bearers checked once: ${cache.size} kept`);
    for (let i = 0; i < 50; i++) check(20_000 + i);
    for (let i = 0; i < 50; i++) check(20_000 + i);
    assert.ok(cache.size >= 50, 'checked twice: kept');
    for (let i = 0; cache.size < 100; i++) {
      check(30_000 + i);
      check(30_000 + i);
    }
    assert.equal(cache.get(`${20_000}`.padStart(64, 'f'))?.userId, '20000', 'what it held before it was full, it still holds');

    // Full, it keeps no more; after as many misses as it holds entries, it starts over.
    const newcomer = `${40_000}`.padStart(64, 'f');
    for (let i = 0; i < 99; i++) check(40_000);
    assert.equal(cache.size, 100, 'never more than its capacity');
    assert.equal(cache.get(newcomer), undefined);
    check(40_000);
    assert.equal(cache.size, 0, 'emptied at the 100th miss since it was full');
    check(40_000);
    assert.equal(cache.get(newcomer)?.userId, '40000', 'kept again');
  });

  test('inside a transaction a store opened for a write, reads go to the file and nothing is kept', async () => {
    const db = openSqlite(join(dir, 'cache-in-transaction.db'));
    const turn = turnReadsOn(db);
    const sessions = new SqliteSessionStore(db, turn, 16);
    try {
      const t = Date.now();
      const s = session('1', '10', t, HOUR);
      await sessions.createSession(s);
      const read = db.transaction(() => {
        db.prepare('UPDATE sessions SET login_name = ? WHERE id_hash = ?').run('uncommitted', s.idHash);
        return sessions.findSessionByBearer(s.bearerHash);
      });
      assert.throws(() =>
        db.transaction(() => {
          read();
          throw new Error('rolled back');
        })(),
      );
      assert.equal(sessions.bearerCache!.size, 0, 'what the transaction read was not kept');
      assert.equal((await sessions.findSessionByBearer(s.bearerHash))?.loginName, 'agent-10');
    } finally {
      db.close();
    }
  });

  test('no trigger or foreign key reaches the sessions table, so writes that do not name it leave it as it was', () => {
    const db = openSqlite(join(dir, 'cache-schema.db'));
    try {
      assert.deepEqual(db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all(), []);
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
      assert.ok(tables.includes('sessions'));
      for (const table of tables) {
        const keys = db.pragma(`foreign_key_list(${table})`) as Array<{ table: string }>;
        if (table === 'sessions') assert.deepEqual(keys, [], 'sessions refer to no other table');
        else assert.ok(!keys.some((k) => k.table === 'sessions'), `${table} refers to sessions`);
      }
    } finally {
      db.close();
    }
  });
});
