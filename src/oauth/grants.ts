/**
 * The authorization server's grants (docs/OAUTH.md): client credentials,
 * authorization code, refresh-token rotation, revocation, introspection and
 * whether an access token is live. Routes (server.ts) only translate HTTP.
 *
 * Families: every token issued from one authorization code (its access
 * tokens, their `fid` claim, and its refresh tokens) belongs to one family.
 * A family always has a stored refresh token, even for installations without
 * the `refresh_token` grant (then nobody holds it): that is how the user's
 * grants can be ended, on a password change or sessions revoked, and reach
 * their access tokens too.
 */
import { createHash } from 'node:crypto';
import { accountSettings, type Account, type AccountSettings } from '../accounts/model.js';
import { LONGEST_ACCESS_TOKEN_MS } from '../accounts/settings.js';
import type { Clock } from '../clock.js';
import type { ApiKey, User } from '../directory/model.js';
import type { AuditLog } from '../events/audit.js';
import type { BruteForceGuard } from '../security/bruteForce.js';
import { digestsEqual, hashToken, randomToken, randomUuid } from '../security/tokens.js';
import { authenticateClient, installationLive, installationOf, requireGrant, type ClientCredentials, type Installation } from './clients.js';
import type { SigningKeys } from './keys.js';
import type { AuthorizationCode, OAuthGrantStore, RefreshToken, SigningAlg } from './model.js';
import { invalidGrant, invalidRequest, OAuthError } from './oauthErrors.js';
import { API_SCOPES, formatScope, OIDC_SCOPES, parseScope } from './scopes.js';
import { issueAccessToken, issueIdToken, looksLikeJwt, verifyAccessToken, type AccessToken } from './tokens.js';

/** The longest an access token can live (the setting's maximum): how long a revocation must be remembered. */
export const MAX_ACCESS_TOKEN_TTL_MS = LONGEST_ACCESS_TOKEN_MS;
/** Codes are single use and short-lived (the spec: at most 60 s). */
const CODE_TTL_MS = 60_000;

export interface OAuthStores {
  accounts: { getAccount(accountId: string): Promise<Account | null> };
  apiKeys: { getApiKey(accountId: string, appKey: string): Promise<ApiKey | null> };
  users: { getUserById(accountId: string, userId: string): Promise<User | null> };
  oauth: OAuthGrantStore;
}

export interface AuthorizationServerDeps {
  stores: OAuthStores;
  clock: Clock;
  keys: SigningKeys;
  guard: BruteForceGuard;
  audit: AuditLog;
  /** `{origin}`: the issuer is `{origin}/sentinel/api/account/{accountId}`. */
  issuerOrigin: () => string;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

export interface ClientContext {
  accountId: string;
  credentials: ClientCredentials | null;
  ip: string | null;
  userAgent: string | null;
}

export interface IntrospectionResult {
  active: boolean;
  [claim: string]: unknown;
}

export const issuerOf = (origin: string, accountId: string) => `${origin}/sentinel/api/account/${accountId}`;

const signingAlg = (settings: AccountSettings): SigningAlg => (settings.oauthSignWithEs256 ? 'ES256' : 'RS256');
const userLive = (user: User | null): user is User => user !== null && !user.deleted && user.enabled;

/** The plaintext of a new authorization code and what to store for it (`stores.oauth.saveCode`). */
export interface NewAuthorizationCode {
  code: string;
  stored: AuthorizationCode;
}

/**
 * A new authorization code, bound to its client, redirect URI, PKCE
 * challenge, nonce, user and scope, valid for 60 s, in a new family. The
 * authorization endpoint saves `stored` and sends `code`.
 */
export function newAuthorizationCode(input: Omit<AuthorizationCode, 'codeHash' | 'familyId' | 'createdAt' | 'expiresAt'>, now: number): NewAuthorizationCode {
  const code = randomToken();
  return { code, stored: { ...input, codeHash: hashToken(code), familyId: randomUuid(), createdAt: now, expiresAt: now + CODE_TTL_MS } };
}

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[\w.~-]{43,128}$/;

/** Whether `verifier` answers the S256 `challenge`. */
export function pkceMatches(verifier: string, challenge: string): boolean {
  return CODE_VERIFIER.test(verifier) && digestsEqual(createHash('sha256').update(verifier).digest('base64url'), challenge);
}

export class AuthorizationServer {
  constructor(private readonly d: AuthorizationServerDeps) {}

