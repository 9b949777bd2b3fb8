/** The Domain API: where each service of an account lives. No authentication. */
import type { FastifyInstance } from 'fastify';
import { errorResponse } from '../http/errorHandling.js';
import { errors } from '../errors.js';
import { accountParamsSchema } from '../http/request.js';
import type { Stores } from '../store/index.js';
import { serviceBaseURIs } from './service.js';

const versionQuery = {
  type: 'object',
  properties: { version: { type: 'string', enum: ['1.0'], description: 'Domain API version; only 1.0, the default' } },
} as const;

const baseURISchema = {
  type: 'object',
  properties: { service: { type: 'string' }, account: { type: 'string' }, baseURI: { type: 'string', description: 'host[:port]' } },
} as const;

export function domainRoutes(stores: Stores, publicHost: string) {
  async function servicesOf(accountId: string) {
    if (!(await stores.accounts.getAccount(accountId))) throw errors.accountUnknown();
    return serviceBaseURIs(stores, accountId, publicHost);
  }

  return async function (app: FastifyInstance): Promise<void> {
    app.get<{ Params: { accountId: string } }>(
      '/api/account/:accountId/service/baseURI.json',
      {
        schema: {
          summary: "Domain API: all of an account's service base URIs",
          tags: ['domain'],
          params: accountParamsSchema,
          querystring: versionQuery,
          response: {
            200: { type: 'object', properties: { baseURIs: { type: 'array', items: baseURISchema } } },
            400: errorResponse,
            401: errorResponse,
          },
        },
      },
      async (request) => {
        const { accountId } = request.params;
        const services = await servicesOf(accountId);
        return { baseURIs: services.map((s) => ({ account: accountId, baseURI: s.baseURI, service: s.service })) };
      },
    );

    app.get<{ Params: { accountId: string; serviceName: string } }>(
      '/api/account/:accountId/service/:serviceName/baseURI.json',
      {
        schema: {
          summary: 'Domain API: one service base URI',
          tags: ['domain'],
          params: {
            type: 'object',
            required: ['accountId', 'serviceName'],
            properties: { ...accountParamsSchema.properties, serviceName: { type: 'string', maxLength: 128, description: 'Case-sensitive' } },
          },
          querystring: versionQuery,
          response: { 200: baseURISchema, 400: errorResponse, 401: errorResponse, 404: errorResponse },
        },
      },
      async (request) => {
        const { accountId, serviceName } = request.params;
        const found = (await servicesOf(accountId)).find((s) => s.service === serviceName);
        if (!found) throw errors.notFound(`Unknown service "${serviceName.slice(0, 128)}" for account ${accountId}`);
        return { service: found.service, account: accountId, baseURI: found.baseURI };
      },
    );
  };
}
