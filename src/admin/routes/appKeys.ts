/** API keys of bots: `configuration/app-keys` (ours, v 1.0). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { issueApiKey, listApiKeys, revokeKey } from '../../directory/apiKeys.js';
import { adminContext, type AdminRouteDeps } from './deps.js';
import { checkVersion, isoTime } from './protocol.js';
import { BASE, OWN_VERSIONS, READ_ERRORS, WRITE_ERRORS, accountParams, nullableString, out, str, stringEnum, writeQuery } from './shapes.js';

const keyOut = out({
  appKey: Type.String(),
  name: Type.String(),
  type: stringEnum(['oauth1', 'oauth2']),
  active: Type.Boolean(),
  createdAt: Type.String(),
  revokedAt: nullableString(),
  bots: Type.Array(Type.String()),
  ipAllowlist: Type.Array(Type.String(), { description: 'Addresses the key may be used from; empty: anywhere' }),
});
const ipAllowlist = Type.Array(Type.String({ maxLength: 100 }), {
  maxItems: 100,
  description: 'Addresses Application Login with this key is accepted from: single addresses, FROM-TO ranges and CIDR blocks (IPv4 or IPv6); empty or absent: anywhere',
});

export function appKeysRoutes(deps: AdminRouteDeps): FastifyPluginAsyncTypebox {
  const tags = ['admin: app keys'];
  const url = `${BASE}/app-keys`;
  const query = writeQuery(OWN_VERSIONS);
  return async (app) => {
    app.get(url, {
      schema: {
        tags,
        summary: 'List API keys (never their secrets)',
        description: "The account's API keys, revoked ones included, with the bots allowed to log in with each.",
        params: accountParams,
        querystring: query,
        response: { 200: Type.Array(keyOut), ...READ_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      return (await listApiKeys(ctx, request.params.accountId)).map(({ key, bots }) => ({
        appKey: key.appKey,
        name: key.name,
        type: key.type,
        active: key.revokedAt === null,
        createdAt: isoTime(key.createdAt)!,
        revokedAt: isoTime(key.revokedAt),
        bots,
        ipAllowlist: key.ipAllowlist,
      }));
    });

    app.post(url, {
      schema: {
        tags,
        summary: 'Issue an API key: the answer holds its secrets, the only time they are shown',
        description: 'An oauth1 key has a secret, an access token and its secret; an oauth2 key (client credentials) a secret only. Only their hashes are stored.',
        params: accountParams,
        querystring: query,
        body: Type.Optional(
          Type.Object(
            { name: Type.Optional(str(256)), type: Type.Optional(stringEnum(['oauth1', 'oauth2'], 'Default oauth1')), ipAllowlist: Type.Optional(ipAllowlist) },
            { additionalProperties: false, examples: [{ name: 'Reporting bot', type: 'oauth1', ipAllowlist: ['203.0.113.10', '10.0.0.0-10.0.0.255', '2001:db8::/32'] }] },
          ),
        ),
        response: {
          201: out({ appKey: Type.String(), name: Type.String(), type: Type.String(), secret: Type.String(), accessToken: Type.String(), accessTokenSecret: Type.String(), createdAt: Type.String(), ipAllowlist: Type.Array(Type.String()) }),
          ...WRITE_ERRORS,
        },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const body = request.body ?? {};
      const { key, issued } = await issueApiKey(ctx, request.params.accountId, body.name, body.type, { ipAllowlist: body.ipAllowlist });
      return reply.code(201).send({ name: key.name, type: key.type, ...issued, createdAt: isoTime(key.createdAt)!, ipAllowlist: key.ipAllowlist });
    });

    app.delete(`${url}/:appKey`, {
      schema: {
        tags,
        summary: 'Revoke an API key; the sessions of the bots that logged in with it end',
        description: 'Answers how many sessions ended. A revoked key stays listed, inactive.',
        params: Type.Object({ accountId: accountParams.properties.accountId, appKey: Type.String({ maxLength: 128 }) }),
        querystring: query,
        response: { 200: out({ appKey: Type.String(), sessionsEnded: Type.Integer() }), ...WRITE_ERRORS },
      },
    }, async (request) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const { appKey } = request.params;
      return { appKey, sessionsEnded: await revokeKey(ctx, request.params.accountId, appKey) };
    });
  };
}
