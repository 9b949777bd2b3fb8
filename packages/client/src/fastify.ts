/**
 * Fastify plugin for services that accept Login Service bearers. Every route
 * registered in the same scope needs `Authorization: Bearer …`. The caller is
 * put on `request.loginCaller` and its session on `request.loginSession`; an
 * OAuth 2.0 access token (checked locally against the JWKS) also puts its
 * claims on `request.loginAccessToken`, and its session is a view of them.
 * A route opts out with `config: { bearerAuth: false }`.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { AccessTokenInfo } from './jwt.js';
import type { SessionInfo } from './protocol.js';
import { bearerAuthenticator, type BearerAuthOptions, type BearerCaller } from './verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The caller's session, set by bearerAuthPlugin; null on routes that opted out. For an access token,
     * a view of it (`sessionOfAccessToken`: sub as userId, no privileges); `loginAccessToken` has the token.
     */
    loginSession: SessionInfo | null;
    /** The caller's access token (client id, sub, scopes), set by bearerAuthPlugin for a JWT; null otherwise. */
    loginAccessToken: AccessTokenInfo | null;
    /** The caller, whichever kind; null on routes that opted out. */
    loginCaller: BearerCaller | null;
  }
  interface FastifyContextConfig {
    /** false: this route does not need a bearer. */
    bearerAuth?: boolean;
  }
}

const plugin: FastifyPluginAsync<BearerAuthOptions> = async (app, options) => {
  const authenticate = bearerAuthenticator(options);
  app.decorateRequest('loginSession', null);
  app.decorateRequest('loginAccessToken', null);
  app.decorateRequest('loginCaller', null);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config?.bearerAuth === false) return;
    const outcome = await authenticate(request.headers.authorization);
    if (outcome.caller) {
      request.loginCaller = outcome.caller;
      request.loginSession = outcome.session;
      request.loginAccessToken = outcome.accessToken;
      return;
    }
    if (outcome.cause) request.log.warn({ err: outcome.cause }, 'bearer check unavailable');
    return reply.code(outcome.status).headers(outcome.headers).send(outcome.body);
  });
};

// What fastify-plugin would set, written out so the adapter needs no package at run time:
// skip-override applies the hook to the scope that registers the plugin, not to a child scope.
Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'login-service-bearer-auth',
  [Symbol.for('plugin-meta')]: { fastify: '5.x', name: 'login-service-bearer-auth' },
});

export const bearerAuthPlugin = plugin;
