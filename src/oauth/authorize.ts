/**
 * The OAuth 2.0 authorization endpoint (RFC 6749 §4.1, with PKCE, RFC 7636,
 * and the `iss` response parameter, RFC 9207): checks an authorization
 * request and answers it with a code once the person is known.
 *
 * Who may be sent where is decided before anything else: a request whose
 * `client_id` names no enabled installation, or whose `redirect_uri` is not
 * one the installation registered (compared exactly), is refused on a page of
 * this service and never redirected, so the endpoint cannot serve as an open
 * redirect. Every later error goes back to the (registered) redirect URI with
 * `error`, `error_description`, `state` and `iss`.
 *
 * The request is read from the query alone, each time it arrives (the GET
 * that shows the sign-in page and the POST of that page): nothing a browser
 * posts decides where the code goes.
 */
import { accountSettings } from '../accounts/model.js';
import type { Clock } from '../clock.js';
import type { AuditLog } from '../events/audit.js';
import type { SessionRecord } from '../sessions/model.js';
import type { Stores } from '../store/index.js';
import { installationLive, installationOf } from './clients.js';
import { newAuthorizationCode } from './grants.js';
import { OIDC_SCOPES, parseScope } from './scopes.js';
import type { ApiKey } from '../directory/model.js';
import type { InstallationFields, OAuthGrantStore } from './model.js';

/** An installation as the authorization endpoint sees it. */
export interface OAuthClient {
  clientId: string;
  fields: InstallationFields;
}

/** Finds the enabled installation a client id names on an account. */
export type FindClient = (accountId: string, clientId: string) => Promise<OAuthClient | null>;

/**
 * Installations are API keys of type `oauth2` (directory/model.ts): a key
 * made by `apikey create --type oauth2` has no OAuth view stored and is seen
 * as `defaultInstallation` (client credentials only). Revoked (deleted) and
 * disabled ones are not found.
 */
export function installationFinder(stores: { apiKeys: { getApiKey(accountId: string, appKey: string): Promise<ApiKey | null> } }): FindClient {
  return async (accountId, clientId) => {
    const key = await stores.apiKeys.getApiKey(accountId, clientId);
    const installation = key ? installationOf(key) : null;
    return installationLive(installation) ? { clientId: installation.clientId, fields: installation } : null;
  };
}

/** A checked authorization request: what the code will be bound to. */
export interface AuthorizationRequest {
  accountId: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string | null;
  nonce: string | null;
  codeChallenge: string | null;
  /** `none`: answer at once, with `login_required` when nobody is signed in; `login`: ask for the password again. */
  prompt: 'none' | 'login' | null;
}

export type AuthorizationCheck =
  /** Refused on a page of this service (no trustworthy redirect URI): 400. */
  | { type: 'refused'; message: string }
  /** Refused back to the client. */
  | { type: 'redirect'; location: string }
  | { type: 'valid'; request: AuthorizationRequest; client: OAuthClient };

/** The person a code is issued for: a live session's user, and when and how they authenticated. */
export type Authenticated = Pick<SessionRecord, 'userId' | 'loginName' | 'createdAt' | 'amr'>;

/** The response types of the original's implicit and hybrid flows, refused with a reason. */
const IMPLICIT_RESPONSE_TYPES = new Set(['token', 'id_token', 'id_token token', 'code token', 'code id_token', 'code id_token token']);

/** RFC 7636 §4.2: BASE64URL(SHA-256(verifier)) is 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const MAX_STATE = 2048;
const MAX_NONCE = 512;
const MAX_CLIENT_ID = 256;
const MAX_REDIRECT_URI = 2048;

/** The query as Fastify parses it: a repeated parameter is an array. */
export type RawQuery = Record<string, unknown>;

export interface AuthorizationEndpointOptions {
  stores: Pick<Stores, 'accounts'>;
  codes: Pick<OAuthGrantStore, 'saveCode'>;
  findClient: FindClient;
  clock: Clock;
  audit: AuditLog;
  /** The issuer of an account, `{public origin}/sentinel/api/account/{accountId}` (the `iss` of every answer). */
  issuer(accountId: string): string;
}

export class AuthorizationEndpoint {
  constructor(private readonly o: AuthorizationEndpointOptions) {}

