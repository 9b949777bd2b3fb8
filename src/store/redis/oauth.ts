/**
 * OAuth grants in Redis, where the sessions are. Layout (every key starts
 * with the configured prefix):
 *
 *   oauth-code:<codeHash>                          hash: the code and its `uses`
 *   oauth-refresh:<tokenHash>                      hash: the token and `rotated` (0 or 1)
 *   oauth-family:<familyId>                        set: its codes ('c:<hash>') and tokens ('r:<hash>')
 *   oauth-user-families:<accountId>:<userId>       set of familyId
 *   oauth-client-families:<accountId>:<clientId>   set of familyId
 *   oauth-family-revoked:<familyId>                string: the mark's end (ms)
 *   oauth-access-revoked:<jti>                     string: the mark's end (ms)
 *
 * Codes and tokens expire with their own life (expiresAt − createdAt; a
 * rotated-in token from the rotation's `now`); sets expire with their
 * longest-lived member, so Redis forgets everything itself and
 * `deleteExpiredGrants` has nothing to do. Every read compares the stored
 * times with the caller's `now`, as the SQL backends do.
 *
 * Marks hold their end and are compared with `now` too. Their TTL only frees
 * memory: the contract keeps a mark's end within MAX_ACCESS_TOKEN_LIFETIME_MS
 * of the time it is set (no access token lives longer), so each mark lives
 * that long in Redis, whatever the service's clock says the time is.
 *
 * Every step that reads and writes is one Lua script (oauthScripts.ts), so
 * of concurrent takes or rotations exactly one wins.
 */
import type { Redis } from 'ioredis';
import {
  MAX_ACCESS_TOKEN_LIFETIME_MS,
  type AuthorizationCode,
  type OAuthGrantStore,
  type RefreshToken,
  type RotationResult,
  type TakenCode,
} from '../../oauth/model.js';
import {
  FIND_REFRESH_TOKEN,
  MARK,
  REVOKE_FAMILY,
  REVOKE_INDEXED_FAMILIES,
  ROTATE_REFRESH_TOKEN,
  SAVE_CODE,
  SAVE_REFRESH_TOKEN,
  TAKE_CODE,
} from './oauthScripts.js';
import { defineScript, type RedisScript } from './script.js';

function flatten(fields: Record<string, string | number | null>): string[] {
  return Object.entries(fields).flatMap(([field, value]) => (value === null ? [] : [field, String(value)]));
}

function fromPairs(pairs: string[]): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) h[pairs[i]!] = pairs[i + 1]!;
  return h;
}

const codeFields = (c: AuthorizationCode) =>
  flatten({
    codeHash: c.codeHash,
    accountId: c.accountId,
    clientId: c.clientId,
    userId: c.userId,
    redirectUri: c.redirectUri,
    scope: c.scope,
    nonce: c.nonce,
    codeChallenge: c.codeChallenge,
    authTime: c.authTime,
    amr: JSON.stringify(c.amr),
    familyId: c.familyId,
    createdAt: c.createdAt,
    expiresAt: c.expiresAt,
  });

const toCode = (h: Record<string, string>): AuthorizationCode => ({
  codeHash: h.codeHash!,
  accountId: h.accountId!,
  clientId: h.clientId!,
  userId: h.userId!,
  redirectUri: h.redirectUri!,
  scope: h.scope!,
  nonce: h.nonce ?? null,
  codeChallenge: h.codeChallenge ?? null,
  authTime: Number(h.authTime),
  amr: JSON.parse(h.amr!) as string[],
  familyId: h.familyId!,
  createdAt: Number(h.createdAt),
  expiresAt: Number(h.expiresAt),
});

const tokenFields = (t: RefreshToken) =>
  flatten({
    tokenHash: t.tokenHash,
    familyId: t.familyId,
    accountId: t.accountId,
    clientId: t.clientId,
    userId: t.userId,
    scope: t.scope,
    authTime: t.authTime,
    amr: JSON.stringify(t.amr),
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
  });

const toToken = (h: Record<string, string>): RefreshToken => ({
  tokenHash: h.tokenHash!,
  familyId: h.familyId!,
  accountId: h.accountId!,
  clientId: h.clientId!,
  userId: h.userId!,
  scope: h.scope!,
  authTime: Number(h.authTime),
  amr: JSON.parse(h.amr!) as string[],
  createdAt: Number(h.createdAt),
  expiresAt: Number(h.expiresAt),
});

/** A TTL of at least 1 ms (Redis refuses 0 and below). */
const ttl = (ms: number) => Math.max(1, Math.round(ms));

