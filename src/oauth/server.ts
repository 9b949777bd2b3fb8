/**
 * The authorization server's endpoints (docs/OAUTH.md), under
 * `/sentinel/api/account/{accountId}`: discovery, JWKS, the token endpoints
 * (client credentials on the original's `app/token` paths; authorization
 * code and refresh on `token`), revocation, introspection and UserInfo.
 *
 * Thin: each route reads its parameters and calls the AuthorizationServer.
 * This plugin has its own body parser and error handler, because OAuth
 * clients parse RFC 6749 §5.2 errors, not the Login Service's:
 * - bodies are forms only (`application/x-www-form-urlencoded`); a parameter
 *   sent twice (in the body, or in both the query and the body) is refused;
 * - every refusal, the framework's included, is `{error, error_description}`.
 *
 * Client secrets in the query string are accepted on the `app/token` paths
 * only, as the original's clients send them. They never reach a log: access
 * lines name the path without its query (app.ts AccessLog), no request is
 * logged on arrival, and errors are logged without the request.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, apiErrorOf } from '../http/errors.js';
import { DomainError } from '../errors.js';
import type { ClientContext } from './grants.js';
import type { AuthorizationServer } from './grants.js';
import { basicCredentials, type ClientCredentials } from './clients.js';
import type { SigningKeys } from './keys.js';
import { invalidRequest, OAuthError } from './oauthErrors.js';
import { API_SCOPES, OIDC_SCOPES } from './scopes.js';

interface AccountParams {
  accountId: string;
}

type Params = Map<string, string>;

const BASE = '/sentinel/api/account/:accountId';
const ACCOUNT_ID = /^[0-9]{1,20}$/;
/** Longest value of any parameter: a JWT or a redirect URI fits with room to spare. */
const MAX_VALUE_LENGTH = 8192;
const FORM = 'application/x-www-form-urlencoded';

const VERSIONS = new Set(['1.0', '2.0']);

/** The parameters of a query string or form, each at most once. */
function parseParams(text: string, where: string): Params {
  const params: Params = new Map();
  for (const [name, value] of new URLSearchParams(text)) {
    if (params.has(name)) throw invalidRequest(`${name.slice(0, 64)} is sent more than once`);
    if (value.length > MAX_VALUE_LENGTH || name.length > 128) throw invalidRequest(`a parameter in the ${where} is too long`);
    params.set(name, value);
  }
  return params;
}

function queryOf(request: FastifyRequest): Params {
  const q = request.url.indexOf('?');
  return q < 0 ? new Map() : parseParams(request.url.slice(q + 1), 'query');
}

function formOf(request: FastifyRequest): Params {
  const body = request.body as { raw: string } | undefined;
  if (body === undefined || body.raw === '') return new Map();
  const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== FORM) throw invalidRequest(`the body must be ${FORM}`);
  return parseParams(body.raw, 'body');
}

/**
 * The request's parameters: the form's, plus those of the query string that
 * `fromQuery` names. The same parameter in both is refused like any repeat.
 */
function paramsOf(request: FastifyRequest, fromQuery: readonly string[]): Params {
  const query = queryOf(request);
  const v = query.get('v');
  if (v !== undefined && !VERSIONS.has(v)) throw invalidRequest('v must be 1.0 or 2.0');
  const params = formOf(request);
  for (const name of fromQuery) {
    const value = query.get(name);
    if (value === undefined) continue;
    if (params.has(name)) throw invalidRequest(`${name} is sent more than once`);
    params.set(name, value);
  }
  return params;
}

/**
 * The client's credentials: HTTP Basic, or `client_id` (+ `client_secret`)
 * among the parameters. Two ways at once is refused (RFC 6749 §2.3).
 */
function credentialsOf(request: FastifyRequest, params: Params, queryUsed: boolean): ClientCredentials | null {
  const header = request.headers.authorization;
  const clientId = params.get('client_id');
  const secret = params.get('client_secret');
  if (header !== undefined) {
    if (secret !== undefined) throw invalidRequest('use one way of client authentication, not two');
    const basic = basicCredentials(header);
    if (!basic) return { method: 'client_secret_basic', clientId: '', secret: '' };
    if (clientId !== undefined && clientId !== basic.appKey) throw invalidRequest('client_id differs from the Basic credentials');
    return { method: 'client_secret_basic', clientId: basic.appKey, secret: basic.secret };
  }
  if (clientId === undefined || clientId === '') return null;
  if (secret === undefined) return { method: 'none', clientId, secret: null };
  return { method: queryUsed ? 'query' : 'client_secret_post', clientId, secret };
}

