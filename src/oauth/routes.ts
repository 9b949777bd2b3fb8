/**
 * OAuth 2.0 Token Introspection (RFC 7662) of bearers, for resource servers
 * that speak the standard rather than this service's own bearer check.
 *
 * The caller authenticates with HTTP Basic `appKey:secret` of an active API
 * key of the account (an OAuth installation is one); it may then introspect
 * any bearer of that account: session bearers, and the authorization
 * server's access and refresh tokens. Whether a session bearer is live is
 * decided by SessionCore.checkBearer, the same rule as GET /session; whether
 * an OAuth token is, by the authorization server (grants.ts), the same rule
 * as its own introspection endpoint: the checks can never disagree.
 */
import type { FastifyInstance } from 'fastify';
import { errorResponse } from '../http/errorHandling.js';
import { DomainError } from '../errors.js';
import { ApiError, InternalCode } from '../http/errors.js';
import { accountParamsSchema } from '../http/request.js';
import { hashToken, tokenMatches } from '../security/tokens.js';
import { basicCredentials, installationLive, installationOf } from './clients.js';

import type { SessionCore } from '../sessions/core.js';
import type { Stores } from '../store/index.js';

interface AccountParams {
  accountId: string;
}

interface IntrospectionBody {
  token: string;
  token_type_hint?: string;
}

export interface IntrospectionResponse {
  active: boolean;
  sub?: string;
  username?: string;
  exp?: number;
  iat?: number;
  client_id?: string | null;
  token_type?: 'Bearer' | 'refresh_token';
  scope?: string;
  iss?: string;
  aud?: string;
  jti?: string;
}

const introspectionBodySchema = {
  type: 'object',
  required: ['token'],
  description: 'application/x-www-form-urlencoded (as RFC 7662 says) or JSON',
  properties: {
    token: { type: 'string', maxLength: 8192, description: 'The bearer, OAuth access token or refresh token to introspect' },
    token_type_hint: { type: 'string', maxLength: 64, description: 'Accepted and ignored: each kind of token is told by its form' },
  },
} as const;

const introspectionResponseSchema = {
  type: 'object',
  required: ['active'],
  description: 'Only `active` when the bearer is unknown, expired, ended or of another account',
  properties: {
    active: { type: 'boolean' },
    sub: { type: 'string', description: 'userId' },
    username: { type: 'string', description: 'loginName' },
    exp: { type: 'integer', description: 'Idle expiry, seconds since the epoch' },
    iat: { type: 'integer', description: 'Login time, seconds since the epoch' },
    client_id: { type: ['string', 'null'], description: 'For bots: the appKey they logged in with; null for people; for OAuth tokens the installation' },
    token_type: { type: 'string', enum: ['Bearer', 'refresh_token'] },
    scope: { type: 'string', description: 'userPrivileges, space-separated; for OAuth tokens their scope' },
    iss: { type: 'string', description: 'OAuth tokens: the issuer' },
    aud: { type: 'string', description: 'OAuth access tokens: the account id' },
    jti: { type: 'string', description: 'OAuth access tokens: the token id' },
  },
} as const;

// Compared against when the appKey is unknown, so a miss costs the same as a wrong secret.
const NO_KEY_DIGEST = hashToken('no such API key');

function clientAuthFailed(): ApiError {
  return new ApiError(
    401,
    InternalCode.CLIENT_AUTH_FAILED,
    'Client authentication failed: send HTTP Basic appKey:secret of an active API key of the account',
    { 'www-authenticate': 'Basic realm="login-service", charset="UTF-8"' },
  );
}


/** RFC 7662 of a session bearer: `{active: false}` unless it is live on the account. */
export async function introspectSessionBearer(sessions: Pick<SessionCore, 'checkBearer'>, accountId: string, token: string): Promise<IntrospectionResponse> {
  let session;
  try {
    session = await sessions.checkBearer(accountId, token);
  } catch (error) {
    if (error instanceof DomainError && error.kind === 'bearerInvalid') return { active: false };
    throw error;
  }
  return {
    active: true,
    sub: session.userId,
    username: session.loginName,
    exp: Math.floor(session.expiresAt / 1000),
    iat: Math.floor(session.createdAt / 1000),
    client_id: session.appKey,
    token_type: 'Bearer',
    ...(session.privileges.length > 0 ? { scope: session.privileges.join(' ') } : {}),
  };
}

/** The authorization server's own tokens: their introspection, or null when `token` is not one of them. */
export type OAuthTokenIntrospection = (accountId: string, token: string) => Promise<IntrospectionResponse | null>;

export function introspectionRoutes(sessions: Pick<SessionCore, 'checkBearer'>, stores: Stores, oauthTokens?: OAuthTokenIntrospection) {
  async function authenticateClient(accountId: string, authorization: string | undefined): Promise<void> {
    const credentials = basicCredentials(authorization);
    if (!credentials) throw clientAuthFailed();
    const key = await stores.apiKeys.getApiKey(accountId, credentials.appKey);
    const secretOk = tokenMatches(credentials.secret, key?.secretHash ?? NO_KEY_DIGEST);
    if (!key || !secretOk || key.revokedAt !== null) throw clientAuthFailed();
    // A disabled installation is one no longer in use, for introspection as for tokens.
    if (key.type === 'oauth2' && !installationLive(installationOf(key))) throw clientAuthFailed();
  }

  return async function (app: FastifyInstance): Promise<void> {
    app.post<{ Params: AccountParams; Body: IntrospectionBody }>(
      '/api/account/:accountId/oauth/introspect',
      {
        schema: {
          summary: 'Token introspection (RFC 7662) of a bearer',
          description: 'The caller authenticates with HTTP Basic appKey:secret of an active API key of the account.',
          tags: ['sessions'],
          params: accountParamsSchema,
          headers: { type: 'object', properties: { authorization: { type: 'string', description: 'Basic base64(appKey:secret)' } } },
          body: introspectionBodySchema,
          response: { 200: introspectionResponseSchema, 400: errorResponse, 401: errorResponse },
        },
        // Before the body is parsed or validated: an unauthenticated caller learns nothing, not even a 400.
        onRequest: async (request) => authenticateClient((request.params as AccountParams).accountId, request.headers.authorization),
      },
      async (request): Promise<IntrospectionResponse> => {
        const { accountId } = request.params;
        return (await oauthTokens?.(accountId, request.body.token)) ?? introspectSessionBearer(sessions, accountId, request.body.token);
      },
    );
  };
}