  issuer(accountId: string): string {
    return issuerOf(this.d.issuerOrigin(), accountId);
  }

  private async account(accountId: string): Promise<Account | null> {
    return this.d.stores.accounts.getAccount(accountId);
  }

  private async client(ctx: ClientContext, account: Account | null, acceptApiKeys = false): Promise<Installation> {
    return authenticateClient(
      { getApiKey: (a, k) => this.d.stores.apiKeys.getApiKey(a, k), guard: this.d.guard, audit: this.d.audit },
      { accountId: ctx.accountId, accountKnown: account !== null, credentials: ctx.credentials, ip: ctx.ip, userAgent: ctx.userAgent, now: this.d.clock.now(), acceptApiKeys },
    );
  }

  /** The scope a client-credentials request gets: what it asked for, within the installation's; all of it when it asked for none. */
  private grantedScope(installation: Installation, requested: string | undefined, extra: readonly string[] = []): string[] {
    const allowed = new Set([...(parseScope(installation.scope) ?? []).filter((s) => API_SCOPES.includes(s)), ...extra]);
    if (requested === undefined) return [...allowed].filter((s) => !extra.includes(s));
    const asked = parseScope(requested);
    if (asked === null) throw new OAuthError('invalid_scope', 'scope is malformed');
    const outside = asked.filter((s) => !allowed.has(s));
    if (outside.length > 0) throw new OAuthError('invalid_scope', `This application may not ask for: ${outside.slice(0, 5).join(' ').slice(0, 200)}`);
    return asked;
  }

  async clientCredentials(ctx: ClientContext, scope: string | undefined): Promise<TokenResponse> {
    const account = await this.account(ctx.accountId);
    const installation = await this.client(ctx, account);
    if (ctx.credentials?.method === 'none') throw new OAuthError('unauthorized_client', 'A public client cannot use the client_credentials grant');
    requireGrant(installation, 'client_credentials');
    const granted = formatScope(this.grantedScope(installation, scope));
    const settings = accountSettings(account!);
    const now = this.d.clock.now();
    const access = await issueAccessToken(this.d.keys, {
      issuer: this.issuer(ctx.accountId),
      accountId: ctx.accountId,
      clientId: installation.clientId,
      userId: null,
      scope: granted,
      familyId: null,
      alg: signingAlg(settings),
      lifetimeMs: settings.oauthAccessTokenTtlMs,
      now,
    });
    return { access_token: access.token, token_type: 'Bearer', expires_in: Math.floor(settings.oauthAccessTokenTtlMs / 1000), scope: granted };
  }

  async authorizationCode(ctx: ClientContext, params: { code?: string; redirect_uri?: string; code_verifier?: string }): Promise<TokenResponse> {
    const account = await this.account(ctx.accountId);
    const installation = await this.client(ctx, account);
    requireGrant(installation, 'authorization_code');
    if (!params.code) throw invalidRequest('code is required');
    if (!params.redirect_uri) throw invalidRequest('redirect_uri is required');
    const now = this.d.clock.now();
    const taken = await this.d.stores.oauth.takeCode(hashToken(params.code), now);
    if (!taken || taken.code.accountId !== ctx.accountId || taken.code.clientId !== installation.clientId) throw invalidGrant('The code is unknown, expired or not this client\'s');
    const code = taken.code;
    if (!taken.firstUse) {
      // A code used twice was intercepted or replayed: whatever it gave ends (RFC 6749 §4.1.2).
      await this.d.stores.oauth.revokeFamily(code.familyId, now + MAX_ACCESS_TOKEN_TTL_MS);
      throw invalidGrant('The code has been used already; the tokens issued from it are revoked');
    }
    if (params.redirect_uri !== code.redirectUri) throw invalidGrant('redirect_uri differs from the authorization request\'s');
    if (code.codeChallenge !== null) {
      if (!params.code_verifier) throw invalidGrant('code_verifier is required: the authorization request sent a code_challenge');
      if (!pkceMatches(params.code_verifier, code.codeChallenge)) throw invalidGrant('code_verifier does not match the code_challenge');
    } else if (params.code_verifier !== undefined) {
      throw invalidGrant('code_verifier sent, but the authorization request had no code_challenge');
    } else if (installation.tokenEndpointAuthMethod === 'none' || accountSettings(account!).oauthRequirePkce) {
      throw invalidGrant('PKCE is required: the authorization request must send a code_challenge');
    }
    if (await this.d.stores.oauth.familyRevoked(code.familyId, now)) throw invalidGrant('The grant has been revoked');
    const user = await this.d.stores.users.getUserById(ctx.accountId, code.userId);
    if (!userLive(user)) throw invalidGrant('The user may no longer sign in');
    return this.issueForUser(account!, installation, user, { familyId: code.familyId, scope: code.scope, authTime: code.authTime, amr: code.amr, nonce: code.nonce }, now);
  }

