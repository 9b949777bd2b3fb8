/**
 * The tokens the authorization server signs, with jose: access tokens in the
 * RFC 9068 profile and OpenID Connect ID tokens (docs/OAUTH.md, "Tokens").
 *
 * An access token's claims:
 * - `iss`: `{origin}/sentinel/api/account/{accountId}`; `aud`: the account id
 *   (every API of the account is the audience);
 * - `sub`: the user id for a person's token, the client id for client credentials;
 * - `client_id` and `azp` (as the original): the installation;
 * - `scope`, `iat`, `exp`, `jti`;
 * - `fid`: the refresh-token family a person's token was issued in (absent
 *   for client credentials). A family ends with a code used twice, a rotated
 *   refresh token presented again, or the user's grants ended; its access
 *   tokens end with it. A token with `fid` is a person's; without, the client's.
 */
import { SignJWT, jwtVerify, decodeProtectedHeader, errors as joseErrors, type JWTPayload } from 'jose';
import { randomUuid } from '../security/tokens.js';
import type { SigningKeys } from './keys.js';
import type { SigningAlg } from './model.js';

export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  client_id: string;
  azp: string;
  scope: string;
  iat: number;
  exp: number;
  jti: string;
  fid?: string;
}

/** What an access token says, read back. */
export interface AccessToken {
  accountId: string;
  clientId: string;
  /** Null for a client-credentials token. */
  userId: string | null;
  scope: string;
  familyId: string | null;
  jti: string;
  issuedAt: number;
  expiresAt: number;
}

export interface AccessTokenInput {
  issuer: string;
  accountId: string;
  clientId: string;
  userId: string | null;
  scope: string;
  familyId: string | null;
  alg: SigningAlg;
  lifetimeMs: number;
  now: number;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

export async function issueAccessToken(keys: SigningKeys, input: AccessTokenInput): Promise<{ token: string; jti: string; expiresAt: number }> {
  const { kid, key } = await keys.signingKey(input.alg);
  const iat = seconds(input.now);
  const exp = iat + seconds(input.lifetimeMs);
  const jti = randomUuid();
  const claims: AccessTokenClaims = {
    iss: input.issuer,
    sub: input.userId ?? input.clientId,
    aud: input.accountId,
    client_id: input.clientId,
    azp: input.clientId,
    scope: input.scope,
    iat,
    exp,
    jti,
    ...(input.familyId ? { fid: input.familyId } : {}),
  };
  const token = await new SignJWT(claims as unknown as JWTPayload).setProtectedHeader({ alg: input.alg, typ: ACCESS_TOKEN_TYPE, kid }).sign(key);
  return { token, jti, expiresAt: exp * 1000 };
}

export interface IdTokenInput {
  issuer: string;
  clientId: string;
  userId: string;
  authTime: number;
  nonce: string | null;
  amr: string[];
  loginName: string;
  /** With the `profile` scope. */
  name?: string;
  /** With the `email` scope. */
  email?: string;
  alg: SigningAlg;
  lifetimeMs: number;
  now: number;
}

export async function issueIdToken(keys: SigningKeys, input: IdTokenInput): Promise<string> {
  const { kid, key } = await keys.signingKey(input.alg);
  const iat = seconds(input.now);
  const claims: Record<string, unknown> = {
    iss: input.issuer,
    sub: input.userId,
    aud: input.clientId,
    azp: input.clientId,
    iat,
    exp: iat + seconds(input.lifetimeMs),
    auth_time: seconds(input.authTime),
    ...(input.nonce !== null ? { nonce: input.nonce } : {}),
    amr: input.amr,
    preferred_username: input.loginName,
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.email !== undefined ? { email: input.email } : {}),
  };
  return new SignJWT(claims as JWTPayload).setProtectedHeader({ alg: input.alg, typ: 'JWT', kid }).sign(key);
}

/** Whether `token` has the shape of a JWS at all (three base64url parts): otherwise it is some other kind of bearer. */
export function looksLikeJwt(token: string): boolean {
  return token.length <= 8192 && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);
}

/**
 * The access token's content when our keys signed it for `issuer`, it is an
 * `at+jwt`, and it has not expired at `now`; null otherwise. Whether it has
 * been revoked since is the grants' question (grants.ts).
 */
export async function verifyAccessToken(keys: SigningKeys, token: string, expected: { issuer: string; accountId: string; now: number }): Promise<AccessToken | null> {
  if (!looksLikeJwt(token)) return null;
  try {
    decodeProtectedHeader(token);
  } catch {
    return null;
  }
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = typeof header.kid === 'string' ? await keys.verificationKey(header.kid, header.alg) : null;
        if (!key) throw new joseErrors.JWKSNoMatchingKey();
        return key;
      },
      { issuer: expected.issuer, audience: expected.accountId, typ: ACCESS_TOKEN_TYPE, algorithms: ['RS256', 'ES256'], currentDate: new Date(expected.now), requiredClaims: ['exp', 'iat', 'jti', 'sub'] },
    );
    const p = payload as Partial<AccessTokenClaims>;
    if (typeof p.client_id !== 'string' || typeof p.scope !== 'string' || typeof p.jti !== 'string' || typeof p.sub !== 'string') return null;
    return {
      accountId: expected.accountId,
      clientId: p.client_id,
      userId: typeof p.fid === 'string' ? p.sub : null,
      scope: p.scope,
      familyId: typeof p.fid === 'string' ? p.fid : null,
      jti: p.jti,
      issuedAt: (p.iat ?? 0) * 1000,
      expiresAt: (p.exp ?? 0) * 1000,
    };
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) return null;
    throw error;
  }
}
