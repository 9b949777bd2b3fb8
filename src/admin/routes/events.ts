/** The audit log: `configuration/events` (ours, v 1.0), newest first. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listEvents } from '../../accounts/actions.js';
import { adminContext, type AdminRouteDeps } from './deps.js';
import { checkVersion, isoTime } from './protocol.js';
import { BASE, OWN_VERSIONS, READ_ERRORS, accountParams, nullableString, out, str, writeQuery } from './shapes.js';

/**
 * A page's cursor: where the newest-first order stands after an event. Opaque
 * to clients, who only send it back; time and id together, so events of the
 * same millisecond are neither skipped nor repeated.
 */
const cursorOf = (at: { time: number; id: number }) => `${at.time}.${at.id}`;
const parseCursor = (cursor: string) => {
  const [time, id] = cursor.split('.').map(Number);
  return { time: time!, id: id! };
};

export function eventsRoutes(deps: AdminRouteDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(`${BASE}/events`, {
      schema: {
        tags: ['admin: events'],
        summary: 'Audit events, newest first',
        description: 'Logins, refusals, logouts and every administrative change, naming who acted. Never a password, secret or token. A full page (as many events as the limit) carries the header ac-next-cursor: send it back as after= for the events that follow.',
        params: accountParams,
        querystring: Type.Object(
          {
            v: writeQuery(OWN_VERSIONS).properties.v,
            user: Type.Optional(str(256, 'Events of this login name (as recorded)')),
            type: Type.Optional(str(64, 'Events of this type only, e.g. login_failure')),
            after: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}\\.[0-9]{1,15}$', description: 'The ac-next-cursor of the previous page: the events after its last one' })),
            since: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601' })),
            limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$|^100000$', description: '1 to 100000 (default 100)' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Array(
            out({
              id: Type.Integer({ description: 'Unique and increasing within the server' }),
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
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const { user, type, since, after } = request.query;
      const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
      const events = await listEvents(ctx, request.params.accountId, {
        loginName: user,
        type,
        since: since === undefined ? undefined : Date.parse(since),
        after: after === undefined ? undefined : parseCursor(after),
        limit,
      });
      const last = events[events.length - 1];
      if (events.length === limit && last?.id !== undefined) reply.header('ac-next-cursor', cursorOf({ time: last.time, id: last.id }));
      return events.map((e) => ({ id: e.id, time: isoTime(e.time)!, type: e.type, userId: e.userId, loginName: e.loginName, clientIp: e.clientIp, userAgent: e.userAgent, detail: e.detail }));
    });
  };
}
