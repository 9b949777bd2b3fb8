/** HTTP routes of the session core: refresh, logout, bearer check (login is the login flow's, src/login/routes.ts). */
import type { FastifyInstance } from 'fastify';
import { errorResponse } from '../http/errorHandling.js';
import { errors } from '../errors.js';
import { SESSION_COOKIE, accountParamsSchema, bearerToken, clientInfo, sessionCookie, versionQuerySchema } from '../http/request.js';
import { toSessionInfo, type SessionCore } from './core.js';

interface AccountParams {
  accountId: string;
}

const csrfBodySchema = {
  type: 'object',
  required: ['csrf'],
  properties: { csrf: { type: 'string', maxLength: 256, description: 'The csrf value of the login response' } },
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
    amr: {
      type: 'array',
      items: { type: 'string' },
      description: 'How the session was made (RFC 8176 values where one fits): pwd (password), swk (API key), saml (SSO assertion)',
    },
    createdAt: { type: 'integer' },
    expiresAt: { type: 'integer', description: 'Idle expiry, ms since the epoch' },
    clientId: { type: 'string', description: 'OAuth access tokens only: the installation it was issued to' },
    scope: { type: 'string', description: 'OAuth access tokens only: its scope' },
  },
} as const;

const failures = { 400: errorResponse, 401: errorResponse, 429: errorResponse };

export interface SessionRoutesOptions {
  secureCookie: boolean;
  /** The bearer check of other kinds of bearer (OAuth access tokens): their answer, or null when `token` is not of theirs. */
  otherBearers?: (accountId: string, token: string) => Promise<Record<string, unknown> | null>;
}

export function sessionRoutes(service: SessionCore, options: SessionRoutesOptions) {
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax', secure: options.secureCookie } as const;

  return async function (app: FastifyInstance): Promise<void> {
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
        const other = await options.otherBearers?.(request.params.accountId, token);
        if (other) return other;
        return toSessionInfo(await service.checkBearer(request.params.accountId, token));
      },
    );
  };
}
