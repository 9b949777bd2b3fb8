/**
 * The API reference: the OpenAPI document the routes' schemas make
 * (/openapi.json) and, when API_DOCS is on, the interactive Swagger UI at
 * /docs. The bearer scheme is declared here, so the UI's Authorize button can
 * send a bearer and "Try it out" can call the API.
 */
import type { SwaggerOptions } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { ADMIN_TAGS } from '../admin/routes/index.js';

export function openApiOptions(): SwaggerOptions {
  return {
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
        { name: 'operations', description: 'Health, readiness, metrics' },
        ...ADMIN_TAGS,
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
    transformStaticCSP: (header: string) => header.replace(/\s*upgrade-insecure-requests;/, ''),
    uiConfig: { docExpansion: 'list', deepLinking: true, persistAuthorization: true },
  });
}
