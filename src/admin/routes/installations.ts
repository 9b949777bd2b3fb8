/**
 * OAuth 2.0 applications: `configuration/app-install/installations` (v 1.0),
 * in the original's application-manifest names (snake_case). The secret is
 * in the answer of a create and of a rotation only.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { requireAccount } from '../../accounts/service.js';
import { errors } from '../../errors.js';
import {
  getInstallation,
  installationWire,
  installApplication,
  listInstallations,
  removeInstallation,
  replaceInstallation,
  rotateClientSecret,
  LIMITS,
  type Installation,
  type InstallationInput,
} from '../../oauth/installations.js';
import { API_SCOPES } from '../../oauth/scopes.js';
import { adminContext, readWithRevision, written, type AdminRouteDeps } from './deps.js';
import { checkVersion, expectedRevision, isoTime } from './protocol.js';
import { BASE, OWN_VERSIONS, READ_ERRORS, WRITE_ERRORS, accountParams, ifMatch, nullableString, out, readOnly, readQuery, str, writeQuery } from './shapes.js';

const FIELDS = [
  'client_id',
  'client_name',
  'display_name',
  'description',
  'logo_uri',
  'grant_types',
  'redirect_uris',
  'response_types',
  'scope',
  'token_endpoint_auth_method',
  'enabled',
  'ip_allowlist',
  'created_at',
  'updated_at',
] as const;

const strings = (maxItems: number, maxLength: number, description: string) => Type.Array(Type.String({ maxLength }), { maxItems, description });

const installationOut = out({
  client_id: Type.String({ description: 'The AppInstall ID: the OAuth client id (and the appKey of its API key)' }),
  client_name: Type.String(),
  display_name: Type.String(),
  description: Type.String(),
  logo_uri: nullableString(),
  grant_types: Type.Array(Type.String()),
  redirect_uris: Type.Array(Type.String()),
  response_types: Type.Array(Type.String()),
  scope: Type.String(),
  token_endpoint_auth_method: Type.String(),
  enabled: Type.Boolean(),
  ip_allowlist: Type.Array(Type.String()),
  created_at: Type.String({ description: 'ISO 8601' }),
  updated_at: Type.String({ description: 'ISO 8601' }),
});

const withSecret = out({
  ...installationOut.properties,
  client_secret: Type.String({ description: 'Shown this once; absent for a public client' }),
});

const installationIn = Type.Object(
  {
    client_name: str(LIMITS.clientName, 'Required; unique in the account'),
    display_name: Type.Optional(str(LIMITS.displayName)),
    description: Type.Optional(str(LIMITS.description)),
    logo_uri: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: LIMITS.logoUri, description: 'An https: URL' })),
    grant_types: Type.Optional(strings(3, 64, 'Of client_credentials, authorization_code, refresh_token; default ["client_credentials"]')),
    redirect_uris: Type.Optional(strings(LIMITS.redirectUris, LIMITS.redirectUri, 'Required with authorization_code: absolute https: URLs (http: for loopback hosts), no fragment; matched exactly')),
    response_types: Type.Optional(strings(4, 64, 'Only ["code"] (the default): the implicit flow is not offered')),
    scope: Type.Optional(str(LIMITS.scope, `Space-separated: ${API_SCOPES.slice(0, 4).join(', ')}, … (<resource>.read|write); openid, profile, email, offline_access are allowed to authorization_code applications`)),
    token_endpoint_auth_method: Type.Optional(str(64, 'client_secret_basic (default), client_secret_post, or none (a public client: no secret, PKCE required)')),
    enabled: Type.Optional(Type.Boolean({ description: 'Default true; false ends every token issued to it' })),
    ip_allowlist: Type.Optional(strings(LIMITS.ipAllowlist, LIMITS.ipAllowlistEntry, 'Addresses the application may call from: single addresses, FROM-TO ranges, CIDR blocks; empty: anywhere')),
    client_id: readOnly,
    client_secret: readOnly,
    created_at: readOnly,
    updated_at: readOnly,
  },
  { additionalProperties: false },
);

const EXAMPLE = {
  client_name: 'Reporting dashboard',
  display_name: 'Reporting',
  description: 'Reads users and events for the weekly report',
  grant_types: ['client_credentials'],
  scope: 'users.read events.read',
  token_endpoint_auth_method: 'client_secret_basic',
};

const installationView = (i: Installation) => installationWire(i, (ms) => isoTime(ms)!);

function inputOf(body: Static<typeof installationIn>): InstallationInput {
  return {
    clientName: body.client_name,
    displayName: body.display_name,
    description: body.description,
    logoUri: body.logo_uri,
    grantTypes: body.grant_types,
    redirectUris: body.redirect_uris,
    responseTypes: body.response_types,
    scope: body.scope,
    tokenEndpointAuthMethod: body.token_endpoint_auth_method,
    enabled: body.enabled,
    ipAllowlist: body.ip_allowlist,
  };
}

/** `select`: `$all` or a list of field names; `client_id` always. */
function selected(select: string | undefined): ReadonlySet<string> | null {
  if (select === undefined || select.trim() === '' || select.trim() === '$all') return null;
  const names = select.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.find((n) => !(FIELDS as readonly string[]).includes(n));
  if (unknown !== undefined) throw errors.badRequest(`Bad request: select names an unknown field "${unknown.slice(0, 64)}"; fields are ${FIELDS.join(', ')}`);
  return new Set(['client_id', ...names]);
}

