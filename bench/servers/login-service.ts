/**
 * Our server for the benchmark, in its own process: seeds a SQLite file
 * (account, users, and `sessions` live sessions written directly in one
 * transaction), then starts the real server through startServer, as
 * `login-service serve` does. With `workers` > 1 it runs the command itself,
 * `login-service serve --workers N`, as a child process, and stops it with
 * SIGTERM when the benchmark ends.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
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
import { createUser } from '../../src/directory/users.js';
import { issueApiKey } from '../../src/directory/apiKeys.js';
import { CLI_ACTOR } from '../../src/events/actor.js';
import { defaultInstallation } from '../../src/oauth/model.js';
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
  /** Worker processes (`--workers`); 1 serves from this process. */
  workers?: number;
  /** An OAuth installation with the client-credentials grant (bench/oauth.ts); its secret is in the ready message. */
  oauth?: { scope: string; alg: 'RS256' | 'ES256' };
}

const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

function fileBytes(db: SqliteDatabase, path: string): number {
  // Everything in the main file, nothing left in the WAL, so the size is the store's. The store's checkpoint
  // thread may hold the checkpoint lock at that moment (the checkpoint then returns busy at once, copying
  // nothing: 0 bytes per session in run 32's 100k store), so try again until the WAL is empty.
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; attempt < 100; attempt++) {
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number }>;
    if (result!.busy === 0 && result!.log === 0) break;
    Atomics.wait(pause, 0, 0, 20);
  }
  return statSync(path).size;
}

async function seed(o: LoginServiceOptions): Promise<{ bytesPerSession: number | null; seconds: number; oauth: { clientId: string; clientSecret: string } | null }> {
  const started = performance.now();
  const stores = openSqliteStores(o.dbPath);
  const hasher = new PasswordHasher();
  await createAccount(stores, systemClock, { accountId: o.accountId, name: 'Benchmark', timeZone: 'UTC' });
  // The seeded sessions all belong to the first user, far beyond any per-user cap, and the benchmark
  // measures the paths, not the policy: no cap and no absolute lifetime, as accounts had before these defaults.
  await stores.accounts.updateAccount(o.accountId, { settings: { maxSessionsPerUser: 0, absoluteSessionLifetimeMs: 0, ...(o.oauth?.alg === 'ES256' ? { oauthSignWithEs256: true } : {}) } });
  let oauth: { clientId: string; clientSecret: string } | null = null;
  if (o.oauth) {
    // As `apikey create --type oauth2` makes it, then given its scope as the installations API would.
    const { issued } = await issueApiKey({ stores, clock: systemClock, audit: null, actor: CLI_ACTOR }, o.accountId, 'benchmark', 'oauth2');
    await stores.apiKeys.updateApiKey(o.accountId, issued.appKey, { installation: { ...defaultInstallation('benchmark', Date.now()), scope: o.oauth.scope } });
    oauth = { clientId: issued.appKey, clientSecret: issued.secret };
  }
  const userIds: string[] = [];
  for (let i = 0; i < o.users; i++) {
    const user = await createUser({ stores, clock: systemClock, hasher }, { accountId: o.accountId, loginName: `agent-${i}`, password: o.password, privileges: [100, 101, 1730] });
    userIds.push(user.userId);
  }
  await stores.close();

  const db = openSqlite(o.dbPath);
  // Sessions land at random places in the indexes on their digests, and with the server's 8 MiB page
  // cache the one seeding transaction spilled pages to the WAL over and over. The file comes out the same.
  db.pragma('cache_size = -1048576');
  const before = fileBytes(db, o.dbPath);
  const sessions = new SqliteSessionStore(db);
  const now = Date.now();
  let failure: unknown = null;
  db.exec('BEGIN');
  for (let i = 0; i < o.sessions; i++) {
    const owner = userIds.length > 0 ? i % userIds.length : i;
    // Spread over the last hour, as real sessions are: with one timestamp for all of them, V8's
    // number-to-string cache served every response's createdAt and expiresAt, and bearer checks
    // measured ~1 µs cheaper than after refreshes had spread the expiries (docs/BENCHMARKS.md).
    const createdAt = now - ((i * 7919) % 3_600_000);
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
      amr: ['pwd'],
      wsuk: String(100_000_000_000_000_000n + BigInt(i)),
      createdAt,
      expiresAt: createdAt + SESSION_TTL_MS,
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
    oauth,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** `login-service serve` with several workers, as a child process; resolves once it answers /readyz. */
async function serveWithWorkers(env: Record<string, string>, workers: number): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const command = fileURLToPath(new URL('../../bin/login-service.js', import.meta.url));
  const child = spawn(process.execPath, [command, 'serve', '--workers', String(workers)], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`login-service serve --workers ${workers} exited with ${exited}`);
    if (Date.now() > deadline) throw new Error('login-service serve did not become ready in 60 s');
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited !== undefined) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

try {
  const o = childOptions<LoginServiceOptions>();
  const seeded = await seed(o);
  const env = {
    DATABASE_URL: `sqlite:${o.dbPath}`,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SERVER_TIME_ZONE: 'UTC',
    METRICS_PORT: '0',
    ...o.env,
  };
  const ready = { type: 'ready', seeded: { sessions: o.sessions, ...seeded, oauth: undefined }, oauth: seeded.oauth };
  if ((o.workers ?? 1) > 1) {
    const server = await serveWithWorkers(env, o.workers!);
    exitWithParent(() => server.stop());
    report({ ...ready, port: server.port });
  } else {
    const server = await startServer(loadConfig(env), { bootstrap: false });
    exitWithParent(() => server.close());
    report({ ...ready, port: Number(new URL(server.url).port) });
  }
} catch (error) {
  failStart(error);
}
