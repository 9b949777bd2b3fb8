/**
 * Fastify plugin for services that accept Login Service bearers. Every route
 * registered in the same scope needs `Authorization: Bearer …`; the session is
 * put on `request.loginSession`. A route opts out with `config: { bearerAuth: false }`.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { bearerAuthenticator, type BearerAuthOptions, type SessionInfo } from './verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's session, set by bearerAuthPlugin; null on routes that opted out. */
    loginSession: SessionInfo | null;
  }
  interface FastifyContextConfig {
    /** false: this route does not need a bearer. */
    bearerAuth?: boolean;
  }
}

const plugin: FastifyPluginAsync<BearerAuthOptions> = async (app, options) => {
  const authenticate = bearerAuthenticator(options);
  app.decorateRequest('loginSession', null);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config?.bearerAuth === false) return;
    const outcome = await authenticate(request.headers.authorization);
    if (outcome.session) {
      request.loginSession = outcome.session;
      return;
    }
    if (outcome.cause) request.log.warn({ err: outcome.cause }, 'bearer check unavailable');
    return reply.code(outcome.status).headers(outcome.headers).send(outcome.body);
  });
};

export const bearerAuthPlugin = fp(plugin, { fastify: '5.x', name: 'login-service-bearer-auth' });
