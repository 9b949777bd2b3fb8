/**
 * The heart: login (password or API key), refresh, logout and bearer check.
 *
 * Hot paths are kept to the minimum of store work:
 * - bearer check: one read by key, no write;
 * - refresh: one read by key, one write;
 * - login: the argon2 verification dominates; everything else is a few reads
 *   by key and one insert.
 */
import { accountSettings, type Account, type AccountSettings, type ServiceBaseURI } from '../accounts/model.js';
import { privilegesOf } from '../directory/profiles.js';
import { serviceBaseURIs } from '../accounts/service.js';
import type { Clock } from '../clock.js';
import type { AuditLog } from '../events/audit.js';
import { errors } from '../errors.js';
import type { PasswordHasher } from '../security/passwords.js';
import type { BruteForceGuard, LoginAttempt } from '../security/bruteForce.js';
import { hashToken, randomDigits, randomToken, tokenMatches } from '../security/tokens.js';
import type { Stores } from '../store/index.js';
import { zoneOffsetMs } from '../timezones.js';
import { SsoLogin } from '../sso/service.js';
import type { AgentGroup, User } from '../directory/model.js';
import type { BearerSession, SessionRecord } from './model.js';
// The wire types belong to the client package; type-only, so nothing of it is loaded at run time.
import type { ApplicationCredentials, LoginCredentials, LoginResponse, PasswordCredentials, SessionInfo } from '@login-service/client/protocol';

export type { ApplicationCredentials, LoginCredentials, LoginResponse, PasswordCredentials, SessionInfo };

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface SessionServiceOptions {
  stores: Stores;
  clock: Clock;
  hasher: PasswordHasher;
  audit: AuditLog;
  guard: BruteForceGuard;
  publicHost: string;
  serverTimeZone: string;
}

/** The window of the per-bot Application Login limit (AccountSettings.applicationLoginLimit), and the Retry-After beyond it. */
export const APPLICATION_LOGIN_WINDOW_MS = 5_000;

export const isApplicationLogin = (c: LoginCredentials): c is ApplicationCredentials => 'appKey' in c;

export function toSessionInfo(s: BearerSession): SessionInfo {
  return {
    accountId: s.accountId,
    userId: s.userId,
    loginName: s.loginName,
    userPrivileges: s.privileges,
    isAdmin: s.isAdmin,
    isLPA: s.isLPA,
    appKey: s.appKey,
    createdAt: s.createdAt,
    expiresAt: s.expiresAt,
  };
}

export class SessionService {
  private readonly ssoLogin: SsoLogin;

  constructor(private readonly o: SessionServiceOptions) {
    this.ssoLogin = new SsoLogin(o, this);
  }

  async login(accountId: string, credentials: LoginCredentials, client: ClientInfo): Promise<LoginResponse> {
    const { stores, clock, guard } = this.o;
    const now = clock.now();
    const method = isApplicationLogin(credentials) ? 'apikey' : 'password';
    const account = await stores.accounts.getAccount(accountId);
    // Counted before anything is verified, so guesses sent at once meet the limits too (429 here).
    const attempt = await guard.beginAttempt(accountId, account !== null, client, now);
    try {
      return await this.attemptLogin(accountId, account, credentials, client, now, method, attempt);
    } finally {
      // Gives back the counts of an attempt that neither failed nor succeeded (expired password, overload, error).
      await attempt.end();
    }
  }