function clientContext(request: FastifyRequest, credentials: ClientCredentials | null): ClientContext {
  const ua = request.headers['user-agent'];
  return { accountId: (request.params as AccountParams).accountId, credentials, ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null };
}

function sendOAuthError(reply: FastifyReply, error: OAuthError) {
  if (error.headers) reply.headers(error.headers);
  return reply.code(error.status).header('cache-control', 'no-store').header('pragma', 'no-cache').send(error.body());
}

/** Any failure as an RFC 6749 §5.2 body; only our own faults become 500s (and are logged, without the request). */
function toOAuthError(error: unknown): OAuthError | null {
  if (error instanceof OAuthError) return error;
  const api = error instanceof ApiError || error instanceof DomainError ? apiErrorOf(error) : null;
  if (api) {
    const code = api.statusCode === 429 || api.statusCode === 503 ? 'temporarily_unavailable' : 'invalid_request';
    return new OAuthError(code, api.message, api.statusCode, api.headers);
  }
  const status = (error as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = (error as { code?: string }).code;
    const description = code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'the body is too large' : 'the request is malformed';
    return new OAuthError('invalid_request', description, status === 413 ? 400 : status);
  }
  return null;
}

export interface AuthorizationServerRoutesDeps {
  server: AuthorizationServer;
  keys: SigningKeys;
  accountExists(accountId: string): Promise<boolean>;
  /** RFC 7662 of session bearers (the existing introspection), for tokens that are not the authorization server's. */
  introspectSessionBearer(accountId: string, token: string): Promise<Record<string, unknown>>;
}

