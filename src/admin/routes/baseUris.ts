/** Service base URIs: `configuration/base-uris` (ours, v 1.0): what the Domain API serves. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { serviceBaseURIs } from '../../accounts/service.js';
import { deleteServiceBaseURI, setServiceBaseURI } from '../../accounts/actions.js';
import { requireAccount } from '../../accounts/service.js';
import { adminContext, type AdminRouteDeps } from './deps.js';
import { checkVersion } from './protocol.js';
import { BASE, OWN_VERSIONS, READ_ERRORS, WRITE_ERRORS, accountParams, nullableString, out, str, writeQuery } from './shapes.js';

export function baseUrisRoutes(deps: AdminRouteDeps): FastifyPluginAsyncTypebox {
  const tags = ['admin: base URIs'];
  const url = `${BASE}/base-uris`;
  const query = writeQuery(OWN_VERSIONS);
  const serviceParams = Type.Object({ accountId: accountParams.properties.accountId, service: Type.String({ maxLength: 128 }) });
  return async (app) => {
    app.get(url, {
      schema: {
        tags,
        summary: "The account's service base URIs, as the Domain API serves them",
        description: 'agentVep defaults to this server; the others are what administrators set.',
        params: accountParams,
        querystring: query,
        response: { 200: Type.Array(out({ service: Type.String(), baseURI: Type.String() })), ...READ_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      await requireAccount(ctx, request.params.accountId);
      return serviceBaseURIs(deps.stores, request.params.accountId, deps.publicHost);
    });

    app.put(`${url}/:service`, {
      schema: {
        tags,
        summary: 'Set where a service lives (host[:port])',
        description: 'Answers the new base URI and the previous one (null when the service had none).',
        params: serviceParams,
        querystring: query,
        body: Type.Object({ baseURI: str(300, 'host[:port]') }, { additionalProperties: false, examples: [{ baseURI: 'chat.example.com:8443' }] }),
        response: { 200: out({ service: Type.String(), baseURI: Type.String(), previous: nullableString() }), ...WRITE_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const { baseURI } = request.body;
      const previous = await setServiceBaseURI(ctx, request.params.accountId, request.params.service, baseURI);
      return { service: request.params.service, baseURI, previous };
    });

    app.delete(`${url}/:service`, {
      schema: {
        tags,
        summary: `Delete a service's base URI (agentVep cannot be deleted)`,
        description: 'The Domain API stops serving the service.',
        params: serviceParams,
        querystring: query,
        response: { 200: out({ service: Type.String(), deleted: Type.Boolean() }), ...WRITE_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      await deleteServiceBaseURI(ctx, request.params.accountId, request.params.service);
      return { service: request.params.service, deleted: true };
    });
  };
}