  async refreshToken(ctx: ClientContext, params: { refresh_token?: string; scope?: string }): Promise<TokenResponse> {
    const account = await this.account(ctx.accountId);
    const installation = await this.client(ctx, account);
    requireGrant(installation, 'refresh_token');
    if (!params.refresh_token) throw invalidRequest('refresh_token is required');
    const now = this.d.clock.now();
    const tokenHash = hashToken(params.refresh_token);
    const current = await this.d.stores.oauth.findRefreshToken(tokenHash, now);
    if (current && (current.accountId !== ctx.accountId || current.clientId !== installation.clientId)) throw invalidGrant('The refresh token is unknown, expired or not this client\'s');
    let scope = current?.scope ?? '';
    if (current && params.scope !== undefined) {
      const asked = parseScope(params.scope);
      const had = new Set(parseScope(current.scope) ?? []);
      if (asked === null || asked.some((s) => !had.has(s))) throw new OAuthError('invalid_scope', 'A refresh may only narrow the scope of the grant');
      scope = formatScope(asked);
    }
    const settings = accountSettings(account!);
    const nextToken = randomToken();
    const next: RefreshToken = current
      ? { ...current, tokenHash: hashToken(nextToken), createdAt: now, expiresAt: now + settings.oauthRefreshTokenTtlMs }
      // Unknown here: rotateRefreshToken still tells a rotated token (reuse: the family ends) from an unknown one.
      : { tokenHash: hashToken(nextToken), familyId: '', accountId: ctx.accountId, clientId: installation.clientId, userId: '', scope: '', authTime: now, amr: [], createdAt: now, expiresAt: now };
    const result = await this.d.stores.oauth.rotateRefreshToken(tokenHash, next, now);
    if (result.status === 'reused') throw invalidGrant('The refresh token has been used already; its grant is revoked');
    if (result.status === 'unknown' || !current) throw invalidGrant('The refresh token is unknown, expired or revoked');
    const user = await this.d.stores.users.getUserById(ctx.accountId, current.userId);
    if (!userLive(user)) {
      await this.d.stores.oauth.revokeFamily(current.familyId, now + MAX_ACCESS_TOKEN_TTL_MS);
      throw invalidGrant('The user may no longer sign in');
    }
    return this.issueForUser(account!, installation, user, { familyId: current.familyId, scope, authTime: current.authTime, amr: current.amr, nonce: null }, now, nextToken);
  }

