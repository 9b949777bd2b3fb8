/** The audit log: `configuration/events` (ours, v 1.0), newest first. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listEvents } from '../../accounts/actions.js';
import { adminContext, type AdminRouteDeps } from './deps.js';
import { checkVersion, isoTime } from './protocol.js';
import { BASE, OWN_VERSIONS, READ_ERRORS, accountParams, nullableString, out, str, writeQuery } from './shapes.js';

export function eventsRoutes(deps: AdminRouteDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(`${BASE}/events`, {
      schema: {
        tags: ['admin: events'],
        summary: 'Audit events, newest first',
        description: 'Logins, refusals, logouts and every administrative change, naming who acted. Never a password, secret or token.',
        params: accountParams,
        querystring: Type.Object(
          {
            v: writeQuery(OWN_VERSIONS).properties.v,
            user: Type.Optional(str(256, 'Events of this login name (as recorded)')),
            since: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601' })),
            limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$|^100000$', description: '1 to 100000 (default 100)' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Array(
            out({
              time: Type.String(),
              type: Type.String(),
              userId: nullableString(),
              loginName: nullableString(),
              clientIp: nullableString(),
              userAgent: nullableString(),
              detail: Type.Object({}, { additionalProperties: true }),
            }),
          ),
          ...READ_ERRORS,
        },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const { user, since, limit } = request.query;
      const events = await listEvents(ctx, request.params.accountId, { loginName: user, since: since === undefined ? undefined : Date.parse(since), limit: limit === undefined ? 100 : Number(limit) });
      return events.map((e) => ({ time: isoTime(e.time)!, type: e.type, userId: e.userId, loginName: e.loginName, clientIp: e.clientIp, userAgent: e.userAgent, detail: e.detail }));
    });
  };
}
