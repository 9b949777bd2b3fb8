/** What every administration plugin is built with, and the action context of a request. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.js';
import type { AuditLog } from '../../events/audit.js';
import type { PasswordHasher } from '../../security/passwords.js';
import type { Stores } from '../../store/index.js';
import type { AdminContext } from '../../events/actor.js';
import type { DirectoryResource } from '../../directory/model.js';
import { revisionHeaders } from './protocol.js';

export interface AdminRouteDeps {
  stores: Stores;
  clock: Clock;
  hasher: PasswordHasher;
  audit: AuditLog;
  /** This server's host[:port]: the default agentVep base URI. */
  publicHost: string;
}

/** The action context of a request the auth plugin has let through: its caller acts. */
export function adminContext(deps: AdminRouteDeps, request: FastifyRequest): AdminContext {
  const caller = request.caller;
  if (!caller) throw new Error('an administration route ran without the auth pre-handler');
  const ua = request.headers['user-agent'];
  return {
    stores: deps.stores,
    clock: deps.clock,
    hasher: deps.hasher,
    audit: deps.audit,
    actor: { via: 'api', userId: caller.userId, loginName: caller.loginName, clientIp: request.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null },
  };
}

/** Answers a read with its revision headers, or 304 when the client has it. */
export async function readWithRevision(stores: Stores, accountId: string, request: FastifyRequest, reply: FastifyReply, resource: DirectoryResource, body: () => Promise<unknown>) {
  const revision = await stores.directory.revision(accountId, resource);
  if (revisionHeaders(request, reply, revision)) return reply.code(304).send();
  return reply.send(await body());
}

/** Answers a write with the resource's new revision. */
export function written(request: FastifyRequest, reply: FastifyReply, revision: number, status: number, body: unknown) {
  revisionHeaders(request, reply, revision);
  return reply.code(status).send(body);
}
