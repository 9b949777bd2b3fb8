/**
 * The migration that keeps API keys' access tokens as digests: rows written
 * by the previous schema, in clear, come out hashed (and typed oauth1), and
 * the bot still logs in with the token it holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { hashToken, randomToken } from '../../src/security/tokens.js';
import { createTestDatabase } from './postgresDatabase.js';
import { postJson, startTestServer } from '../helpers/server.js';
import { ManualClock } from '../../src/clock.js';
import { importInstallation, type InstallationDump } from '../../src/store/transfer.js';
import { USER_DEFAULTS } from '../../src/directory/model.js';

/** The schema before access tokens were hashed: migrations 1 and 2. */
const BEFORE = 2;

const secret = randomToken();
const accessToken = randomToken().slice(0, 32);
const accessTokenSecret = randomToken();
const row = ['123', 'app-key-1', 'old key', hashToken(secret), accessToken, hashToken(accessTokenSecret), 1_700_000_000_000, null] as const;
const account = ['123', 'Old', 'UTC', '[{"id":-1,"name":"Main Group","deleted":false}]', 1, '{}', 1_700_000_000_000] as const;

async function checkMigrated(stores: Stores) {
  const key = await stores.apiKeys.getApiKey('123', 'app-key-1');
  assert.equal(key?.type, 'oauth1');
  assert.equal(key?.accessTokenHash, hashToken(accessToken));
  assert.equal(key?.accessTokenSecretHash, hashToken(accessTokenSecret));
  // Migration 9: keys made before OAuth installations have none, and no address allowlist.
  assert.equal(key?.installation, null);
  assert.deepEqual(key?.ipAllowlist, []);

  // The bot still logs in with the four values it was given before the migration.
  const server = await startTestServer({ stores, clock: new ManualClock(Date.UTC(2026, 5, 1)) });
  try {
    await stores.users.createUser({
      accountId: '123', userId: '5550001', userPid: 'pid-5550001', loginName: 'old-bot', isBot: true, appKey: 'app-key-1',
      passwordHash: null, passwordChangedAt: null, lastLoginAt: null, isLPA: false, enabled: true, createdAt: 1_700_000_000_000,
      ...USER_DEFAULTS, memberOf: null, profileIds: [2], updatedAt: 1_700_000_000_000,
    });
    const login = await postJson(`${server.baseUrl}/api/account/123/login`, { username: 'old-bot', appKey: 'app-key-1', secret, accessToken, accessTokenSecret });
    assert.equal(login.status, 200, login.text);
    const wrong = await postJson(`${server.baseUrl}/api/account/123/login`, { username: 'old-bot', appKey: 'app-key-1', secret, accessToken: hashToken(accessToken), accessTokenSecret });
    assert.equal(wrong.status, 401, 'the digest itself is not the token');
  } finally {
    await server.close();
  }
}

test('SQLite: existing access tokens are hashed by the migration', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'apikey-migration-'));
  const file = join(dir, 'store.db');
  try {
    const db = new Database(file);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    for (let v = 1; v <= BEFORE; v++) {
      db.exec(SQLITE_MIGRATIONS[v - 1] as string);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?)').run(v, 0);
    }
    db.prepare('INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?)').run(...account);
    db.prepare('INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(...row);
    db.close();

    const stores = await openStores({ databaseUrl: `sqlite:${file}` });
    try {
      await checkMigrated(stores);
    } finally {
      await stores.close();
    }
    const raw = new Database(file, { readonly: true });
    assert.ok(!JSON.stringify(raw.prepare('SELECT * FROM api_keys').all()).includes(accessToken), 'no token in clear in the file');
    raw.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PostgreSQL: existing access tokens are hashed by the migration', { skip: !process.env.TEST_DATABASE_URL && 'TEST_DATABASE_URL not set' }, async () => {
  const database = await createTestDatabase(process.env.TEST_DATABASE_URL!);
  try {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      for (let v = 1; v <= BEFORE; v++) {
        await client.query(POSTGRES_MIGRATIONS[v - 1] as string);
        await client.query('INSERT INTO schema_migrations VALUES ($1, 0)', [v]);
      }
      await client.query('INSERT INTO accounts (account_id, name, time_zone, agent_groups, agent_groups_revision, settings, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [...account]);
      await client.query('INSERT INTO api_keys (account_id, app_key, name, secret_hash, access_token, access_token_secret_hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [...row]);
    } finally {
      await client.end();
    }
    const stores = await openStores({ databaseUrl: database.url, poolSize: 2 });
    try {
      await checkMigrated(stores);
    } finally {
      await stores.close();
    }
  } finally {
    await database.drop();
  }
});

test('an installation dump written before the digest carries the token: import keeps only its digest', async () => {
  const stores = await openStores({ databaseUrl: 'sqlite::memory:' });
  try {
    const dump = {
      format: 'login-service-installation',
      version: 1,
      exportedAt: new Date(0).toISOString(),
      accounts: [{ accountId: '123', name: 'Old', timeZone: 'UTC', agentGroups: [{ id: -1, name: 'Main Group', deleted: false }], agentGroupsRevision: 1, settings: {}, createdAt: 0, serviceBaseURIs: [] }],
      users: [],
      apiKeys: [{ accountId: '123', appKey: 'app-key-1', name: 'old key', secretHash: hashToken(secret), accessToken, accessTokenSecretHash: hashToken(accessTokenSecret), createdAt: 0, revokedAt: null }],
    };
    await importInstallation(stores, dump as unknown as InstallationDump);
    const key = await stores.apiKeys.getApiKey('123', 'app-key-1');
    assert.equal(key?.type, 'oauth1');
    assert.equal(key?.accessTokenHash, hashToken(accessToken));
    assert.equal(key?.installation, null);
    assert.deepEqual(key?.ipAllowlist, []);
  } finally {
    await stores.close();
  }
});
