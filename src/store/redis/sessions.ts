/**
 * Sessions in Redis. Layout (every key starts with the configured prefix):
 *
 *   session:<idHash>                       hash: the record (absent fields are null)
 *   bearer:<bearerHash>                    string: the idHash, so a bearer check is one lookup
 *   account-sessions:<accountId>           sorted set of idHash by createdAt: listing, bulk end
 *   user-sessions:<accountId>:<userId>     sorted set of idHash by createdAt
 *   appkey-sessions:<accountId>:<appKey>   set of idHash: ending a revoked key's sessions
 *   session-expiry                         sorted set of idHash by expiresAt: count and sweep
 *
 * The session and bearer keys expire with the session; an index expires with
 * its longest-lived member. Members left behind by sessions that Redis expired
 * on its own are dropped when a listing or the housekeeping sweep meets them.
 */
import type { Redis } from 'ioredis';
import { bearerSessionOf, legacyAmr, type BearerSession, type SessionRecord, type SessionStore } from '../../sessions/model.js';
import {
  CREATE_SESSION,
  DELETE_EXPIRED_SESSIONS,
  DELETE_INDEXED_SESSIONS,
  DELETE_SESSION,
  EXTEND_SESSION,
  FIND_SESSION_BY_BEARER,
  LIST_SESSIONS,
} from './scripts.js';
import { defineScript, type RedisScript } from './script.js';
import { amrFromText } from '../rows.js';

/** Sweeps in batches so that no single script holds Redis for long. */
const SWEEP_BATCH = 500;

function toFields(s: SessionRecord): string[] {
  const fields: Record<string, string | null> = {
    idHash: s.idHash,
    bearerHash: s.bearerHash,
    csrfHash: s.csrfHash,
    accountId: s.accountId,
    userId: s.userId,
    loginName: s.loginName,
    privileges: JSON.stringify(s.privileges),
    isAdmin: s.isAdmin ? '1' : '0',
    isLPA: s.isLPA ? '1' : '0',
    appKey: s.appKey,
    amr: JSON.stringify(s.amr),
    wsuk: s.wsuk,
    createdAt: String(s.createdAt),
    expiresAt: String(s.expiresAt),
    ttlMs: String(s.ttlMs),
    hardExpiresAt: s.hardExpiresAt === null ? null : String(s.hardExpiresAt),
    clientIp: s.clientIp,
    userAgent: s.userAgent,
  };
  return Object.entries(fields).flatMap(([field, value]) => (value === null ? [] : [field, value]));
}

function toSession(h: Record<string, string>): SessionRecord {
  const nullable = (v: string | undefined) => v ?? null;
  return {
    idHash: h.idHash!,
    bearerHash: h.bearerHash!,
    csrfHash: h.csrfHash!,
    accountId: h.accountId!,
    userId: h.userId!,
    loginName: h.loginName!,
    privileges: JSON.parse(h.privileges!),
    isAdmin: h.isAdmin === '1',
    isLPA: h.isLPA === '1',
    appKey: nullable(h.appKey),
    // Sessions created before methods were recorded have no amr field.
    amr: h.amr === undefined ? legacyAmr(nullable(h.appKey)) : amrFromText(h.amr),
    wsuk: h.wsuk!,
    createdAt: Number(h.createdAt),
    expiresAt: Number(h.expiresAt),
    ttlMs: Number(h.ttlMs),
    hardExpiresAt: h.hardExpiresAt === undefined ? null : Number(h.hardExpiresAt),
    clientIp: nullable(h.clientIp),
    userAgent: nullable(h.userAgent),
  };
}

/** A hash as scripts return it: [field, value, field, value…]. */
function fromPairs(pairs: string[]): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) h[pairs[i]!] = pairs[i + 1]!;
  return h;
}

