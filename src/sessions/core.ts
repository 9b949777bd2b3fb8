/**
 * The session core: open a session for a user whose login was verified,
 * refresh it, end it, and answer bearer checks. How the user proved who they
 * are is the login flow's business (src/login); a session only records it
 * (`amr`).
 *
 * Hot paths are kept to the minimum of store work:
 * - bearer check: one read by key, no write;
 * - refresh: one read by key, one write;
 * - open: a few reads by key and one insert (the session cap may add more).
 *
 * Requests that name no live session (refresh, logout, password change
 * without a valid cookie) are counted per client address and minute, and
 * past `failuresPerMinute` answered 429. Only failures are counted, so a
 * valid refresh costs nothing more, and still succeeds from an address past
 * the limit: a session id cannot be guessed, and the limit is there to keep
 * floods of refusals out of the audit log and off the store.
 */
import type { Account, AccountSettings } from '../accounts/model.js';
import { accessControlOf, networkAllowed } from '../accounts/accessControl.js';
import { privilegesOf } from '../directory/profiles.js';
import type { Clock } from '../clock.js';
import type { AuditLog } from '../events/audit.js';
import { errors } from '../errors.js';
import { addressBucket } from '../security/addresses.js';
import { hashToken, randomDigits, randomToken, tokenMatches } from '../security/tokens.js';
import type { Stores } from '../store/index.js';
import type { User } from '../directory/model.js';
import type { BearerSession, SessionRecord } from './model.js';
// The wire types belong to the client package; type-only, so nothing of it is loaded at run time.
import type { SessionInfo } from '@login-service/client/protocol';

/** Who sent a request, as far as the server can tell. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface SessionCoreOptions {
  stores: Stores;
  clock: Clock;
  audit: AuditLog;
  /** Requests naming no live session allowed per client address and minute; 0 = no limit. */
  failuresPerMinute: number;
}

/** How a session was made, as the login flow tells the core. */
export interface SessionOrigin {
  /** The login method, as audit events name it (`mfa`: the second step, when audit events name it). */
  method: 'password' | 'apikey' | 'sso' | 'mfa';
  amr: string[];
  /** For bots: the API key they logged in with. */
  appKey: string | null;
}

/** The plain tokens of a new session: given to the client once, stored only as digests. */
export interface SessionTokens {
  sessionId: string;
  csrf: string;
  bearer: string;
}

/** What a request that names no live session was trying to do (audit detail `action`). */
export type CookieAction = 'refresh' | 'logout' | 'password_change';

const FAILURE_WINDOW_MS = 60_000;
const failureKey = (ip: string) => `fail:session:ip:${addressBucket(ip)}`;

export function toSessionInfo(s: BearerSession): SessionInfo {
  return {
    accountId: s.accountId,
    userId: s.userId,
    loginName: s.loginName,
    userPrivileges: s.privileges,
    isAdmin: s.isAdmin,
    isLPA: s.isLPA,
    appKey: s.appKey,
    amr: s.amr,
    createdAt: s.createdAt,
    expiresAt: s.expiresAt,
  };
}

const isLive = (s: Pick<SessionRecord, 'expiresAt' | 'hardExpiresAt'>, now: number): boolean =>
  s.expiresAt > now && (s.hardExpiresAt === null || s.hardExpiresAt > now);

export class SessionCore {
  constructor(private readonly o: SessionCoreOptions) {}