export function authorizationServerRoutes(deps: AuthorizationServerRoutesDeps) {
  const { server } = deps;

  return async function (app: FastifyInstance): Promise<void> {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, { raw: body as string }));

    app.setErrorHandler((error, request, reply) => {
      const answer = toOAuthError(error);
      if (answer) return sendOAuthError(reply, answer);
      request.log.error({ err: error }, 'request failed');
      return sendOAuthError(reply, new OAuthError('server_error', 'Internal server error', 500));
    });

    // Every route of the plugin checks its account id the same way, before anything else.
    app.addHook('preHandler', async (request) => {
      const { accountId } = request.params as AccountParams;
      if (!ACCOUNT_ID.test(accountId)) throw invalidRequest('the account id must be 1 to 20 digits');
    });

    const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('pragma', 'no-cache');

    const discovery = async (request: FastifyRequest<{ Params: AccountParams }>, reply: FastifyReply) => {
      const { accountId } = request.params;
      if (!(await deps.accountExists(accountId))) return sendOAuthError(reply, new OAuthError('invalid_request', 'No such account', 404));
      const issuer = server.issuer(accountId);
      reply.header('cache-control', 'public, max-age=300');
      return {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        userinfo_endpoint: `${issuer}/userinfo`,
        revocation_endpoint: `${issuer}/revoke`,
        introspection_endpoint: `${issuer}/introspect`,
        end_session_endpoint: `${issuer}/logout`,
        scopes_supported: [...OIDC_SCOPES, ...API_SCOPES],
        response_types_supported: ['code'],
        response_modes_supported: ['query'],
        grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256', 'ES256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
        revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
        introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        code_challenge_methods_supported: ['S256'],
        claims_supported: ['iss', 'sub', 'aud', 'azp', 'iat', 'exp', 'auth_time', 'nonce', 'amr', 'preferred_username', 'name', 'email'],
        authorization_response_iss_parameter_supported: true,
      };
    };
    const hidden = { hide: true };
    app.get<{ Params: AccountParams }>(`${BASE}/.well-known/openid-configuration`, { schema: hidden }, discovery);
    app.get<{ Params: AccountParams }>(`${BASE}/.well-known/oauth-authorization-server`, { schema: hidden }, discovery);

    app.get<{ Params: AccountParams }>(`${BASE}/jwks`, { schema: hidden }, async (request, reply) => {
      if (!(await deps.accountExists(request.params.accountId))) return sendOAuthError(reply, new OAuthError('invalid_request', 'No such account', 404));
      // Short: a rotation must reach resource servers that cache it.
      reply.header('cache-control', 'public, max-age=60').header('content-type', 'application/jwk-set+json');
      return deps.keys.jwks();
    });

    // Client credentials, as the original serves it: grant_type and the client's credentials may come in the query string.
    const appToken = async (request: FastifyRequest, reply: FastifyReply) => {
      const params = paramsOf(request, ['grant_type', 'client_id', 'client_secret', 'scope']);
      const queryUsed = queryOf(request).has('client_secret');
      const grant = params.get('grant_type');
      if (!grant) throw invalidRequest('grant_type is required');
      if (grant !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'This endpoint serves the client_credentials grant only');
      const credentials = credentialsOf(request, params, queryUsed);
      const tokens = await server.clientCredentials(clientContext(request, credentials), params.get('scope'));
      return noStore(reply).send(tokens);
    };
    app.post(`${BASE}/app/token`, { schema: hidden }, appToken);
    app.post('/sentinel/api/v2/account/:accountId/app/token', { schema: hidden }, appToken);

    app.post(`${BASE}/token`, { schema: hidden }, async (request, reply) => {
      const params = paramsOf(request, []);
      const grant = params.get('grant_type');
      if (!grant) throw invalidRequest('grant_type is required');
      const ctx = () => clientContext(request, credentialsOf(request, params, false));
      let tokens;
      switch (grant) {
        case 'authorization_code':
          tokens = await server.authorizationCode(ctx(), { code: params.get('code'), redirect_uri: params.get('redirect_uri'), code_verifier: params.get('code_verifier') });
          break;
        case 'refresh_token':
          tokens = await server.refreshToken(ctx(), { refresh_token: params.get('refresh_token'), scope: params.get('scope') });
          break;
        case 'client_credentials':
          tokens = await server.clientCredentials(ctx(), params.get('scope'));
          break;
        default:
          // The password and implicit grants among them: they hand credentials or tokens where they leak.
          throw new OAuthError('unsupported_grant_type', `The ${grant.slice(0, 64)} grant is not supported`);
      }
      return noStore(reply).send(tokens);
    });

    app.post(`${BASE}/revoke`, { schema: hidden }, async (request, reply) => {
      const params = paramsOf(request, []);
      const token = params.get('token');
      const ctx = clientContext(request, credentialsOf(request, params, false));
      if (!token) {
        // The client is authenticated first, so an unauthenticated caller learns nothing from a 400.
        await server.authenticate(ctx);
        throw invalidRequest('token is required');
      }
      await server.revoke(ctx, token);
      return noStore(reply).code(200).send();
    });

    app.post(`${BASE}/introspect`, { schema: hidden }, async (request, reply) => {
      const params = paramsOf(request, []);
      const credentials = credentialsOf(request, params, false);
      if (credentials?.method === 'none') throw new OAuthError('invalid_client', 'Introspection needs a confidential client', 401);
      await server.authenticateIntrospector(clientContext(request, credentials));
      const token = params.get('token');
      if (!token) throw invalidRequest('token is required');
      const { accountId } = request.params as AccountParams;
      return noStore(reply).send((await server.introspect(accountId, token)) ?? (await deps.introspectSessionBearer(accountId, token)));
    });

    const userinfo = async (request: FastifyRequest, reply: FastifyReply) => {
      const header = request.headers.authorization;
      let token: string | null = null;
      if (header !== undefined) {
        const m = /^Bearer +([\w.~+/-]+=*) *$/i.exec(header);
        if (!m) throw new OAuthError('invalid_request', 'Authorization must be Bearer <access token>', 400, { 'www-authenticate': 'Bearer realm="login-service", error="invalid_request"' });
        token = m[1]!;
      } else if (request.method === 'POST') {
        token = paramsOf(request, []).get('access_token') ?? null;
      }
      return noStore(reply).send(await server.userinfo((request.params as AccountParams).accountId, token));
    };
    app.get(`${BASE}/userinfo`, { schema: hidden }, userinfo);
    app.post(`${BASE}/userinfo`, { schema: hidden }, userinfo);
  };
}