  private async issueForUser(
    account: Account,
    installation: Installation,
    user: User,
    grant: { familyId: string; scope: string; authTime: number; amr: string[]; nonce: string | null },
    now: number,
    rotatedRefreshToken?: string,
  ): Promise<TokenResponse> {
    const settings = accountSettings(account);
    const alg = signingAlg(settings);
    const issuer = this.issuer(account.accountId);
    const scopes = grant.scope.split(' ').filter(Boolean);
    const access = await issueAccessToken(this.d.keys, {
      issuer,
      accountId: account.accountId,
      clientId: installation.clientId,
      userId: user.userId,
      scope: grant.scope,
      familyId: grant.familyId,
      alg,
      lifetimeMs: settings.oauthAccessTokenTtlMs,
      now,
    });
    let refresh = rotatedRefreshToken;
    if (refresh === undefined) {
      refresh = randomToken();
      await this.d.stores.oauth.saveRefreshToken({
        tokenHash: hashToken(refresh),
        familyId: grant.familyId,
        accountId: account.accountId,
        clientId: installation.clientId,
        userId: user.userId,
        scope: grant.scope,
        authTime: grant.authTime,
        amr: grant.amr,
        createdAt: now,
        expiresAt: now + settings.oauthRefreshTokenTtlMs,
      });
    }
    const response: TokenResponse = { access_token: access.token, token_type: 'Bearer', expires_in: Math.floor(settings.oauthAccessTokenTtlMs / 1000), scope: grant.scope };
    if (installation.grantTypes.includes('refresh_token')) response.refresh_token = refresh;
    if (scopes.includes('openid')) {
      response.id_token = await issueIdToken(this.d.keys, {
        issuer,
        clientId: installation.clientId,
        userId: user.userId,
        authTime: grant.authTime,
        nonce: grant.nonce,
        amr: grant.amr,
        loginName: user.loginName,
        ...(scopes.includes('profile') ? { name: user.fullName } : {}),
        ...(scopes.includes('email') ? { email: user.email } : {}),
        alg,
        lifetimeMs: settings.oauthAccessTokenTtlMs,
        now,
      });
    }
    return response;
  }

  /** RFC 7009: ends the token when it is this client's; unknown tokens are not an error. */
  async revoke(ctx: ClientContext, token: string): Promise<void> {
    const account = await this.account(ctx.accountId);
    const installation = await this.client(ctx, account);
    const now = this.d.clock.now();
    if (looksLikeJwt(token)) {
      const access = await verifyAccessToken(this.d.keys, token, { issuer: this.issuer(ctx.accountId), accountId: ctx.accountId, now });
      if (access && access.clientId === installation.clientId) await this.d.stores.oauth.revokeAccessToken(access.jti, access.expiresAt);
      return;
    }
    const refresh = await this.d.stores.oauth.findRefreshToken(hashToken(token), now);
    // Ending a refresh token ends its grant: the family, and the access tokens issued in it (RFC 7009 §2.1).
    if (refresh && refresh.accountId === ctx.accountId && refresh.clientId === installation.clientId) {
      await this.d.stores.oauth.revokeFamily(refresh.familyId, now + MAX_ACCESS_TOKEN_TTL_MS);
    }
  }

  /** Authenticates an installation (a request refused before its grant is looked at). */
  async authenticate(ctx: ClientContext): Promise<Installation> {
    return this.client(ctx, await this.account(ctx.accountId));
  }

  /** Authenticates an installation, or an API key of the account, for introspection (RFC 7662 §2.1). */
  async authenticateIntrospector(ctx: ClientContext): Promise<Installation> {
    return this.client(ctx, await this.account(ctx.accountId), true);
  }

  /**
   * The access token when it is live now: signed by us for this account,
   * unexpired, not revoked, its family not revoked, its installation live and
   * its user (for a person's token) neither disabled nor deleted.
   */
  async liveAccessToken(accountId: string, token: string): Promise<{ access: AccessToken; user: User | null } | null> {
    const now = this.d.clock.now();
    const access = await verifyAccessToken(this.d.keys, token, { issuer: this.issuer(accountId), accountId, now });
    if (!access) return null;
    const [revoked, familyRevoked, key] = await Promise.all([
      this.d.stores.oauth.accessTokenRevoked(access.jti, now),
      access.familyId ? this.d.stores.oauth.familyRevoked(access.familyId, now) : false,
      this.d.stores.apiKeys.getApiKey(accountId, access.clientId),
    ]);
    const installation = key ? installationOf(key) : null;
    if (revoked || familyRevoked || !installationLive(installation)) return null;
    if (installation.tokensNotBefore !== undefined && access.issuedAt < installation.tokensNotBefore) return null;
    if (access.userId === null) return { access, user: null };
    const user = await this.d.stores.users.getUserById(accountId, access.userId);
    return userLive(user) ? { access, user } : null;
  }

