/** HTTP routes of the session lifecycle: login, refresh, logout, bearer check. */
import type { FastifyInstance } from 'fastify';
import { errorResponse } from '../http/errorHandling.js';
import { errors } from '../errors.js';
import { SESSION_COOKIE, accountParamsSchema, bearerToken, clientInfo, sessionCookie, versionQuerySchema } from '../http/request.js';
import type { LoginCredentials, SessionService } from './service.js';
import { toSessionInfo } from './service.js';

interface AccountParams {
  accountId: string;
}

interface LoginBody {
  username?: string;
  password?: string;
  appKey?: string;
  secret?: string;
  accessToken?: string;
  accessTokenSecret?: string;
  /** SSO login: the base64 SAML assertion or response; `jwt` is sent beside it by the original's clients and ignored. */
  assertion?: string;
  jwt?: string;
}

/** Login bodies may carry a SAML assertion, larger than the other bodies the API takes. */
const LOGIN_BODY_LIMIT = 64 * 1024;

const credential = (description: string, maxLength = 512) => ({ type: 'string', maxLength, description }) as const;

const loginBodySchema = {
  type: 'object',
  description:
    'User Login: username + password. Application Login: username + appKey + secret (+ accessToken + accessTokenSecret for OAuth 1.0 keys). SSO login: assertion (+ jwt, ignored).',
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 256, description: 'Login name' },
    password: credential('User Login: the password', 4096),
    appKey: credential('Application Login: the API key id'),
    secret: credential('Application Login'),
    accessToken: credential('Application Login'),
    accessTokenSecret: credential('Application Login'),
    assertion: { type: 'string', minLength: 1, maxLength: LOGIN_BODY_LIMIT, description: 'SSO login: base64 SAML 2.0 assertion, or a response holding one' },
    jwt: { type: 'string', maxLength: 8192, description: 'SSO login: sent by clients beside the assertion; ignored' },
  },
} as const;

const csrfBodySchema = {
  type: 'object',
  required: ['csrf'],
  properties: { csrf: { type: 'string', maxLength: 256, description: 'The csrf value of the login response' } },
} as const;

const loginResponseSchema = {
  type: 'object',
  properties: {
    csrf: { type: 'string', description: '64 hex characters; send it to refresh and logout' },
    wsuk: { type: 'string' },
    config: {
      type: 'object',
      properties: {
        loginName: { type: 'string' },
        userId: { type: 'string' },
        userPid: { type: 'string' },
        userPrivileges: { type: 'array', items: { type: 'integer' } },
        serverCurrentTime: { type: 'integer', description: 'ms since the epoch' },
        timeDiff: { type: 'integer', description: 'account zone offset minus server zone offset, ms' },
        serverTimeZoneName: { type: 'string' },
        serverTimeGMTDiff: { type: 'integer', description: 'server zone offset from UTC now, ms' },
        isLPA: { type: 'boolean' },
        isAdmin: { type: 'boolean' },
        accountTimeZoneId: { type: 'string' },
      },
    },
    csdsCollectionResponse: {
      type: 'object',
      properties: {
        baseURIs: {
          type: 'array',
          items: { type: 'object', properties: { account: { type: 'string' }, baseURI: { type: 'string' }, service: { type: 'string' } } },
        },
      },
    },
    accountData: {
      type: 'object',
      properties: {
        agentGroupsData: {
          type: 'object',
          properties: {
            items: {
              type: 'array',
              items: { type: 'object', properties: { id: { type: 'integer' }, deleted: { type: 'boolean' }, name: { type: 'string' } } },
            },
            revision: { type: 'integer' },
          },
        },
      },
    },
    sessionTTl: { type: 'string', description: 'Idle session lifetime, ms' },
    bearer: { type: 'string', description: '64 hex characters, for Authorization: Bearer' },
    sessionId: { type: 'string', description: 'Same value as the Session_id cookie' },
  },
} as const;

/** The bearer check's answer. */
const sessionInfoSchema = {
  type: 'object',
  properties: {
    accountId: { type: 'string' },
    userId: { type: 'string' },
    loginName: { type: 'string' },
    userPrivileges: { type: 'array', items: { type: 'integer' } },
    isAdmin: { type: 'boolean' },
    isLPA: { type: 'boolean' },
    appKey: { type: ['string', 'null'], description: 'For bots: the API key they logged in with' },
    createdAt: { type: 'integer' },
    expiresAt: { type: 'integer', description: 'Idle expiry, ms since the epoch' },
  },
} as const;

