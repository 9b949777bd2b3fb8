/**
 * The heart: login (password or API key), refresh, logout and bearer check.
 *
 * Hot paths are kept to the minimum of store work:
 * - bearer check: one read by key, no write;
 * - refresh: one read by key, one write;
 * - login: the argon2 verification dominates; everything else is a few reads
 *   by key and one insert.
 */
import { accountSettings, type Account, type AgentGroup, type ServiceBaseURI } from '../accounts/model.js';
import { privilegesOf } from '../admin/directory.js';
import { serviceBaseURIs } from '../accounts/service.js';
import type { Clock } from '../clock.js';
import type { AuditLog } from '../events/audit.js';
import { ApiError, InternalCode, errors } from '../http/errors.js';
import type { PasswordHasher } from '../security/passwords.js';
import type { BruteForceGuard } from '../security/bruteForce.js';
import { digestsEqual, hashToken, randomDigits, randomToken, tokenMatches } from '../security/tokens.js';
import type { Stores } from '../store/index.js';
import { zoneOffsetMs } from '../timezones.js';
import type { User } from '../users/model.js';
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
  constructor(private readonly o: SessionServiceOptions) {}

  async login(accountId: string, credentials: LoginCredentials, client: ClientInfo): Promise<LoginResponse> {
    const { stores, clock, guard, audit } = this.o;
    const now = clock.now();
    const method = isApplicationLogin(credentials) ? 'apikey' : 'password';
    await guard.assertAddressAllowed(accountId, client, now);

    const account = await stores.accounts.getAccount(accountId);
    const user = account ? await stores.users.getUserByLoginName(accountId, credentials.username) : null;
    const settings = account ? accountSettings(account) : null;
    const fail = async (reason: string, failedUser: User | null): Promise<never> => {
      await guard.recordFailure(accountId, failedUser, settings, client, now, credentials.username);
      await audit.record({
        accountId,
        type: 'login_failure',
        userId: failedUser?.userId,
        loginName: credentials.username.slice(0, 256),
        clientIp: client.ip,
        userAgent: client.userAgent,
        detail: { reason, method },
      });
      throw errors.loginFailed();
    };

    if (!account || !settings) {
      if (!isApplicationLogin(credentials)) await this.o.hasher.verifyDummy(credentials.password);
      return fail('unknown_account', null);
    }
    if (!isApplicationLogin(credentials) && Buffer.byteLength(credentials.password, 'utf8') > settings.passwordMaxBytes) {
      // Refused before hashing: an oversized password must not buy an attacker hashing time.
      return fail('password_too_long', user);
    }
    const locked = user ? await guard.lockedUntil(accountId, user, settings, now) : null;

    let verified: boolean;
    if (isApplicationLogin(credentials)) {
      verified = await this.applicationCredentialsValid(accountId, user, credentials);
    } else if (!user || user.isBot || !user.passwordHash) {
      verified = await this.o.hasher.verifyDummy(credentials.password);
    } else {
      // Verified even when locked, so a locked user's answer takes as long as anyone's.
      verified = await this.o.hasher.verify(user.passwordHash, credentials.password);
    }

    if (!user) return fail('unknown_user', null);
    if (locked !== null) {
      // Costs the address, not the user: a lock that grew with each attempt could be held for ever by an attacker.
      await guard.recordAddressFailure(client, now);
      await audit.record({ accountId, type: 'login_locked', userId: user.userId, loginName: user.loginName, clientIp: client.ip, userAgent: client.userAgent, detail: { lockedUntil: locked, method } });
      throw errors.loginFailed();
    }
    if (!verified) {
      const reason = isApplicationLogin(credentials) ? (user.isBot ? 'wrong_api_key' : 'not_a_bot') : user.isBot ? 'bot_password_login' : 'wrong_password';
      return fail(reason, user);
    }
    if (!user.enabled) return fail('disabled', user);
    const passwordExpired = settings.passwordMaxAgeMs > 0 && (user.passwordChangedAt ?? user.createdAt) + settings.passwordMaxAgeMs <= now;
    if (!isApplicationLogin(credentials) && (passwordExpired || user.changePwdNextLogin)) {
      await audit.record({ accountId, type: 'password_expired', userId: user.userId, loginName: user.loginName, clientIp: client.ip, userAgent: client.userAgent });
      throw new ApiError(401, InternalCode.PASSWORD_EXPIRED, 'Password expired: it must be changed by an administrator');
    }

    await guard.recordSuccess(accountId, user);
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
      appKey: isApplicationLogin(credentials) ? credentials.appKey : null,
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
      type: isApplicationLogin(credentials) ? 'apikey_used' : 'login_success',
      userId: user.userId,
      loginName: user.loginName,
      clientIp: client.ip,
      userAgent: client.userAgent,
      detail: isApplicationLogin(credentials) ? { method, appKey: credentials.appKey } : { method },
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
    const session = await this.findLiveBearerSession(accountId, bearer);
    if (!session) throw errors.bearerInvalid();
    return session;
  }

  /** The live session of this account that a bearer belongs to, or null. */
  async findLiveBearerSession(accountId: string, bearer: string): Promise<BearerSession | null> {
    const session = await this.o.stores.sessions.findSessionByBearer(hashToken(bearer));
    return session && session.accountId === accountId && this.isLive(session, this.o.clock.now()) ? session : null;
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
    const tokenOk = digestsEqual(hashToken(c.accessToken), hashToken(key.accessToken));
    const tokenSecretOk = tokenMatches(c.accessTokenSecret, key.accessTokenSecretHash);
    return user !== null && secretOk && tokenOk && tokenSecretOk && key.revokedAt === null && user.isBot && user.appKey !== null && user.appKey.split(',').includes(c.appKey);
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