  /** Opens a session for a user whose login was verified, enforces the account's session cap and records the login. */
  async open(
    account: Account,
    user: User,
    settings: AccountSettings,
    client: ClientInfo,
    now: number,
    origin: SessionOrigin,
  ): Promise<{ session: SessionRecord; tokens: SessionTokens }> {
    const { stores, audit } = this.o;
    const accountId = account.accountId;
    // The user's profiles decide, at each login, what the session may do.
    const grants = privilegesOf(user.profileIds, await stores.directory.listProfiles(accountId));
    const tokens = { sessionId: randomToken(), csrf: randomToken(), bearer: randomToken() };
    const session: SessionRecord = {
      idHash: hashToken(tokens.sessionId),
      bearerHash: hashToken(tokens.bearer),
      csrfHash: hashToken(tokens.csrf),
      accountId,
      userId: user.userId,
      loginName: user.loginName,
      privileges: grants.privileges,
      isAdmin: grants.isAdmin,
      isLPA: user.isLPA,
      appKey: origin.appKey,
      amr: origin.amr,
      wsuk: randomDigits(18),
      createdAt: now,
      expiresAt: now + settings.sessionTtlMs,
      ttlMs: settings.sessionTtlMs,
      hardExpiresAt: settings.absoluteSessionLifetimeMs > 0 ? now + settings.absoluteSessionLifetimeMs : null,
      clientIp: client.ip,
      userAgent: client.userAgent ? client.userAgent.slice(0, 512) : null,
    };
    if (session.hardExpiresAt !== null) session.expiresAt = Math.min(session.expiresAt, session.hardExpiresAt);
    await stores.sessions.createSession(session);
    if (settings.maxSessionsPerUser > 0) await this.enforceSessionCap(accountId, user, settings.maxSessionsPerUser, now);
    await audit.record({
      accountId,
      type: origin.method === 'apikey' ? 'apikey_used' : 'login_success',
      userId: user.userId,
      loginName: user.loginName,
      clientIp: client.ip,
      userAgent: client.userAgent,
      detail: origin.appKey !== null ? { method: origin.method, appKey: origin.appKey } : { method: origin.method },
    });
    return { session, tokens };
  }

  /** Moves the session's idle expiry to now + its TTL (never past its absolute end). */
  async refresh(accountId: string, sessionId: string | undefined, csrf: string, client: ClientInfo): Promise<void> {
    const session = await this.sessionForCookie(accountId, sessionId, csrf, client, 'refresh');
    if (session.appKey === null) await this.assertNetworkAllowed(session, client);
    const now = this.o.clock.now();
    const expiresAt = session.hardExpiresAt === null ? now + session.ttlMs : Math.min(now + session.ttlMs, session.hardExpiresAt);
    if (!(await this.o.stores.sessions.extendSession(session.idHash, expiresAt))) throw errors.sessionInvalid();
  }

  /**
   * A person's session is refreshed only from the account's allowed networks
   * (docs/ACCESS-CONTROL.md): a session opened inside does not travel. Costs
   * one read of the account per refresh of a person's session; bots' sessions
   * (appKey set) are governed by their keys' allowlists at login.
   */
  private async assertNetworkAllowed(session: SessionRecord, client: ClientInfo): Promise<void> {
    const account = await this.o.stores.accounts.getAccount(session.accountId);
    if (!account || networkAllowed(accessControlOf(account.settings), client.ip ?? '')) return;
    await this.o.audit.record({
      accountId: session.accountId,
      type: 'refresh_failure',
      userId: session.userId,
      loginName: session.loginName,
      clientIp: client.ip,
      userAgent: client.userAgent,
      detail: { action: 'refresh', reason: 'address_not_allowed' },
    });
    throw errors.addressNotAllowed();
  }

  async logout(accountId: string, sessionId: string | undefined, csrf: string, client: ClientInfo): Promise<void> {
    const session = await this.sessionForCookie(accountId, sessionId, csrf, client, 'logout');
    await this.o.stores.sessions.deleteSession(session.idHash);
    await this.o.audit.record({ accountId, type: 'logout', userId: session.userId, loginName: session.loginName, clientIp: client.ip, userAgent: client.userAgent });
  }

  /**
   * The live session a Session_id cookie names on this account, or null.
   * Read-only and without CSRF: for pages a browser navigates to (the OAuth
   * authorization endpoint), which only read who is signed in.
   */
  async browserSession(accountId: string, sessionId: string | undefined): Promise<SessionRecord | null> {
    if (!sessionId) return null;
    const session = await this.o.stores.sessions.findSessionById(hashToken(sessionId));
    return session && session.accountId === accountId && isLive(session, this.o.clock.now()) ? session : null;
  }

