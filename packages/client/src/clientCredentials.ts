/**
 * The OAuth 2.0 client-credentials grant (RFC 6749 §4.4) for a server-to-server
 * application installed on an account: gets an access token, keeps it, and
 * gets the next one shortly before it expires. Callers that ask at the same
 * time share one request.
 */
import type { FetchLike } from './client.js';
import { networkError } from './errors.js';

export interface ClientCredentialsOptions {
  /** The token endpoint. Or give `serviceUrl` and `accountId`: `{serviceUrl}/sentinel/api/account/{accountId}/app/token?v=1.0`. */
  tokenUrl?: string;
  serviceUrl?: string;
  accountId?: string;
  clientId: string;
  clientSecret: string;
  /** Scopes to ask for (a subset of the installation's); default: what the server grants. */
  scope?: string | string[];
  /** `basic` (HTTP Basic, the default: `client_secret_basic`) or `post` (in the form body: `client_secret_post`). */
  authMethod?: 'basic' | 'post';
  /** A token is renewed this long before its expiry (at most half its lifetime before). Default 60000. */
  renewBeforeMs?: number;
  fetch?: FetchLike;
  /** Clock of the expiry (ms since the epoch); tests move it. */
  now?: () => number;
  /** A token request with no answer after this long fails. Default 10 seconds. */
  requestTimeoutMs?: number;
}

/** The token endpoint's answer, as kept. */
export interface ClientCredentialsToken {
  accessToken: string;
  tokenType: string;
  /** Expiry, ms since the epoch (from `expires_in`). */
  expiresAt: number;
  /** The granted scope, as the server answered it (or as asked when it did not say). */
  scope: string;
}

export interface ClientCredentials {
  /** A valid access token: the kept one, or a new one when it is missing or near its expiry. */
  getToken(): Promise<string>;
  /** The same, with its expiry and scope. */
  getTokenInfo(): Promise<ClientCredentialsToken>;
  /** Forgets the kept token (e.g. after a resource server refused it), so the next call gets a new one. */
  invalidate(): void;
}

/**
 * The token endpoint refused: RFC 6749 §5.2 (`invalid_client`, `invalid_scope`, `unauthorized_client`, …).
 * `status` is the HTTP status; `error` the RFC's code (`server_error` when the answer had none).
 */
export class OAuthError extends Error {
  readonly error: string;
  readonly errorDescription: string | null;
  readonly errorUri: string | null;
  readonly status: number;

  constructor(init: { error: string; errorDescription?: string | null; errorUri?: string | null; status: number }) {
    super(`token request failed: ${init.error}${init.errorDescription ? ` (${init.errorDescription})` : ''}`);
    this.name = 'OAuthError';
    this.error = init.error;
    this.errorDescription = init.errorDescription ?? null;
    this.errorUri = init.errorUri ?? null;
    this.status = init.status;
  }
}

/** RFC 6749 §2.3.1: the id and secret are form-encoded before they are joined for Basic. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function clientCredentials(options: ClientCredentialsOptions): ClientCredentials {
  let tokenUrl: string;
  if (options.tokenUrl) tokenUrl = options.tokenUrl;
  else if (options.serviceUrl && options.accountId) {
    tokenUrl = `${options.serviceUrl.replace(/\/+$/, '')}/sentinel/api/account/${encodeURIComponent(options.accountId)}/app/token?v=1.0`;
  } else throw new TypeError('clientCredentials needs `tokenUrl`, or `serviceUrl` and `accountId`');
  if (!options.clientId || !options.clientSecret) throw new TypeError('clientCredentials needs `clientId` and `clientSecret`');
  const authMethod = options.authMethod ?? 'basic';
  if (authMethod !== 'basic' && authMethod !== 'post') throw new TypeError(`clientCredentials: authMethod must be 'basic' or 'post'`);
  const scope = Array.isArray(options.scope) ? options.scope.join(' ') : options.scope;
  const renewBeforeMs = options.renewBeforeMs ?? 60_000;
  const fetchFn: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const now = options.now ?? Date.now;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;

  let kept: { token: ClientCredentialsToken; renewAt: number } | null = null;
  let pending: Promise<ClientCredentialsToken> | null = null;
  // Bumped by invalidate(), so a request already under way does not keep a token it was told to forget.
  let generation = 0;

  async function request(): Promise<ClientCredentialsToken> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) form.set('scope', scope);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (authMethod === 'basic') headers.authorization = `Basic ${base64(`${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`)}`;
    else {
      form.set('client_id', options.clientId);
      form.set('client_secret', options.clientSecret);
    }
    const askedAt = now();
    let response: Response;
    try {
      response = await fetchFn(tokenUrl, { method: 'POST', headers, body: form.toString(), signal: AbortSignal.timeout(requestTimeoutMs) });
    } catch (cause) {
      throw networkError('token request', cause);
    }
    let body: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = await response.json();
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      // Not JSON (e.g. a proxy's page): judged by the status below.
    }
    if (!response.ok || !body || typeof body.access_token !== 'string') {
      const error = typeof body?.error === 'string' ? body.error : response.ok ? 'invalid_response' : 'server_error';
      const description = typeof body?.error_description === 'string' ? body.error_description : response.ok ? 'the answer has no access_token' : `HTTP ${response.status}`;
      throw new OAuthError({ error, errorDescription: description, errorUri: typeof body?.error_uri === 'string' ? body.error_uri : null, status: response.status });
    }
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 0;
    return {
      accessToken: body.access_token,
      tokenType: typeof body.token_type === 'string' ? body.token_type : 'Bearer',
      // From the moment of asking: the server's clock started the lifetime no later than that.
      expiresAt: askedAt + expiresIn * 1000,
      scope: typeof body.scope === 'string' ? body.scope : scope ?? '',
    };
  }

  function getTokenInfo(): Promise<ClientCredentialsToken> {
    if (kept && now() < kept.renewAt) return Promise.resolve(kept.token);
    if (pending) return pending;
    const started = generation;
    pending = request()
      .then((token) => {
        if (started === generation) {
          const lifetime = token.expiresAt - now();
          kept = { token, renewAt: token.expiresAt - Math.min(renewBeforeMs, lifetime / 2) };
        }
        return token;
      })
      .finally(() => {
        if (started === generation) pending = null;
      });
    return pending;
  }

  return {
    getTokenInfo,
    async getToken(): Promise<string> {
      return (await getTokenInfo()).accessToken;
    },
    invalidate(): void {
      generation++;
      kept = null;
      pending = null;
    },
  };
}
