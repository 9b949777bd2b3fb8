/**
 * Migration 6 gives sessions stored before it an amr: a bot's session (it
 * has an app_key) used its API key, anyone else's is taken for a password
 * login. Each store is taken back to schema 5 (the column dropped, version 6
 * forgotten), given old rows, and opened again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openSqlite } from '../../src/store/sqlite/database.js';
import { openSqliteStores } from '../../src/store/sqlite/index.js';
import { openPostgresStores } from '../../src/store/postgres/index.js';
import type { Stores } from '../../src/store/index.js';
import { session } from '../store/contract.js';
import { createTestDatabase } from '../store/postgresDatabase.js';

const t = Date.UTC(2026, 5, 1);
const person = session('1', '10', t, 3_600_000);
const bot = session('1', '11', t, 3_600_000, { appKey: 'app-key-1' });
const BACK_TO_5 = ['ALTER TABLE sessions DROP COLUMN amr', 'DELETE FROM schema_migrations WHERE version = 6'];

async function assertDerived(stores: Stores): Promise<void> {
  assert.deepEqual((await stores.sessions.findSessionById(person.idHash))?.amr, ['pwd']);
  assert.deepEqual((await stores.sessions.findSessionByBearer(bot.bearerHash))?.amr, ['swk']);
  // New sessions keep what they are given.
  const sso = session('1', '12', t, 3_600_000, { amr: ['saml'] });
  await stores.sessions.createSession(sso);
  assert.deepEqual((await stores.sessions.findSessionByBearer(sso.bearerHash))?.amr, ['saml']);
}

test('SQLite: sessions of schema 5 get an amr from their app_key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ls-amr-'));
  try {
    const path = join(dir, 'store.db');
    const first = openSqliteStores(path);
    await first.sessions.createSession(person);
    await first.sessions.createSession(bot);
    await first.close();
    const db = openSqlite(path, { migrate: false });
    for (const sql of BACK_TO_5) db.exec(sql);
    db.close();
    const stores = openSqliteStores(path);
    try {
      await assertDerived(stores);
    } finally {
      await stores.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const serverUrl = process.env.TEST_DATABASE_URL;

test('PostgreSQL: sessions of schema 5 get an amr from their app_key', { skip: serverUrl ? false : 'TEST_DATABASE_URL is not set' }, async () => {
  const db = await createTestDatabase(serverUrl!);
  try {
    const first = await openPostgresStores(db.url);
    await first.sessions.createSession(person);
    await first.sessions.createSession(bot);
    await first.close();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    for (const sql of BACK_TO_5) await client.query(sql);
    await client.end();
    const stores = await openPostgresStores(db.url);
    try {
      await assertDerived(stores);
    } finally {
      await stores.close();
    }
  } finally {
    await db.drop();
  }
});