  /** RFC 7662 for our access and refresh tokens; null when `token` is neither (the caller may try session bearers). */
  async introspect(accountId: string, token: string): Promise<IntrospectionResult | null> {
    const now = this.d.clock.now();
    if (looksLikeJwt(token)) {
      const live = await this.liveAccessToken(accountId, token);
      if (!live) return { active: false };
      const { access, user } = live;
      return {
        active: true,
        iss: this.issuer(accountId),
        sub: access.userId ?? access.clientId,
        aud: accountId,
        ...(user ? { username: user.loginName } : {}),
        client_id: access.clientId,
        scope: access.scope,
        token_type: 'Bearer',
        exp: Math.floor(access.expiresAt / 1000),
        iat: Math.floor(access.issuedAt / 1000),
        jti: access.jti,
      };
    }
    if (!/^[0-9a-f]{64}$/.test(token)) return null;
    const refresh = await this.d.stores.oauth.findRefreshToken(hashToken(token), now);
    if (!refresh) return null;
    if (refresh.accountId !== accountId) return { active: false };
    const [key, user] = await Promise.all([this.d.stores.apiKeys.getApiKey(accountId, refresh.clientId), this.d.stores.users.getUserById(accountId, refresh.userId)]);
    const installation = key ? installationOf(key) : null;
    if (!installationLive(installation) || !installation.grantTypes.includes('refresh_token') || !userLive(user)) return { active: false };
    return {
      active: true,
      iss: this.issuer(accountId),
      sub: refresh.userId,
      username: user.loginName,
      client_id: refresh.clientId,
      scope: refresh.scope,
      token_type: 'refresh_token',
      exp: Math.floor(refresh.expiresAt / 1000),
      iat: Math.floor(refresh.createdAt / 1000),
    };
  }

  /** OpenID Connect UserInfo for a live access token with the `openid` scope. */
  async userinfo(accountId: string, token: string | null): Promise<Record<string, unknown>> {
    const bearerChallenge = (error: string, description: string) =>
      new OAuthError(error === 'insufficient_scope' ? 'insufficient_scope' : 'invalid_token', description, error === 'insufficient_scope' ? 403 : 401, {
        'www-authenticate': `Bearer realm="login-service", error="${error}"`,
      });
    if (!token) throw new OAuthError('invalid_token', 'An access token is required', 401, { 'www-authenticate': 'Bearer realm="login-service"' });
    const live = await this.liveAccessToken(accountId, token);
    if (!live) throw bearerChallenge('invalid_token', 'The access token is not live');
    const scopes = live.access.scope.split(' ');
    if (!live.user || !scopes.includes('openid')) throw bearerChallenge('insufficient_scope', 'UserInfo needs a person\'s token with the openid scope');
    const user = live.user;
    return {
      sub: user.userId,
      preferred_username: user.loginName,
      ...(scopes.includes('profile') ? { name: user.fullName, nickname: user.nickname, updated_at: Math.floor(user.updatedAt / 1000) } : {}),
      ...(scopes.includes('email') ? { email: user.email } : {}),
    };
  }
}

/** Scopes a person's authorization request may always ask for (OpenID Connect's). */
export const ALWAYS_ALLOWED_USER_SCOPES = OIDC_SCOPES;

/**
 * Ends every token issued to an installation when it is disabled or deleted:
 * its families (refresh tokens, and the person's access tokens issued in
 * them). Its client-credentials tokens end through the live check, which
 * refuses a disabled or deleted installation. For the installations service.
 */
export async function endClientTokens(ctx: { stores: { oauth: OAuthGrantStore }; clock: Clock }, accountId: string, clientId: string): Promise<number> {
  return ctx.stores.oauth.revokeClientGrants(accountId, clientId, ctx.clock.now() + MAX_ACCESS_TOKEN_TTL_MS);
}

/** Ends every grant of a user (disabled, deleted, password changed, sessions revoked). */
export async function endUserTokens(ctx: { stores: { oauth: OAuthGrantStore }; clock: Clock }, accountId: string, userId: string): Promise<number> {
  return ctx.stores.oauth.revokeUserGrants(accountId, userId, ctx.clock.now() + MAX_ACCESS_TOKEN_TTL_MS);
}
