/**
 * better-auth with SQLite (better-sqlite3 through its Kysely adapter), on a
 * plain node:http server: email/password sign-in and get-session. Passwords
 * are argon2id with our parameters (better-auth's own default is scrypt), so
 * its sign-in does the same hashing work as ours.
 *
 * Sessions for get-session are created with better-auth's own internal
 * adapter (the call its sign-in makes) and their cookies signed with its own
 * cookie signer, then written to `cookiesPath` for the load generator.
 */
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import Database from 'better-sqlite3';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import { serializeSignedCookie } from 'better-call';
import { DEFAULT_ARGON2 } from '../../src/security/passwords.js';
import { childOptions, exitWithParent, failStart, report } from '../lib/child.js';

export interface BetterAuthOptions {
  dbPath: string;
  cookiesPath: string;
  users: number;
  password: string;
  sessions: number;
}

export const betterAuthEmail = (i: number) => `agent-${i}@example.com`;

try {
  const o = childOptions<BetterAuthOptions>();
  let handler: ReturnType<typeof toNodeHandler> | undefined;
  const server = createServer((req, res) => handler!(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  const db = new Database(o.dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const auth = betterAuth({
    database: db,
    baseURL: `http://127.0.0.1:${port}`,
    secret: 'benchmark-secret-benchmark-secret-0123456789',
    emailAndPassword: {
      enabled: true,
      password: {
        hash: (password) => hash(password, { algorithm: Algorithm.Argon2id, ...DEFAULT_ARGON2 }),
        verify: ({ hash: stored, password }) => verify(stored, password),
      },
    },
    // Its sign-in limit (a few per 10 s) would measure the limiter, not the work.
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { disabled: true },
  });
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();

  const userIds: string[] = [];
  for (let i = 0; i < o.users; i++) {
    const created = await auth.api.signUpEmail({ body: { email: betterAuthEmail(i), password: o.password, name: `agent-${i}` } });
    userIds.push(created.user.id);
  }
  const ctx = await auth.$context;
  const cookies: string[] = [];
  for (let i = 0; i < o.sessions; i++) {
    const session = await ctx.internalAdapter.createSession(userIds[i % userIds.length]!);
    const header = await serializeSignedCookie(ctx.authCookies.sessionToken.name, session.token, ctx.secret);
    cookies.push(header.split(';')[0]!);
  }
  writeFileSync(o.cookiesPath, JSON.stringify(cookies));

  handler = toNodeHandler(auth);
  exitWithParent(() => new Promise<void>((resolve) => server.close(() => resolve())));
  report({ type: 'ready', port });
} catch (error) {
  failStart(error);
}