/** The TTL of every revocation mark (see above). */
const MARK_TTL_MS = MAX_ACCESS_TOKEN_LIFETIME_MS;

export class RedisOAuthGrantStore implements OAuthGrantStore {
  private readonly scripts: Record<'saveCode' | 'takeCode' | 'saveToken' | 'findToken' | 'rotate' | 'revokeFamily' | 'revokeIndexed' | 'mark', RedisScript>;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.scripts = {
      saveCode: defineScript(redis, 'loginServiceOAuthSaveCode', SAVE_CODE),
      takeCode: defineScript(redis, 'loginServiceOAuthTakeCode', TAKE_CODE),
      saveToken: defineScript(redis, 'loginServiceOAuthSaveRefreshToken', SAVE_REFRESH_TOKEN),
      findToken: defineScript(redis, 'loginServiceOAuthFindRefreshToken', FIND_REFRESH_TOKEN),
      rotate: defineScript(redis, 'loginServiceOAuthRotateRefreshToken', ROTATE_REFRESH_TOKEN),
      revokeFamily: defineScript(redis, 'loginServiceOAuthRevokeFamily', REVOKE_FAMILY),
      revokeIndexed: defineScript(redis, 'loginServiceOAuthRevokeIndexedFamilies', REVOKE_INDEXED_FAMILIES, 1),
      mark: defineScript(redis, 'loginServiceOAuthMark', MARK, 1),
    };
  }

  async saveCode(code: AuthorizationCode): Promise<void> {
    await this.scripts.saveCode(this.prefix, ttl(code.expiresAt - code.createdAt), ...codeFields(code));
  }

  async takeCode(codeHash: string, now: number): Promise<TakenCode | null> {
    const pairs = (await this.scripts.takeCode(this.prefix, codeHash, now)) as string[] | null;
    if (!pairs || pairs.length === 0) return null;
    const h = fromPairs(pairs);
    return { code: toCode(h), firstUse: h.uses === '1' };
  }

  async saveRefreshToken(token: RefreshToken): Promise<void> {
    await this.scripts.saveToken(this.prefix, ttl(token.expiresAt - token.createdAt), ...tokenFields(token));
  }

  async findRefreshToken(tokenHash: string, now: number): Promise<RefreshToken | null> {
    const pairs = (await this.scripts.findToken(this.prefix, tokenHash, now)) as string[] | null;
    return pairs && pairs.length > 0 ? toToken(fromPairs(pairs)) : null;
  }

  async rotateRefreshToken(tokenHash: string, next: RefreshToken, now: number): Promise<RotationResult> {
    const result = (await this.scripts.rotate(
      this.prefix,
      tokenHash,
      now,
      now + MAX_ACCESS_TOKEN_LIFETIME_MS,
      MAX_ACCESS_TOKEN_LIFETIME_MS,
      ttl(next.expiresAt - now),
      ...tokenFields(next),
    )) as [string, string[] | string] | [string];
    if (result[0] === 'rotated') return { status: 'rotated', previous: toToken(fromPairs(result[1] as string[])) };
    if (result[0] === 'reused') return { status: 'reused', familyId: result[1] as string };
    return { status: 'unknown' };
  }

  async revokeFamily(familyId: string, until: number): Promise<void> {
    await this.scripts.revokeFamily(this.prefix, familyId, until, MARK_TTL_MS);
  }

  async familyRevoked(familyId: string, now: number): Promise<boolean> {
    const end = await this.redis.get(`${this.prefix}oauth-family-revoked:${familyId}`);
    return end !== null && Number(end) > now;
  }

  async revokeUserGrants(accountId: string, userId: string, until: number): Promise<number> {
    return (await this.scripts.revokeIndexed(`${this.prefix}oauth-user-families:${accountId}:${userId}`, this.prefix, until, MARK_TTL_MS)) as number;
  }

  async revokeClientGrants(accountId: string, clientId: string, until: number): Promise<number> {
    return (await this.scripts.revokeIndexed(`${this.prefix}oauth-client-families:${accountId}:${clientId}`, this.prefix, until, MARK_TTL_MS)) as number;
  }

  async revokeAccessToken(jti: string, until: number): Promise<void> {
    await this.scripts.mark(`${this.prefix}oauth-access-revoked:${jti}`, this.prefix, until, MARK_TTL_MS);
  }

  async accessTokenRevoked(jti: string, now: number): Promise<boolean> {
    const end = await this.redis.get(`${this.prefix}oauth-access-revoked:${jti}`);
    return end !== null && Number(end) > now;
  }

  /** Redis expires codes, tokens and marks itself. */
  async deleteExpiredGrants(_now: number): Promise<number> {
    return 0;
  }
}
