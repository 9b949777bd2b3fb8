/**
 * Our server for the benchmark, in its own process: seeds a SQLite file
 * (account, users, and `sessions` live sessions written directly in one
 * transaction), then starts the real server through startServer, as
 * `login-service serve` does.
 */
import { statSync } from 'node:fs';
import { createAccount } from '../../src/accounts/service.js';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { PasswordHasher } from '../../src/security/passwords.js';
import { hashToken } from '../../src/security/tokens.js';
import { startServer } from '../../src/serve.js';
import type { SessionRecord } from '../../src/sessions/model.js';
import { openSqlite, type SqliteDatabase } from '../../src/store/sqlite/database.js';
import { SqliteSessionStore } from '../../src/store/sqlite/sessions.js';
import { openSqliteStores } from '../../src/store/sqlite/index.js';
import { createUser } from '../../src/users/service.js';
import { childOptions, exitWithParent, failStart, report } from '../lib/child.js';
import { seededToken } from '../lib/tokens.js';

export interface LoginServiceOptions {
  dbPath: string;
  accountId: string;
  runSeed: string;
  /** Users `agent-0` … `agent-(users-1)`, all with `password`. */
  users: number;
  password: string;
  sessions: number;
  /** Extra settings, as environment variables (e.g. LOGIN_FAILURES_PER_MINUTE). */
  env?: Record<string, string>;
}

const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

function fileBytes(db: SqliteDatabase, path: string): number {
  // Everything in the main file, nothing left in the WAL, so the size is the store's.
  db.pragma('wal_checkpoint(TRUNCATE)');
  return statSync(path).size;
}

async function seed(o: LoginServiceOptions): Promise<{ bytesPerSession: number | null; seconds: number }> {
  const started = performance.now();
  const stores = openSqliteStores(o.dbPath);
  const hasher = new PasswordHasher();
  await createAccount(stores, systemClock, { accountId: o.accountId, name: 'Benchmark', timeZone: 'UTC' });
  const userIds: string[] = [];
  for (let i = 0; i < o.users; i++) {
    const user = await createUser({ stores, clock: systemClock, hasher }, { accountId: o.accountId, loginName: `agent-${i}`, password: o.password, privileges: [100, 101, 1730] });
    userIds.push(user.userId);
  }
  await stores.close();

  const db = openSqlite(o.dbPath);
  const before = fileBytes(db, o.dbPath);
  const sessions = new SqliteSessionStore(db);
  const now = Date.now();
  let failure: unknown = null;
  db.exec('BEGIN');
  for (let i = 0; i < o.sessions; i++) {
    const owner = userIds.length > 0 ? i % userIds.length : i;
    const record: SessionRecord = {
      idHash: hashToken(seededToken(o.runSeed, 'sid', i)),
      bearerHash: hashToken(seededToken(o.runSeed, 'bearer', i)),
      csrfHash: hashToken(seededToken(o.runSeed, 'csrf', i)),
      accountId: o.accountId,
      userId: userIds[owner] ?? String(1_000_000_000 + owner),
      loginName: `agent-${owner}`,
      privileges: [100, 101, 1730],
      isAdmin: false,
      isLPA: false,
      appKey: null,
      wsuk: String(100_000_000_000_000_000n + BigInt(i)),
      createdAt: now,
      expiresAt: now + SESSION_TTL_MS,
      ttlMs: SESSION_TTL_MS,
      hardExpiresAt: null,
      clientIp: '127.0.0.1',
      userAgent: 'benchmark',
    };
    // The SQLite store writes synchronously; its promise only reports the outcome.
    sessions.createSession(record).catch((e) => (failure ??= e));
  }
  db.exec('COMMIT');
  await Promise.resolve();
  if (failure) throw failure;
  const after = fileBytes(db, o.dbPath);
  db.close();
  return {
    bytesPerSession: o.sessions > 0 ? (after - before) / o.sessions : null,
    seconds: (performance.now() - started) / 1000,
  };
}

try {
  const o = childOptions<LoginServiceOptions>();
  const seeded = await seed(o);
  const config = loadConfig({
    DATABASE_URL: `sqlite:${o.dbPath}`,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SERVER_TIME_ZONE: 'UTC',
    ...o.env,
  });
  const server = await startServer(config, { bootstrap: false });
  exitWithParent(() => server.close());
  report({ type: 'ready', port: Number(new URL(server.url).port), seeded: { sessions: o.sessions, ...seeded } });
} catch (error) {
  failStart(error);
}