const failures = { 400: errorResponse, 401: errorResponse, 429: errorResponse };

function loginCredentials(body: LoginBody): LoginCredentials {
  if (body.username === undefined) throw errors.badRequest('Bad request: username is required (or assertion, for SSO login)');
  const hasPassword = body.password !== undefined;
  const appFields = [body.appKey, body.secret, body.accessToken, body.accessTokenSecret];
  const hasApp = appFields.some((v) => v !== undefined);
  if (hasPassword && hasApp) throw errors.badRequest('Bad request: send either password or appKey credentials, not both');
  if (hasPassword) return { username: body.username, password: body.password! };
  if (!hasApp) throw errors.badRequest('Bad request: password or appKey, secret, accessToken and accessTokenSecret are required');
  // Whether accessToken and accessTokenSecret are needed depends on the key's type (oauth2 keys ignore them).
  if (body.appKey === undefined || body.secret === undefined) {
    throw errors.badRequest('Bad request: Application Login needs appKey and secret (and, for OAuth 1.0 keys, accessToken and accessTokenSecret)');
  }
  const { username, appKey, secret, accessToken, accessTokenSecret } = body;
  return { username, appKey, secret, accessToken, accessTokenSecret };
}

export function sessionRoutes(service: SessionService, options: { secureCookie: boolean }) {
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax', secure: options.secureCookie } as const;

  return async function (app: FastifyInstance): Promise<void> {
    app.post<{ Params: AccountParams; Body: LoginBody }>(
      '/api/account/:accountId/login',
      {
        bodyLimit: LOGIN_BODY_LIMIT,
        schema: {
          summary: 'User Login, Application Login and SSO login',
          tags: ['sessions'],
          params: accountParamsSchema,
          querystring: versionQuerySchema,
          body: loginBodySchema,
          response: { 200: loginResponseSchema, ...failures },
        },
      },
      async (request, reply) => {
        const { body } = request;
        let result;
        if (body.assertion !== undefined) {
          if (body.username !== undefined || body.password !== undefined || body.appKey !== undefined) {
            throw errors.badRequest('Bad request: SSO login sends assertion (and jwt) without username, password or appKey');
          }
          result = await service.loginWithAssertion(request.params.accountId, body.assertion, clientInfo(request));
        } else {
          result = await service.login(request.params.accountId, loginCredentials(body), clientInfo(request));
        }
        reply.setCookie(SESSION_COOKIE, result.sessionId, cookieOptions);
        return result;
      },
    );

    app.post<{ Params: AccountParams; Body: { csrf: string } }>(
      '/api/account/:accountId/refresh',
      {
        schema: {
          summary: 'Refresh: keep the session alive',
          tags: ['sessions'],
          params: accountParamsSchema,
          querystring: versionQuerySchema,
          body: csrfBodySchema,
          response: { 200: { type: 'null', description: 'Empty body' }, ...failures },
        },
      },
      async (request, reply) => {
        await service.refresh(request.params.accountId, sessionCookie(request), request.body.csrf, clientInfo(request));
        return reply.code(200).send();
      },
    );

    app.post<{ Params: AccountParams; Body: { csrf: string } }>(
      '/api/account/:accountId/logout',
      {
        schema: {
          summary: 'Logout: end the session',
          tags: ['sessions'],
          params: accountParamsSchema,
          querystring: versionQuerySchema,
          body: csrfBodySchema,
          response: { 200: { type: 'null', description: 'Empty body; the cookie is cleared' }, ...failures },
        },
      },
      async (request, reply) => {
        await service.logout(request.params.accountId, sessionCookie(request), request.body.csrf, clientInfo(request));
        reply.clearCookie(SESSION_COOKIE, cookieOptions);
        return reply.code(200).send();
      },
    );

    app.get<{ Params: AccountParams }>(
      '/api/account/:accountId/session',
      {
        schema: {
          summary: 'Bearer check, for other services',
          tags: ['sessions'],
          params: accountParamsSchema,
          headers: { type: 'object', properties: { authorization: { type: 'string', description: 'Bearer <bearer>' } } },
          response: { 200: sessionInfoSchema, 400: errorResponse, 401: errorResponse },
        },
      },
      async (request) => {
        const token = bearerToken(request.headers.authorization);
        if (!token) throw errors.bearerInvalid();
        return toSessionInfo(await service.checkBearer(request.params.accountId, token));
      },
    );
  };
}