function projected(view: ReturnType<typeof installationView>, fields: ReadonlySet<string> | null) {
  if (fields === null) return view;
  return Object.fromEntries(Object.entries(view).filter(([name]) => fields.has(name)));
}

export function installationsRoutes(deps: AdminRouteDeps): FastifyPluginAsyncTypebox {
  const { stores } = deps;
  const tags = ['admin: installations'];
  const url = `${BASE}/app-install/installations`;
  const itemParams = Type.Object({ accountId: accountParams.properties.accountId, client_id: Type.String({ maxLength: 128, description: 'The client id' }) });
  return async (app) => {
    app.get(url, {
      schema: {
        tags,
        summary: 'List installed applications (never their secrets)',
        description:
          "The account's OAuth 2.0 applications, oauth2 API keys made by apikey create included (client credentials only, default fields). Answers carry the installations' revision (ac-revision, ETag); If-None-Match of the current revision answers 304.",
        params: accountParams,
        querystring: readQuery(OWN_VERSIONS),
        response: { 200: Type.Array(installationOut), ...READ_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const fields = selected(request.query.select);
      const account = await requireAccount(ctx, request.params.accountId);
      return readWithRevision(stores, account.accountId, request, reply, 'installations', async () =>
        (await listInstallations(ctx, account.accountId)).map((i) => projected(installationView(i), fields)),
      );
    });

    app.post(url, {
      schema: {
        tags,
        summary: 'Install an application: the answer holds its client secret, the only time it is shown',
        description:
          'Answers 201 with the installation, its client_id and (unless it is a public client, token_endpoint_auth_method none) its client_secret. Only a digest of the secret is stored. If-Match makes the write conditional on the revision.',
        params: accountParams,
        querystring: writeQuery(OWN_VERSIONS),
        headers: ifMatch,
        body: { ...installationIn, examples: [EXAMPLE] },
        response: { 201: withSecret, ...WRITE_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const { installation, clientSecret, revision } = await installApplication(ctx, request.params.accountId, inputOf(request.body), { expectedRevision: expectedRevision(request) });
      return written(request, reply, revision, 201, { ...installationView(installation), ...(clientSecret !== null && { client_secret: clientSecret }) });
    });

    app.get(`${url}/:client_id`, {
      schema: {
        tags,
        summary: 'Read an installed application (never its secret)',
        description: 'One installation by client id; 404 when unknown or removed.',
        params: itemParams,
        querystring: readQuery(OWN_VERSIONS),
        response: { 200: installationOut, ...READ_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const fields = selected(request.query.select);
      const installation = await getInstallation(ctx, request.params.accountId, request.params.client_id);
      return readWithRevision(stores, installation.accountId, request, reply, 'installations', async () => projected(installationView(installation), fields));
    });

    app.put(`${url}/:client_id`, {
      schema: {
        tags,
        summary: 'Replace an installed application (left-out fields take their defaults)',
        description:
          'The whole installation is replaced; its client id and secret stay. Read-only fields are accepted and ignored, so an installation read can be sent back. Disabling it ends every token issued to it. A public client made confidential gets a client_secret, in this answer only.',
        params: itemParams,
        querystring: writeQuery(OWN_VERSIONS),
        headers: ifMatch,
        body: { ...installationIn, examples: [{ ...EXAMPLE, scope: 'users.read events.read sessions.read' }] },
        response: { 200: withSecret, ...WRITE_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const { installation, clientSecret, revision } = await replaceInstallation(ctx, request.params.accountId, request.params.client_id, inputOf(request.body), {
        expectedRevision: expectedRevision(request),
      });
      return written(request, reply, revision, 200, { ...installationView(installation), ...(clientSecret !== null && { client_secret: clientSecret }) });
    });

    app.delete(`${url}/:client_id`, {
      schema: {
        tags,
        summary: 'Remove an installed application: its key is revoked, its tokens and its bots\' sessions end',
        description: 'The client id stops working at once. Its API key stays listed by app-keys, inactive. Answers how many bot sessions and token families ended.',
        params: itemParams,
        querystring: writeQuery(OWN_VERSIONS),
        headers: ifMatch,
        response: { 200: out({ client_id: Type.String(), deleted: Type.Boolean(), sessions_ended: Type.Integer(), grants_ended: Type.Integer() }), ...WRITE_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const removed = await removeInstallation(ctx, request.params.accountId, request.params.client_id, { expectedRevision: expectedRevision(request) });
      return written(request, reply, removed.revision, 200, { client_id: removed.clientId, deleted: true, sessions_ended: removed.sessionsEnded, grants_ended: removed.grantsEnded });
    });

    app.post(`${url}/:client_id/secret`, {
      schema: {
        tags,
        summary: 'Rotate the client secret: the answer holds the new one, the only time it is shown',
        description: 'The previous secret stops working at once; tokens already issued stay valid until they expire. A public client has no secret (400).',
        params: itemParams,
        querystring: writeQuery(OWN_VERSIONS),
        headers: ifMatch,
        response: { 200: withSecret, ...WRITE_ERRORS },
      },
    }, async (request, reply) => {
      const ctx = adminContext(deps, request);
      checkVersion(request.query.v, OWN_VERSIONS, 'this resource');
      const { installation, clientSecret, revision } = await rotateClientSecret(ctx, request.params.accountId, request.params.client_id, { expectedRevision: expectedRevision(request) });
      return written(request, reply, revision, 200, { ...installationView(installation), client_secret: clientSecret });
    });
  };
}