  /**
   * Ends the session a Session_id cookie names (RP-initiated logout, a
   * navigation that carries no CSRF token). Ending a session is all it can
   * do; false when the cookie named no live session of the account.
   */
  async endBrowserSession(accountId: string, sessionId: string | undefined, client: ClientInfo): Promise<boolean> {
    const session = await this.browserSession(accountId, sessionId);
    if (!session || !(await this.o.stores.sessions.deleteSession(session.idHash))) return false;
    await this.o.audit.record({ accountId, type: 'logout', userId: session.userId, loginName: session.loginName, clientIp: client.ip, userAgent: client.userAgent, detail: { via: 'oauth_logout' } });
    return true;
  }

  /** The live session a bearer belongs to, on this account; read-only. */
  async checkBearer(accountId: string, bearer: string): Promise<BearerSession> {
    const session = await this.o.stores.sessions.findSessionByBearer(hashToken(bearer));
    if (!session || session.accountId !== accountId || !isLive(session, this.o.clock.now())) throw errors.bearerInvalid();
    return session;
  }

  /** The live session a Session_id cookie belongs to, with its CSRF token checked. */
  async sessionForCookie(accountId: string, sessionId: string | undefined, csrf: string, client: ClientInfo, action: CookieAction): Promise<SessionRecord> {
    const session = sessionId ? await this.o.stores.sessions.findSessionById(hashToken(sessionId)) : null;
    if (!session || session.accountId !== accountId || !isLive(session, this.o.clock.now())) {
      // An expired session of this account proves the account exists; otherwise the failure path asks the store.
      const known = session?.accountId === accountId || (await this.o.stores.accounts.getAccount(accountId)) !== null;
      await this.refuse(accountId, known, client, action, sessionId ? 'session_invalid' : 'no_cookie');
      throw errors.sessionInvalid();
    }
    if (!tokenMatches(csrf, session.csrfHash)) {
      // Only a holder of a live session id gets here, so this is no flood: one event each, not counted.
      await this.o.audit.record({ accountId, type: 'refresh_failure', userId: session.userId, loginName: session.loginName, clientIp: client.ip, userAgent: client.userAgent, detail: { action, reason: 'csrf_mismatch' } });
      throw errors.csrfInvalid();
    }
    return session;
  }

  /**
   * Counts a request that named no live session against its address (429
   * past the limit) and records it in the audit log, grouped per subject,
   * reason and minute.
   */
  private async refuse(accountId: string, accountKnown: boolean, client: ClientInfo, action: CookieAction, reason: 'no_cookie' | 'session_invalid'): Promise<void> {
    const { stores, clock, audit, failuresPerMinute } = this.o;
    const now = clock.now();
    const who = { accountId, accountKnown, type: 'refresh_failure', clientIp: client.ip, userAgent: client.userAgent } as const;
    if (failuresPerMinute > 0 && client.ip) {
      const counter = await stores.counters.incrementCounter(failureKey(client.ip), FAILURE_WINDOW_MS, now);
      if (counter.count > failuresPerMinute) {
        const retryAfter = Math.max(1, Math.ceil((counter.resetAt - now) / 1000));
        await audit.recordPerMinute({ ...who, groupBy: 'rate_limited', detail: { action, reason: 'rate_limited', retryAfter } });
        throw errors.tooManyFailures('Too many requests without a valid session from this address; try again later', retryAfter);
      }
    }
    await audit.recordPerMinute({ ...who, groupBy: `${action} ${reason}`, detail: { action, reason } });
  }

  private async enforceSessionCap(accountId: string, user: User, cap: number, now: number): Promise<void> {
    const live = await this.o.stores.sessions.listSessions(accountId, now, user.userId);
    for (const old of live.slice(0, Math.max(0, live.length - cap))) {
      await this.o.stores.sessions.deleteSession(old.idHash);
      await this.o.audit.record({ accountId, type: 'session_revoked', userId: user.userId, loginName: user.loginName, detail: { reason: 'session_cap' } });
    }
  }
}
