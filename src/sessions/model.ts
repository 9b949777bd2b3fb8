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

export interface SessionStore {
  createSession(session: SessionRecord): Promise<void>;
  /** By Session_id digest. Returns the record whatever its expiry: callers compare with their clock. */
  findSessionById(idHash: string): Promise<SessionRecord | null>;
  findSessionByBearer(bearerHash: string): Promise<SessionRecord | null>;
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
