/**
 * The API reference: the OpenAPI document the routes' schemas make
 * (/openapi.json) and, when API_DOCS is on, the interactive Swagger UI at
 * /docs. The bearer scheme is declared here, so the UI's Authorize button can
 * send a bearer and "Try it out" can call the API.
 */
import type { SwaggerOptions } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { BEARER_SECURITY } from './auth.js';

/**
 * What the reference says of the routes outside the administration API,
 * whose own files declare their schemas: a description, an example body, and
 * the bearer requirement of the bearer check. Keyed by "METHOD url".
 */
const OTHER_OPERATIONS: Record<string, { description: string; example?: unknown; bearer?: true }> = {
  'GET /healthz': { description: 'Liveness: 200 while the process serves requests.' },
  'GET /readyz': { description: 'Readiness: 200 when the store answers, 503 while starting or shutting down.' },
  'POST /api/account/:accountId/login': {
    description: 'User Login (username, password), Application Login (username and an API key\'s appKey, secret, accessToken, accessTokenSecret) or SSO login (a SAML assertion). Answers the session: its `bearer` for other services and this API, and a Session_id cookie with its csrf for refresh and logout.',
    example: { username: 'Agent.Smith', password: 'a long enough passphrase' },
  },
  'POST /api/account/:accountId/refresh': { description: 'Keeps the session of the Session_id cookie alive; the csrf of the login answer proves the caller.', example: { csrf: 'the csrf of the login answer' } },
  'POST /api/account/:accountId/logout': { description: 'Ends the session of the Session_id cookie; the csrf of the login answer proves the caller.', example: { csrf: 'the csrf of the login answer' } },
  'GET /api/account/:accountId/session': { description: 'Whether a bearer is a live session of the account, and whose: for services that receive a bearer.', bearer: true },
  'GET /api/account/:accountId/service/baseURI.json': { description: "Domain API: where each of the account's services lives." },
  'GET /api/account/:accountId/service/:serviceName/baseURI.json': { description: 'Domain API: where one service lives; 404 for a service the account does not have.' },
  'GET /csdr/account/:accountId/service/baseURI.json': { description: 'Domain API, older path: the same answer as /api/account/{accountId}/service/baseURI.json.' },
  'GET /csdr/account/:accountId/service/:serviceName/baseURI.json': { description: 'Domain API, older path: the same answer as /api/account/{accountId}/service/{serviceName}/baseURI.json.' },
  'POST /api/account/:accountId/oauth/introspect': { description: 'Token introspection (RFC 7662).', example: { token: 'a bearer of a login answer' } },
  'POST /api/account/:accountId/password': {
    description: "Changes the session user's own password: the Session_id cookie and its csrf prove the session, oldPassword the user. Other sessions of the user end.",
    example: { csrf: 'the csrf of the login answer', oldPassword: 'a long enough passphrase', newPassword: 'another long enough passphrase' },
  },
};

/** Adds what OTHER_OPERATIONS says to a route's documentation (its validation is untouched). */
function documented({ schema, url, route }: { schema: Record<string, any>; url: string; route: { method: string | string[] } }) {
  const method = Array.isArray(route.method) ? route.method[0] : route.method;
  const extra = OTHER_OPERATIONS[`${method} ${url}`];
  if (!schema || !extra) return { schema, url };
  return {
    url,
    schema: {
      ...schema,
      description: schema.description ?? extra.description,
      ...(extra.bearer && { security: BEARER_SECURITY }),
      ...(extra.example !== undefined && schema.body && { body: { ...schema.body, examples: [extra.example] } }),
    },
  };
}

/** `extraTags`: the tags of the routes registered beside the core ones (the administration API's). */
export function openApiOptions(extraTags: ReadonlyArray<{ name: string; description: string }>): SwaggerOptions {
  return {
    transform: documented as never,
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Login Service API',
        version: '1.3',
        description:
          'Agent and bot login, session refresh and logout, bearer check, the Domain API and the administration API. ' +
          'Routes that need a bearer say so: log in (POST /api/account/{accountId}/login), then give the answer\'s `bearer` to Authorize.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: "The `bearer` of a login's answer; the administration API needs an administrator's" },
        },
      },
      tags: [
        { name: 'sessions', description: 'Login, refresh, logout, bearer check' },
        { name: 'domain', description: 'Service discovery (Domain API)' },
        { name: 'second factor', description: "A person's own second factors: authenticator app (TOTP), recovery codes" },
        { name: 'operations', description: 'Health, readiness, metrics' },
        { name: 'oauth', description: 'OAuth 2.0 in the browser: the authorization request, its sign-in page, RP-initiated logout (docs/OAUTH.md)' },
        ...extraTags,
      ],
    },
  };
}

/**
 * The interactive API reference (Swagger UI) at /docs. Its page needs scripts
 * and styles, so it carries its own Content-Security-Policy instead of the
 * API's `default-src 'none'` (without upgrade-insecure-requests, which would
 * break plain-HTTP installations).
 */
export async function apiReference(app: FastifyInstance): Promise<void> {
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    transformStaticCSP: (header: string) => header.replace(/(?<!\s)\s*upgrade-insecure-requests;/, ''),
    uiConfig: { docExpansion: 'list', deepLinking: true, persistAuthorization: true },
  });
}
