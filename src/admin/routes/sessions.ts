/** Live sessions: `configuration/sessions` (ours, v 1.0); never their tokens. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errors } from '../../errors.js';
import { listSessions, revokeSession, revokeSessions, sessionView } from '../../directory/sessions.js';
import { bearerToken } from '../../http/request.js';
import { tokenMatches } from '../../security/tokens.js';
import { adminContext, type AdminRouteDeps } from './deps.js';
import { checkVersion } from './protocol.js';
import { BASE, OWN_VERSIONS, READ_ERRORS, WRITE_ERRORS, accountParams, idParams, nullableString, out, str, stringEnum, writeQuery } from './shapes.js';

const sessionOut = out({
  id: Type.String({ description: 'Opaque: names the session in DELETE sessions/{id}' }),
  current: Type.Optional(Type.Boolean({ description: "true on the caller's own session" })),
  userId: Type.String(),
  loginName: Type.String(),
  appKey: nullableString(),
  createdAt: nullableString(),
  expiresAt: nullableString(),
  hardExpiresAt: nullableString(),
  clientIp: nullableString(),
  userAgent: nullableString(),
});

export function sessionsRoutes(deps: AdminRouteDeps): FastifyPluginAsyncTypebox {
  const tags = ['admin: sessions'];
  const url = `${BASE}/sessions`;
  const query = Type.Object(
    {
      v: writeQuery(OWN_VERSIONS).properties.v,
      user: Type.Optional(str(256, 'A login name')),
      all: Type.Optional(stringEnum(['true'], 'DELETE: every session of the account')),
    },
    { additionalProperties: false },
  );
  return async (app) => {
    app.get(url, {
      schema: {
        tags,
        summary: 'Live sessions of the account or of one user (never their tokens)',
        description: 'Oldest first; ?user=LOGIN for one user.',
        params: accountParams,
        querystring: query,
        response: { 200: Type.Array(sessionOut), ...READ_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      // The caller's own session is the one its bearer opens; the digest is compared, never shown.
      const header = request.headers.authorization;
      const bearer = bearerToken(typeof header === 'string' ? header : undefined);
      return (await listSessions(ctx, request.params.accountId, request.query.user)).map((s) => ({
        ...sessionView(s),
        ...(bearer !== null && tokenMatches(bearer, s.bearerHash) && { current: true }),
      }));
    });

    app.delete(url, {
      schema: {
        tags,
        summary: 'End the sessions of one user (?user=) or of everyone (?all=true)',
        description: "Exactly one of user=LOGIN and all=true. all=true ends the caller's own session too.",
        params: accountParams,
        querystring: query,
        response: { 200: out({ sessionsEnded: Type.Integer() }), ...WRITE_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const { user, all } = request.query;
      if ((user === undefined) === (all === undefined)) throw errors.badRequest('Bad request: give exactly one of user=LOGIN and all=true');
      const { sessionsEnded } = await revokeSessions(ctx, request.params.accountId, user !== undefined ? { loginName: user } : { all: true });
      return { sessionsEnded };
    });

    app.delete(`${url}/:id`, {
      schema: {
        tags,
        summary: 'End one session, named by the id a listing gives it',
        description: "404 when no live session of the account has that id. Ending the caller's own session signs the caller out.",
        params: idParams('string'),
        querystring: writeQuery(OWN_VERSIONS),
        response: { 200: out({ id: Type.String(), sessionsEnded: Type.Integer() }), ...WRITE_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      await revokeSession(ctx, request.params.accountId, request.params.id);
      return { id: request.params.id, sessionsEnded: 1 };
    });
  };
}