  private async attemptLogin(
    accountId: string,
    account: Account | null,
    credentials: LoginCredentials,
    client: ClientInfo,
    now: number,
    method: 'apikey' | 'password',
    attempt: LoginAttempt,
  ): Promise<LoginResponse> {
    const { stores, audit } = this.o;
    if (!account) {
      if (!isApplicationLogin(credentials)) await this.o.hasher.verifyDummy(credentials.password);
      await attempt.failed(null, null);
      // Counted per address and minute, without the account id, name or user agent the client made up.
      await audit.recordPerMinute({ accountId, accountKnown: false, type: 'login_failure', clientIp: client.ip, detail: { reason: 'unknown_account', method } });
      throw errors.loginFailed();
    }
    const user = await stores.users.getUserByLoginName(accountId, credentials.username);
    const settings = accountSettings(account);
    const fail = async (reason: string, failedUser: User | null): Promise<never> => {
      await attempt.failed(failedUser, settings);
      await audit.record({
        accountId,
        type: 'login_failure',
        userId: failedUser?.userId,
        loginName: credentials.username,
        clientIp: client.ip,
        userAgent: client.userAgent,
        detail: { reason, method },
      });
      throw errors.loginFailed();
    };

    // Refused before hashing: an oversized password must not buy an attacker hashing time.
    const tooLong = !isApplicationLogin(credentials) && Buffer.byteLength(credentials.password, 'utf8') > settings.passwordMaxBytes;
    if (user && !(await attempt.admitUser(user, settings, method))) {
      // Locked: costs the address, not the user. The dummy verification makes the answer take as long as anyone's,
      // without verifying the guess.
      if (!isApplicationLogin(credentials) && !tooLong) await this.o.hasher.verifyDummy(credentials.password);
      throw errors.loginFailed();
    }
    // Once an account enforces SSO, its people log in through their identity provider; bots keep their keys.
    if (!isApplicationLogin(credentials) && settings.sso?.enforce) return fail('sso_enforced', user);
    if (tooLong) return fail('password_too_long', user);

    let verified: boolean;
    if (isApplicationLogin(credentials)) {
      verified = await this.applicationCredentialsValid(accountId, user, credentials);
    } else if (!user || user.isBot || !user.passwordHash) {
      verified = await this.o.hasher.verifyDummy(credentials.password);
    } else {
      verified = await this.o.hasher.verify(user.passwordHash, credentials.password);
    }

    if (!user) return fail('unknown_user', null);
    if (!verified) {
      const reason = isApplicationLogin(credentials) ? (user.isBot ? 'wrong_api_key' : 'not_a_bot') : user.isBot ? 'bot_password_login' : 'wrong_password';
      return fail(reason, user);
    }
    if (!user.enabled) return fail('disabled', user);
    if (isApplicationLogin(credentials)) await this.assertApplicationLoginAllowed(accountId, user, settings, client, now);
    const passwordExpired = settings.passwordMaxAgeMs > 0 && (user.passwordChangedAt ?? user.createdAt) + settings.passwordMaxAgeMs <= now;
    if (!isApplicationLogin(credentials) && (passwordExpired || user.changePwdNextLogin)) {
      await audit.record({ accountId, type: 'password_expired', userId: user.userId, loginName: user.loginName, clientIp: client.ip, userAgent: client.userAgent });
      throw errors.passwordExpired();
    }

    await attempt.succeeded(user);
    const appKey = isApplicationLogin(credentials) ? credentials.appKey : null;
    return this.openSession(account, user, settings, client, now, { method, appKey });
  }

  /** SSO login with a SAML assertion (src/sso): checked there, then a session like any other. */
  loginWithAssertion(accountId: string, assertion: string, client: ClientInfo): Promise<LoginResponse> {
    return this.ssoLogin.login(accountId, assertion, client);
  }