export class RedisSessionStore implements SessionStore {
  private readonly scripts: {
    create: RedisScript;
    findByBearer: RedisScript;
    extend: RedisScript;
    delete: RedisScript;
    deleteIndexed: RedisScript;
    list: RedisScript;
    deleteExpired: RedisScript;
  };

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.scripts = {
      create: defineScript(redis, 'loginServiceCreateSession', CREATE_SESSION),
      findByBearer: defineScript(redis, 'loginServiceFindSessionByBearer', FIND_SESSION_BY_BEARER),
      extend: defineScript(redis, 'loginServiceExtendSession', EXTEND_SESSION),
      delete: defineScript(redis, 'loginServiceDeleteSession', DELETE_SESSION),
      deleteIndexed: defineScript(redis, 'loginServiceDeleteIndexedSessions', DELETE_INDEXED_SESSIONS, 1),
      list: defineScript(redis, 'loginServiceListSessions', LIST_SESSIONS, 1),
      deleteExpired: defineScript(redis, 'loginServiceDeleteExpiredSessions', DELETE_EXPIRED_SESSIONS),
    };
  }

  private accountIndex(accountId: string) {
    return `${this.prefix}account-sessions:${accountId}`;
  }

  private userIndex(accountId: string, userId: string) {
    return `${this.prefix}user-sessions:${accountId}:${userId}`;
  }

  async createSession(s: SessionRecord): Promise<void> {
    const end = s.hardExpiresAt === null ? s.expiresAt : Math.min(s.expiresAt, s.hardExpiresAt);
    const ttl = Math.max(1, end - s.createdAt);
    await this.scripts.create(this.prefix, s.idHash, ttl, ...toFields(s));
  }

  async findSessionById(idHash: string): Promise<SessionRecord | null> {
    const h = await this.redis.hgetall(`${this.prefix}session:${idHash}`);
    return h.idHash === undefined ? null : toSession(h);
  }

  async findSessionByBearer(bearerHash: string): Promise<BearerSession | null> {
    const pairs = (await this.scripts.findByBearer(this.prefix, bearerHash)) as string[] | null;
    return pairs && pairs.length > 0 ? bearerSessionOf(toSession(fromPairs(pairs))) : null;
  }

  async extendSession(idHash: string, expiresAt: number): Promise<boolean> {
    return (await this.scripts.extend(this.prefix, idHash, expiresAt)) === 1;
  }

  async deleteSession(idHash: string): Promise<boolean> {
    return (await this.scripts.delete(this.prefix, idHash)) === 1;
  }

  async deleteUserSessions(accountId: string, userId: string): Promise<number> {
    return (await this.scripts.deleteIndexed(this.userIndex(accountId, userId), this.prefix, 'zset')) as number;
  }

  async deleteAppKeySessions(accountId: string, appKey: string): Promise<number> {
    return (await this.scripts.deleteIndexed(`${this.prefix}appkey-sessions:${accountId}:${appKey}`, this.prefix, 'set')) as number;
  }

  async deleteAccountSessions(accountId: string): Promise<number> {
    return (await this.scripts.deleteIndexed(this.accountIndex(accountId), this.prefix, 'zset')) as number;
  }

  async listSessions(accountId: string, now: number, userId?: string): Promise<SessionRecord[]> {
    const index = userId === undefined ? this.accountIndex(accountId) : this.userIndex(accountId, userId);
    const hashes = (await this.scripts.list(index, this.prefix, now)) as string[][];
    return hashes.map((pairs) => toSession(fromPairs(pairs)));
  }

  async deleteExpiredSessions(now: number): Promise<number> {
    let ended = 0;
    for (;;) {
      const [n, visited] = (await this.scripts.deleteExpired(this.prefix, now, SWEEP_BATCH)) as [number, number];
      ended += n;
      if (visited < SWEEP_BATCH) return ended;
    }
  }

  async countLiveSessions(now: number): Promise<number> {
    return this.redis.zcount(`${this.prefix}session-expiry`, `(${now}`, '+inf');
  }
}
