/** HTTP routes of the session lifecycle: login, refresh, logout, bearer check. */
import type { FastifyInstance } from 'fastify';
import { errorResponse } from '../http/errorHandling.js';
import { errors } from '../errors.js';
import { SESSION_COOKIE, accountParamsSchema, bearerToken, clientInfo, versionQuerySchema } from '../http/request.js';
import type { LoginCredentials, SessionService } from './service.js';
import { toSessionInfo } from './service.js';

interface AccountParams {
  accountId: string;
}

interface LoginBody {
  username: string;
  password?: string;
  appKey?: string;
  secret?: string;
  accessToken?: string;
  accessTokenSecret?: string;
}

const credential = (description: string, maxLength = 512) => ({ type: 'string', maxLength, description }) as const;

const loginBodySchema = {
  type: 'object',
  required: ['username'],
  description: 'User Login: username + password. Application Login: username + appKey + secret + accessToken + accessTokenSecret.',
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 256, description: 'Login name' },
    password: credential('User Login: the password', 4096),
    appKey: credential('Application Login: the API key id'),
    secret: credential('Application Login'),
    accessToken: credential('Application Login'),
    accessTokenSecret: credential('Application Login'),
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
  const hasPassword = body.password !== undefined;
  const appFields = [body.appKey, body.secret, body.accessToken, body.accessTokenSecret];
  const hasApp = appFields.some((v) => v !== undefined);
  if (hasPassword && hasApp) throw errors.badRequest('Bad request: send either password or appKey credentials, not both');
  if (hasPassword) return { username: body.username, password: body.password! };
  if (!hasApp) throw errors.badRequest('Bad request: password or appKey, secret, accessToken and accessTokenSecret are required');
  if (appFields.some((v) => v === undefined)) {
    throw errors.badRequest('Bad request: Application Login needs appKey, secret, accessToken and accessTokenSecret');
  }
  const { username, appKey, secret, accessToken, accessTokenSecret } = body as Required<LoginBody>;
  return { username, appKey, secret, accessToken, accessTokenSecret };
}

export function sessionRoutes(service: SessionService, options: { secureCookie: boolean }) {
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax', secure: options.secureCookie } as const;

  return async function (app: FastifyInstance): Promise<void> {
    app.post<{ Params: AccountParams; Body: LoginBody }>(
      '/api/account/:accountId/login',
      {
        schema: {
          summary: 'User Login and Application Login',
          tags: ['sessions'],
          params: accountParamsSchema,
          querystring: versionQuerySchema,
          body: loginBodySchema,
          response: { 200: loginResponseSchema, ...failures },
        },
      },
      async (request, reply) => {
        const credentials = loginCredentials(request.body);
        const result = await service.login(request.params.accountId, credentials, clientInfo(request));
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
        await service.refresh(request.params.accountId, request.cookies[SESSION_COOKIE], request.body.csrf, clientInfo(request));
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
        await service.logout(request.params.accountId, request.cookies[SESSION_COOKIE], request.body.csrf, clientInfo(request));
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