  /** Checks a request, in RFC 6749 §4.1.2.1's order: client and redirect URI first, on a page; the rest back to the client. */
  async check(accountId: string, query: RawQuery, client: { ip: string | null; userAgent: string | null }): Promise<AuthorizationCheck> {
    const clientId = single(query, 'client_id');
    if (typeof clientId !== 'string' || clientId === '' || clientId.length > MAX_CLIENT_ID) {
      return this.refuse(accountId, null, 'missing_client', 'The request names no valid client_id.', client);
    }
    const installation = (await this.o.stores.accounts.getAccount(accountId)) ? await this.o.findClient(accountId, clientId) : null;
    if (!installation || !installation.fields.enabled) {
      return this.refuse(accountId, clientId, 'unknown_client', 'The application asking to sign you in is not known to this service.', client);
    }
    const redirectUri = registeredRedirectUri(installation, single(query, 'redirect_uri'));
    if (redirectUri === null) {
      return this.refuse(accountId, clientId, 'redirect_uri_not_registered', 'The address the application asked to return to is not one it registered.', client);
    }

    // From here on, errors go back to the client.
    const state = single(query, 'state');
    const back = (error: string, description: string): AuthorizationCheck => ({
      type: 'redirect',
      location: this.errorLocation(accountId, redirectUri, typeof state === 'string' ? state : null, error, description),
    });
    for (const name of ['response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'nonce', 'code_challenge', 'code_challenge_method', 'prompt']) {
      if (Array.isArray(query[name])) return back('invalid_request', `${name} was sent more than once`);
    }
    if (typeof state === 'string' && state.length > MAX_STATE) return back('invalid_request', `state is longer than ${MAX_STATE} characters`);

    const responseType = single(query, 'response_type');
    if (responseType === undefined || responseType === '') return back('invalid_request', 'response_type is required (code)');
    if (responseType !== 'code') {
      const why = IMPLICIT_RESPONSE_TYPES.has(String(responseType))
        ? 'the implicit and hybrid flows are not offered (they put tokens in the browser\'s history); use response_type=code with PKCE'
        : 'only response_type=code is supported';
      return back('unsupported_response_type', why);
    }
    if (!installation.fields.grantTypes.includes('authorization_code')) {
      return back('unauthorized_client', 'this application may not use the authorization-code grant');
    }

    const nonce = single(query, 'nonce');
    if (typeof nonce === 'string' && nonce.length > MAX_NONCE) return back('invalid_request', `nonce is longer than ${MAX_NONCE} characters`);
    const prompts = typeof query.prompt === 'string' ? query.prompt.split(' ').filter(Boolean) : [];
    // OpenID Connect Core §3.1.2.1: `none` stands alone; `consent` and `select_account` have nothing to ask here.
    if (prompts.includes('none') && prompts.length > 1) return back('invalid_request', 'prompt=none cannot be combined with other values');
    const prompt: AuthorizationRequest['prompt'] = prompts.includes('none') ? 'none' : prompts.includes('login') ? 'login' : null;

    const pkce = await this.checkPkce(accountId, installation, single(query, 'code_challenge'), single(query, 'code_challenge_method'));
    if (typeof pkce !== 'object') return back('invalid_request', pkce);

    const scope = grantedScope(installation, single(query, 'scope'));
    if (scope === null) return back('invalid_scope', 'the scope asks for more than this application may have');

    return {
      type: 'valid',
      client: installation,
      request: {
        accountId,
        clientId,
        redirectUri,
        scope,
        state: typeof state === 'string' ? state : null,
        nonce: typeof nonce === 'string' && nonce !== '' ? nonce : null,
        codeChallenge: pkce.challenge,
        prompt,
      },
    };
  }

  /** Issues a code for a person and gives the address that hands it to the client. */
  async issueCode(request: AuthorizationRequest, person: Authenticated, client: { ip: string | null; userAgent: string | null }): Promise<string> {
    const now = this.o.clock.now();
    const { code, stored } = newAuthorizationCode(
      {
        accountId: request.accountId,
        clientId: request.clientId,
        userId: person.userId,
        redirectUri: request.redirectUri,
        scope: request.scope,
        nonce: request.nonce,
        codeChallenge: request.codeChallenge,
        authTime: person.createdAt,
        amr: [...person.amr],
      },
      now,
    );
    await this.o.codes.saveCode(stored);
    await this.o.audit.record({
      accountId: request.accountId,
      type: 'oauth_code_issued',
      userId: person.userId,
      loginName: person.loginName,
      clientIp: client.ip,
      userAgent: client.userAgent,
      detail: { clientId: request.clientId, scope: request.scope },
    });
    return this.location(request.accountId, request.redirectUri, { code, state: request.state });
  }

  /** An error answer to a checked request (`login_required` for prompt=none, `access_denied`). */
  errorFor(request: AuthorizationRequest, error: string, description: string): string {
    return this.errorLocation(request.accountId, request.redirectUri, request.state, error, description);
  }

  private errorLocation(accountId: string, redirectUri: string, state: string | null, error: string, description: string): string {
    return this.location(accountId, redirectUri, { error, error_description: description, state });
  }

  /** The redirect URI with the answer added to its query (whatever query it registered stays). */
  private location(accountId: string, redirectUri: string, params: Record<string, string | null>): string {
    const url = new URL(redirectUri);
    for (const [name, value] of Object.entries(params)) if (value !== null) url.searchParams.set(name, value);
    url.searchParams.set('iss', this.o.issuer(accountId));
    return url.href;
  }

  /**
   * PKCE: S256 only. Required of public clients and, when the account's
   * `requirePkce` setting is on, of every client; checked whenever sent.
   * Gives the challenge (or null), or the reason for `invalid_request`.
   */
  private async checkPkce(accountId: string, installation: OAuthClient, challenge: unknown, method: unknown): Promise<{ challenge: string | null } | string> {
    if (challenge === undefined || challenge === '') {
      if (method !== undefined) return 'code_challenge_method was sent without code_challenge';
      if (installation.fields.tokenEndpointAuthMethod === 'none') return 'PKCE is required of public clients: send code_challenge with code_challenge_method=S256';
      if (await this.accountRequiresPkce(accountId)) return 'this account requires PKCE: send code_challenge with code_challenge_method=S256';
      return { challenge: null };
    }
    // RFC 7636 §4.3: a challenge without a method is `plain`, which is refused like an explicit one.
    if (method !== 'S256') return 'code_challenge_method must be S256 (plain is not accepted)';
    if (typeof challenge !== 'string' || !S256_CHALLENGE.test(challenge)) return 'code_challenge must be 43 base64url characters (BASE64URL(SHA-256(code_verifier)))';
    return { challenge };
  }

  /** The account setting `oauthRequirePkce`: PKCE of every client. */
  private async accountRequiresPkce(accountId: string): Promise<boolean> {
    const account = await this.o.stores.accounts.getAccount(accountId);
    return account !== null && accountSettings(account).oauthRequirePkce;
  }

  private async refuse(accountId: string, clientId: string | null, reason: string, message: string, client: { ip: string | null; userAgent: string | null }): Promise<AuthorizationCheck> {
    // A client can repeat these at full speed: one event per address, reason and minute.
    const accountKnown = (await this.o.stores.accounts.getAccount(accountId)) !== null;
    await this.o.audit.recordPerMinute({
      accountId,
      accountKnown,
      type: 'oauth_authorize_refused',
      clientIp: client.ip,
      userAgent: client.userAgent,
      groupBy: reason,
      detail: { reason, ...(clientId !== null && accountKnown ? { clientId } : {}) },
    });
    return { type: 'refused', message };
  }
}

/** A parameter's value: a string, an array when repeated, undefined when absent. */
function single(query: RawQuery, name: string): unknown {
  return query[name];
}

/** The redirect URI the request may use: one the installation registered, compared exactly; the only one when none is sent. */
function registeredRedirectUri(client: OAuthClient, sent: unknown): string | null {
  const registered = client.fields.redirectUris;
  if (sent === undefined) return registered.length === 1 ? registered[0]! : null;
  if (typeof sent !== 'string' || sent.length > MAX_REDIRECT_URI) return null;
  return registered.includes(sent) ? sent : null;
}

/**
 * The scope granted: what was asked for when every token is allowed (the
 * installation's own scopes, and the OpenID Connect ones); the installation's
 * scope when nothing was asked for. Null when something is not allowed.
 */
function grantedScope(client: OAuthClient, asked: unknown): string | null {
  const own = parseScope(client.fields.scope) ?? [];
  if (asked === undefined || asked === '') return own.join(' ');
  const tokens = typeof asked === 'string' ? parseScope(asked) : null;
  if (!tokens || tokens.length === 0) return null;
  const allowed = new Set([...own, ...OIDC_SCOPES]);
  return tokens.every((t) => allowed.has(t)) ? tokens.join(' ') : null;
}
