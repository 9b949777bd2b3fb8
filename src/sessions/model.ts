/**
 * A session as stored. Tokens appear only as SHA-256 digests. What a bearer
 * check reports (user, privileges) is copied in at login so that the check is
 * one read by key and no join.
 */
export interface SessionRecord {
  idHash: string;
  bearerHash: string;
  csrfHash: string;
  accountId: string;
  userId: string;
  loginName: string;
  privileges: number[];
  isAdmin: boolean;
  isLPA: boolean;
  /** For bots: the API key they logged in with, so revoking it ends their sessions. */
  appKey: string | null;
  /**
   * How the session was made: the authentication method references of RFC
   * 8176 where one fits (`pwd` password, `swk` API key secret, `otp` second
   * factor), `saml` for an SSO assertion. Order: as the methods were used.
   */
  amr: string[];
  wsuk: string;
  createdAt: number;
  /** Idle expiry: moved to now + ttlMs by each refresh. */
  expiresAt: number;
  ttlMs: number;
  /** Absolute end whatever the refreshes; null = none. */
  hardExpiresAt: number | null;
  clientIp: string | null;
  userAgent: string | null;
}

/** What a bearer check reads: who the session is, and whether it is still live. */
export type BearerSession = Pick<
  SessionRecord,
  'accountId' | 'userId' | 'loginName' | 'privileges' | 'isAdmin' | 'isLPA' | 'appKey' | 'amr' | 'createdAt' | 'expiresAt' | 'hardExpiresAt'
>;

export function bearerSessionOf(s: SessionRecord): BearerSession {
  return {
    accountId: s.accountId,
    userId: s.userId,
    loginName: s.loginName,
    privileges: s.privileges,
    isAdmin: s.isAdmin,
    isLPA: s.isLPA,
    appKey: s.appKey,
    amr: s.amr,
    createdAt: s.createdAt,
    expiresAt: s.expiresAt,
    hardExpiresAt: s.hardExpiresAt,
  };
}

/** What sessions stored before methods were recorded are taken to have used: a bot its API key, anyone else a password. */
export const legacyAmr = (appKey: string | null): string[] => (appKey === null ? ['pwd'] : ['swk']);

export interface SessionStore {
  createSession(session: SessionRecord): Promise<void>;
  /** By Session_id digest. Returns the record whatever its expiry: callers compare with their clock. */
  findSessionById(idHash: string): Promise<SessionRecord | null>;
  /**
   * By bearer digest, only what a bearer check needs (the hottest read: fewer
   * columns read and decoded), whatever its expiry.
   */
  findSessionByBearer(bearerHash: string): Promise<BearerSession | null>;
  /** Moves the idle expiry. False when the session no longer exists. */
  extendSession(idHash: string, expiresAt: number): Promise<boolean>;
  deleteSession(idHash: string): Promise<boolean>;
  /** Returns how many sessions were ended. */
  deleteUserSessions(accountId: string, userId: string): Promise<number>;
  deleteAppKeySessions(accountId: string, appKey: string): Promise<number>;
  deleteAccountSessions(accountId: string): Promise<number>;
  /** Live (unexpired at `now`) sessions of an account, or of one user, oldest first. */
  listSessions(accountId: string, now: number, userId?: string): Promise<SessionRecord[]>;
  /** Housekeeping: removes sessions expired at `now`; returns how many. */
  deleteExpiredSessions(now: number): Promise<number>;
  countLiveSessions(now: number): Promise<number>;
}