  /** Opens a session for a user whose credentials were verified, and records the login. */
  async openSession(
    account: Account,
    user: User,
    settings: AccountSettings,
    client: ClientInfo,
    now: number,
    login: { method: 'password' | 'apikey' | 'sso'; appKey: string | null },
  ): Promise<LoginResponse> {
    const { stores, audit } = this.o;
    const accountId = account.accountId;
    // The user's profiles decide, at each login, what the session may do.
    const grants = privilegesOf(user.profileIds, await stores.directory.listProfiles(accountId));
    const sessionId = randomToken();
    const csrf = randomToken();
    const bearer = randomToken();
    const session: SessionRecord = {
      idHash: hashToken(sessionId),
      bearerHash: hashToken(bearer),
      csrfHash: hashToken(csrf),
      accountId,
      userId: user.userId,
      loginName: user.loginName,
      privileges: grants.privileges,
      isAdmin: grants.isAdmin,
      isLPA: user.isLPA,
      appKey: login.appKey,
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
    if (settings.maxSessionsPerUser > 0) await this.enforceSessionCap(account, user, settings.maxSessionsPerUser, now);
    await audit.record({
      accountId,
      type: login.method === 'apikey' ? 'apikey_used' : 'login_success',
      userId: user.userId,
      loginName: user.loginName,
      clientIp: client.ip,
      userAgent: client.userAgent,
      detail: login.appKey !== null ? { method: login.method, appKey: login.appKey } : { method: login.method },
    });
    const baseURIs = await serviceBaseURIs(stores, accountId, this.o.publicHost);
    const groups = { items: await stores.directory.listAgentGroups(accountId), revision: await stores.directory.revision(accountId, 'agentGroups') };
    return this.loginResponse(account, user, session, { sessionId, csrf, bearer }, baseURIs, groups, now);
  }

  /** Moves the session's idle expiry to now + its TTL (never past its absolute end). */
  async refresh(accountId: string, sessionId: string | undefined, csrf: string, client: ClientInfo): Promise<void> {
    const session = await this.sessionForCookie(accountId, sessionId, csrf, client, 'refresh');
    const now = this.o.clock.now();
    const expiresAt = session.hardExpiresAt === null ? now + session.ttlMs : Math.min(now + session.ttlMs, session.hardExpiresAt);
    if (!(await this.o.stores.sessions.extendSession(session.idHash, expiresAt))) throw errors.sessionInvalid();
  }

  async logout(accountId: string, sessionId: string | undefined, csrf: string, client: ClientInfo): Promise<void> {
    const session = await this.sessionForCookie(accountId, sessionId, csrf, client, 'logout');
    await this.o.stores.sessions.deleteSession(session.idHash);
    await this.o.audit.record({ accountId, type: 'logout', userId: session.userId, loginName: session.loginName, clientIp: client.ip, userAgent: client.userAgent });
  }

  /** The live session a bearer belongs to, on this account; read-only. */
  async checkBearer(accountId: string, bearer: string): Promise<BearerSession> {
    const session = await this.o.stores.sessions.findSessionByBearer(hashToken(bearer));
    if (!session || session.accountId !== accountId || !this.isLive(session, this.o.clock.now())) throw errors.bearerInvalid();
    return session;
  }

  /** The live session a Session_id cookie belongs to, with its CSRF token checked. */
  async sessionForCookie(accountId: string, sessionId: string | undefined, csrf: string, client: ClientInfo, action: string): Promise<SessionRecord> {
    const session = sessionId ? await this.o.stores.sessions.findSessionById(hashToken(sessionId)) : null;
    if (!session || session.accountId !== accountId || !this.isLive(session, this.o.clock.now())) {
      await this.o.audit.record({ accountId, type: 'refresh_failure', clientIp: client.ip, userAgent: client.userAgent, detail: { action, reason: sessionId ? 'session_invalid' : 'no_cookie' } });
      throw errors.sessionInvalid();
    }
    if (!tokenMatches(csrf, session.csrfHash)) {
      await this.o.audit.record({ accountId, type: 'refresh_failure', userId: session.userId, loginName: session.loginName, clientIp: client.ip, userAgent: client.userAgent, detail: { action, reason: 'csrf_mismatch' } });
      throw errors.csrfInvalid();
    }
    return session;
  }

  private isLive(s: Pick<SessionRecord, 'expiresAt' | 'hardExpiresAt'>, now: number): boolean {
    return s.expiresAt > now && (s.hardExpiresAt === null || s.hardExpiresAt > now);
  }

  /** The key is read even for an unknown user, so the store work does not tell which login names exist. */
  private async applicationCredentialsValid(accountId: string, user: User | null, c: ApplicationCredentials): Promise<boolean> {
    const key = await this.o.stores.apiKeys.getApiKey(accountId, c.appKey);
    if (!key) return false;
    // Every comparison runs, in constant time, so the answer's timing says nothing about which value was wrong.
    const secretOk = tokenMatches(c.secret, key.secretHash);
    const tokenOk = tokenMatches(c.accessToken ?? '', key.accessTokenHash ?? '');
    const tokenSecretOk = tokenMatches(c.accessTokenSecret ?? '', key.accessTokenSecretHash ?? '');
    // An oauth2 key is client credentials: the access-token fields are placeholders.
    const tokensOk = key.type === 'oauth2' || (tokenOk && tokenSecretOk);
    return user !== null && secretOk && tokensOk && key.revokedAt === null && user.isBot && user.appKey !== null && user.appKey.split(',').includes(c.appKey);
  }

  /**
   * Successful Application Logins are counted per bot in windows of
   * APPLICATION_LOGIN_WINDOW_MS; beyond the account's limit, 429 with the
   * original's advice (retry after 5 s). Only verified logins count, so
   * nobody without the bot's key can hold it back.
   */
  private async assertApplicationLoginAllowed(accountId: string, user: User, settings: AccountSettings, client: ClientInfo, now: number): Promise<void> {
    if (settings.applicationLoginLimit <= 0) return;
    const counter = await this.o.stores.counters.incrementCounter(`applogin:${accountId}:${user.userId}`, APPLICATION_LOGIN_WINDOW_MS, now);
    if (counter.count <= settings.applicationLoginLimit) return;
    await this.o.audit.record({ accountId, type: 'login_rate_limited', userId: user.userId, loginName: user.loginName, clientIp: client.ip, userAgent: client.userAgent, detail: { reason: 'application_login_limit', method: 'apikey' } });
    throw errors.tooManyFailures('Too many Application Logins for this bot; retry after 5 seconds', APPLICATION_LOGIN_WINDOW_MS / 1000);
  }

  private async enforceSessionCap(account: Account, user: User, cap: number, now: number): Promise<void> {
    const live = await this.o.stores.sessions.listSessions(account.accountId, now, user.userId);
    for (const old of live.slice(0, Math.max(0, live.length - cap))) {
      await this.o.stores.sessions.deleteSession(old.idHash);
      await this.o.audit.record({ accountId: account.accountId, type: 'session_revoked', userId: user.userId, loginName: user.loginName, detail: { reason: 'session_cap' } });
    }
  }

  private loginResponse(
    account: Account,
    user: User,
    session: SessionRecord,
    tokens: { sessionId: string; csrf: string; bearer: string },
    baseURIs: ServiceBaseURI[],
    groups: { items: AgentGroup[]; revision: number },
    now: number,
  ): LoginResponse {
    const serverOffset = zoneOffsetMs(this.o.serverTimeZone, now);
    return {
      csrf: tokens.csrf,
      wsuk: session.wsuk,
      config: {
        loginName: user.loginName,
        userId: user.userId,
        userPid: user.userPid,
        userPrivileges: session.privileges,
        serverCurrentTime: now,
        // Account wall-clock time minus server wall-clock time (docs/API.md).
        timeDiff: zoneOffsetMs(account.timeZone, now) - serverOffset,
        serverTimeZoneName: this.o.serverTimeZone,
        serverTimeGMTDiff: serverOffset,
        isLPA: user.isLPA,
        isAdmin: session.isAdmin,
        accountTimeZoneId: account.timeZone,
      },
      csdsCollectionResponse: {
        baseURIs: baseURIs.map((b) => ({ account: account.accountId, baseURI: b.baseURI, service: b.service })),
      },
      accountData: {
        agentGroupsData: {
          items: groups.items.map((g) => ({ id: g.id, deleted: g.deleted, name: g.name })),
          revision: groups.revision,
        },
      },
      sessionTTl: String(session.ttlMs),
      bearer: tokens.bearer,
      sessionId: tokens.sessionId,
    };
  }
}
