/**
 * The requests each scenario sends. Pre-seeded sessions are addressed by
 * number and their tokens recomputed from the run's seed (see tokens.ts).
 */
import { createHmac } from 'node:crypto';
import type { NextRequest } from './load.js';
import { pickSession, seededToken } from './tokens.js';

const json = { 'content-type': 'application/json' };

/** Our API: bearer check, refresh and login, on account `accountId`. */
export function ourRequests(runSeed: string, accountId: string) {
  return {
    validate: (sessions: number) => (): NextRequest => ({
      method: 'GET',
      path: `/api/account/${accountId}/session`,
      headers: { authorization: `Bearer ${seededToken(runSeed, 'bearer', pickSession(sessions))}` },
    }),
    refresh: (sessions: number) => (): NextRequest => {
      const i = pickSession(sessions);
      return {
        method: 'POST',
        path: `/api/account/${accountId}/refresh?v=1.3`,
        headers: { ...json, cookie: `Session_id=${seededToken(runSeed, 'sid', i)}` },
        body: JSON.stringify({ csrf: seededToken(runSeed, 'csrf', i) }),
      };
    },
    login: (users: number, password: string) => (): NextRequest => ({
      method: 'POST',
      path: `/api/account/${accountId}/login?v=1.3`,
      headers: json,
      body: JSON.stringify({ username: `agent-${pickSession(users)}`, password }),
    }),
  };
}

/** express-session's signed cookie for pre-seeded session i: s:<sid>.<base64 HMAC-SHA256 without padding>, URL-encoded. */
function expressCookie(runSeed: string, cookieSecret: string, i: number): string {
  const sid = seededToken(runSeed, 'sid', i);
  const signature = createHmac('sha256', cookieSecret).update(sid).digest('base64').replace(/=+$/, '');
  return `connect.sid=${encodeURIComponent(`s:${sid}.${signature}`)}`;
}

/** The Express + express-session + passport baseline (bench/servers/express.ts). */
export function expressRequests(runSeed: string, cookieSecret: string) {
  return {
    check: (sessions: number) => (): NextRequest => ({ method: 'GET', path: '/session', headers: { cookie: expressCookie(runSeed, cookieSecret, pickSession(sessions)) } }),
    refresh: (sessions: number) => (): NextRequest => {
      const i = pickSession(sessions);
      return { method: 'POST', path: '/refresh', headers: { ...json, cookie: expressCookie(runSeed, cookieSecret, i) }, body: JSON.stringify({ csrf: seededToken(runSeed, 'csrf', i) }) };
    },
    login: (users: number, password: string) => (): NextRequest => ({
      method: 'POST',
      path: '/login',
      headers: json,
      body: JSON.stringify({ username: `agent-${pickSession(users)}`, password }),
    }),
  };
}

/** The better-auth baseline (bench/servers/better-auth.ts): its session cookies come from the server. */
export function betterAuthRequests(cookies: () => string[]) {
  return {
    getSession: (): NextRequest => {
      const all = cookies();
      return { method: 'GET', path: '/api/auth/get-session', headers: { cookie: all[pickSession(all.length)]! } };
    },
    signIn: (users: number, password: string) => (): NextRequest => ({
      method: 'POST',
      path: '/api/auth/sign-in/email',
      headers: json,
      body: JSON.stringify({ email: `agent-${pickSession(users)}@example.com`, password }),
    }),
  };
}
