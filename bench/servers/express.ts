/**
 * What people usually build: Express + express-session + passport-local, with
 * sessions in SQLite (better-sqlite3) and passwords as argon2id with our
 * parameters. Routes: POST /login, GET /session (session check) and
 * POST /refresh (CSRF check, then touch).
 *
 * The session store is the small class below: the one npm package that pairs
 * express-session with better-sqlite3 (better-sqlite3-session-store 0.1.0) is
 * a single early release pinned to an old date-fns, and a store is four
 * prepared statements.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import Database from 'better-sqlite3';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { DEFAULT_ARGON2 } from '../../src/security/passwords.js';
import { childOptions, exitWithParent, failStart, report } from '../lib/child.js';
import { seededToken } from '../lib/tokens.js';

export interface ExpressOptions {
  dbPath: string;
  runSeed: string;
  cookieSecret: string;
  users: number;
  password: string;
  sessions: number;
}

export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  privileges: string;
}

/** What express-session keeps per session, as JSON. */
interface SessionData {
  cookie?: { expires?: string | Date | null };
  passport?: { user: number };
  csrf?: string;
}

/** The parts of express-session's request additions these routes use. */
interface SessionRequest extends express.Request {
  session: SessionData & { cookie: { expires?: Date | null }; touch(): void };
  user?: UserRow;
}

/** express-session store over one SQLite table, expiry in ms since the epoch. */
class SqliteSessionStore extends session.Store {
  private readonly q;

  constructor(db: Database.Database) {
    super();
    db.exec('CREATE TABLE IF NOT EXISTS sessions (sid TEXT PRIMARY KEY, sess TEXT NOT NULL, expire INTEGER NOT NULL)');
    db.exec('CREATE INDEX IF NOT EXISTS sessions_by_expire ON sessions(expire)');
    this.q = {
      get: db.prepare('SELECT sess FROM sessions WHERE sid = ? AND expire > ?'),
      set: db.prepare('INSERT OR REPLACE INTO sessions (sid, sess, expire) VALUES (?, ?, ?)'),
      destroy: db.prepare('DELETE FROM sessions WHERE sid = ?'),
      touch: db.prepare('UPDATE sessions SET expire = ? WHERE sid = ?'),
    };
  }

  private static expiry(sess: SessionData): number {
    return sess.cookie?.expires ? new Date(sess.cookie.expires).getTime() : Date.now() + SESSION_TTL_MS;
  }

  get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    try {
      const row = this.q.get.get(sid, Date.now()) as { sess: string } | undefined;
      callback(null, row ? JSON.parse(row.sess) : null);
    } catch (e) {
      callback(e);
    }
  }

  set(sid: string, sess: SessionData, callback?: (err?: unknown) => void): void {
    try {
      this.q.set.run(sid, JSON.stringify(sess), SqliteSessionStore.expiry(sess));
      callback?.();
    } catch (e) {
      callback?.(e);
    }
  }

  destroy(sid: string, callback?: (err?: unknown) => void): void {
    try {
      this.q.destroy.run(sid);
      callback?.();
    } catch (e) {
      callback?.(e);
    }
  }

  touch(sid: string, sess: SessionData, callback?: () => void): void {
    this.q.touch.run(SqliteSessionStore.expiry(sess), sid);
    callback?.();
  }
}

async function seed(db: Database.Database, o: ExpressOptions): Promise<void> {
  db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, privileges TEXT NOT NULL)');
  const insertUser = db.prepare('INSERT INTO users (username, password_hash, privileges) VALUES (?, ?, ?)');
  for (let i = 0; i < o.users; i++) {
    insertUser.run(`agent-${i}`, await hash(o.password, { algorithm: Algorithm.Argon2id, ...DEFAULT_ARGON2 }), '[100,101,1730]');
  }
  new SqliteSessionStore(db);
  const insertSession = db.prepare('INSERT INTO sessions (sid, sess, expire) VALUES (?, ?, ?)');
  const expires = Date.now() + SESSION_TTL_MS;
  db.transaction(() => {
    for (let i = 0; i < o.sessions; i++) {
      const sess = {
        cookie: { originalMaxAge: SESSION_TTL_MS, expires: new Date(expires).toISOString(), httpOnly: true, path: '/', sameSite: 'lax' },
        passport: { user: (i % o.users) + 1 },
        csrf: seededToken(o.runSeed, 'csrf', i),
      };
      insertSession.run(seededToken(o.runSeed, 'sid', i), JSON.stringify(sess), expires);
    }
  })();
}

function sameToken(a: unknown, b: string | undefined): boolean {
  if (typeof a !== 'string' || b === undefined || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

try {
  const o = childOptions<ExpressOptions>();
  const db = new Database(o.dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  await seed(db, o);
  const userById = db.prepare('SELECT * FROM users WHERE id = ?');
  const userByName = db.prepare('SELECT * FROM users WHERE username = ?');

  passport.use(
    new LocalStrategy((username: string, password: string, done: (err: unknown, user?: UserRow | false) => void) => {
      const user = userByName.get(username) as UserRow | undefined;
      if (!user) return done(null, false);
      verify(user.password_hash, password).then((ok) => done(null, ok ? user : false), done);
    }),
  );
  passport.serializeUser((user: UserRow, done: (err: unknown, id: number) => void) => done(null, user.id));
  passport.deserializeUser((id: number, done: (err: unknown, user: UserRow | false) => void) => done(null, (userById.get(id) as UserRow | undefined) ?? false));

  const app = express();
  app.use(express.json());
  app.use(
    session({
      store: new SqliteSessionStore(db),
      secret: o.cookieSecret,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: SESSION_TTL_MS, httpOnly: true, sameSite: 'lax' },
    }),
  );
  app.use(passport.session());

  app.post('/login', passport.authenticate('local', { failWithError: true }), (request: express.Request, res: express.Response) => {
    const req = request as SessionRequest;
    req.session.csrf = randomBytes(32).toString('hex');
    const user = req.user!;
    res.json({ csrf: req.session.csrf, userId: user.id, loginName: user.username, privileges: JSON.parse(user.privileges) });
  });
  app.get('/session', (request, res) => {
    const req = request as SessionRequest;
    if (!req.user) return void res.status(401).json({ error: 'not logged in' });
    const user = req.user;
    res.json({ userId: user.id, loginName: user.username, privileges: JSON.parse(user.privileges), expires: req.session.cookie.expires });
  });
  app.post('/refresh', (request, res) => {
    const req = request as SessionRequest;
    if (!req.user) return void res.status(401).json({ error: 'not logged in' });
    if (!sameToken(req.body?.csrf, req.session.csrf)) return void res.status(401).json({ error: 'csrf mismatch' });
    req.session.touch();
    res.status(200).end();
  });
  app.use((err: { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err.status ?? 500).json({ error: 'failed' });
  });

  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  exitWithParent(() => new Promise<void>((resolve) => server.close(() => resolve())));
  report({ type: 'ready', port: (server.address() as { port: number }).port });
} catch (error) {
  failStart(error);
}
