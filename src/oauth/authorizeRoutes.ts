/**
 * HTTP routes of the browser side of the authorization server:
 * - `GET {base}/authorize`: the authorization request (authorize.ts); a
 *   browser with a live session of the account goes straight back with a
 *   code, any other gets the sign-in page (signInPage.ts);
 * - `POST {base}/authorize`: that page's form, which runs the same login as
 *   the JSON API (LoginFlow: brute-force guard, per-address budget, password
 *   policy and expiry, lockout, events), sets the Session_id cookie as the
 *   JSON login does, and goes back with a code;
 * - `GET {base}/logout`: RP-initiated logout.
 *
 * `{base}` is `/sentinel/api/account/{accountId}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import { DomainError } from '../errors.js';
import { PAGE_HEADERS } from '../http/pages.js';
import { SESSION_COOKIE, accountParamsSchema, clientInfo, sessionCookie, sessionCookieOptions } from '../http/request.js';
import type { LoginFlow } from '../login/flow.js';
import type { SessionCore } from '../sessions/core.js';
import type { AuthorizationEndpoint, AuthorizationRequest, FindClient, OAuthClient, RawQuery } from './authorize.js';
import { formBindingValid, newFormBinding, renderMessagePage, renderSignInPage, signInPageCsp, type SignInOption, type SignInStep } from './signInPage.js';

interface AccountParams {
  accountId: string;
}

interface SignInBody {
  form_token?: unknown;
  username?: unknown;
  password?: unknown;
  /** The second step: a code of the authenticator app, or a recovery code. */
  code?: unknown;
}

export interface AuthorizeRoutesOptions {
  endpoint: AuthorizationEndpoint;
  login: LoginFlow;
  sessions: Pick<SessionCore, 'browserSession' | 'endBrowserSession'>;
  findClient: FindClient;
  clock: { now(): number };
  secureCookie: boolean;
  /**
   * Further ways to sign in shown on the page (e.g. "Sign in with <provider>").
   * `returnTo` is the path and query of this authorization request: visiting
   * it again, once signed in, goes straight back to the client with a code.
   */
  signInOptions?(accountId: string, returnTo: string): Promise<SignInOption[]>;
}

export const OAUTH_BASE = '/sentinel/api/account/:accountId';

/** The messages of the page. A failed sign-in says what the API says: nothing about which part was wrong. */
const MESSAGES = {
  loginFailed: 'Bad authentication: invalid account, user or credentials',
  tooManyAttempts: 'Too many attempts: wait a while before you try again.',
  passwordExpired: 'Your password has expired. Change it (or ask an administrator to reset it), then sign in again.',
  missingFields: 'Enter your username and password.',
  wrongCode: 'That code was not accepted. Try again, or start again.',
  formExpired: 'This sign-in form has expired. Please sign in again.',
  busy: 'The service is busy. Please try again in a moment.',
} as const;

const queryStrings = {
  type: 'object',
  description: 'RFC 6749 §4.1.1, RFC 7636 §4.3, OpenID Connect Core §3.1.2.1',
  properties: {
    v: { description: 'API version: 1.0' },
    response_type: { description: 'code' },
    client_id: { description: 'The installation (AppInstall ID)' },
    redirect_uri: { description: 'One of the installation\'s redirect URIs, exactly; may be omitted when it registered one' },
    state: { description: 'Returned as sent' },
    scope: { description: 'Space-separated; defaults to the installation\'s scope' },
    nonce: { description: 'Copied into the ID token' },
    code_challenge: { description: 'PKCE: BASE64URL(SHA-256(code_verifier))' },
    code_challenge_method: { description: 'S256 (plain is refused)' },
    prompt: { description: 'none or login' },
  },
} as const;

const signInBodySchema = {
  type: 'object',
  description: 'application/x-www-form-urlencoded, as the sign-in page posts it',
  properties: {
    form_token: { description: 'The anti-forgery token of the page' },
    username: { description: 'Login name' },
    password: { description: 'Password' },
    code: { description: 'The second step (after a password whose owner has a second factor): a 6-digit code of the authenticator app, or a recovery code' },
  },
  examples: [{ form_token: 'the form_token of the page', username: 'Agent.Smith', password: 'a long enough passphrase' }],
} as const;

const FORM_COOKIE = 'oauth_sign_in';
/** The pending second step's mfaToken, between the password and the code: never in the page. */
const MFA_COOKIE = 'oauth_mfa';
const SIX_DIGITS = /^\d{6}$/;

export function authorizeRoutes(o: AuthorizeRoutesOptions) {
  const formCookiePath = (accountId: string) => `/sentinel/api/account/${encodeURIComponent(accountId)}/authorize`;

  /** The request's own path and query: where the page posts, and what resumes the request. */
  const requestTarget = (request: FastifyRequest) => request.url;

  function sendPage(reply: FastifyReply, status: number, html: string, csp: string): FastifyReply {
    return reply.code(status).headers(PAGE_HEADERS).header('content-security-policy', csp).type('text/html; charset=utf-8').send(html);
  }

  function refusedPage(reply: FastifyReply, message: string): FastifyReply {
    return sendPage(reply, 400, renderMessagePage('Sign-in request refused', message), signInPageCsp(null));
  }

  async function showSignIn(
    request: FastifyRequest<{ Params: AccountParams }>,
    reply: FastifyReply,
    authz: AuthorizationRequest,
    client: OAuthClient,
    status: number,
    extra: { message?: string; username?: string; step?: SignInStep } = {},
  ): Promise<FastifyReply> {
    const { accountId } = request.params;
    const binding = newFormBinding(authz, o.clock.now());
    reply.setCookie(FORM_COOKIE, binding.cookie, { path: formCookiePath(accountId), httpOnly: true, sameSite: 'strict', secure: o.secureCookie, maxAge: 600 });
    const target = requestTarget(request);
    const html = renderSignInPage({
      applicationName: client.fields.displayName || client.fields.clientName,
      action: target,
      formToken: binding.field,
      step: extra.step ?? { type: 'password' },
      ...(extra.message !== undefined ? { message: extra.message } : {}),
      ...(extra.username !== undefined ? { username: extra.username } : {}),
      options: o.signInOptions ? await o.signInOptions(accountId, target) : [],
    });
    return sendPage(reply, status, html, signInPageCsp(authz.redirectUri));
  }

  const mfaCookieOptions = (accountId: string, expiresAt: number) => ({
    path: formCookiePath(accountId),
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: o.secureCookie,
    maxAge: Math.max(1, Math.floor((expiresAt - o.clock.now()) / 1000)),
  });

  /** Sets the session cookie as the JSON login does and goes back to the client with a code. */
  async function signedIn(reply: FastifyReply, authz: AuthorizationRequest, sessionId: string, client: ReturnType<typeof clientInfo>): Promise<FastifyReply> {
    reply.setCookie(SESSION_COOKIE, sessionId, sessionCookieOptions(o.secureCookie));
    reply.clearCookie(FORM_COOKIE, { path: formCookiePath(authz.accountId) });
    reply.clearCookie(MFA_COOKIE, { path: formCookiePath(authz.accountId) });
    const session = await o.sessions.browserSession(authz.accountId, sessionId);
    if (!session) throw new Error('the session just opened is not live');
    return reply.redirect(await o.endpoint.issueCode(authz, session, client), 303);
  }

  /**
   * The second step, through the same login flow as the JSON API's
   * `{mfaToken, otp | recoveryCode}`: six digits are a code of the app,
   * anything else a recovery code. A wrong code shows the step again (the
   * flow counts it against the user and kills the token after five).
   */
  async function secondStep(
    request: FastifyRequest<{ Params: AccountParams }>,
    reply: FastifyReply,
    authz: AuthorizationRequest,
    oauthClient: OAuthClient,
    mfaToken: string,
    code: unknown,
  ): Promise<FastifyReply> {
    const client = clientInfo(request);
    const challenge = { kind: 'second_factor' as const, token: '', expiresAt: 0, factors: [] };
    const again = (status: number, message: string) => showSignIn(request, reply, authz, oauthClient, status, { message, step: { type: 'challenge', challenge } });
    if (typeof code !== 'string' || code.trim() === '' || code.length > 64) return again(400, MESSAGES.wrongCode);
    const typed = code.trim();
    try {
      const outcome = await o.login.login(authz.accountId, SIX_DIGITS.test(typed) ? { mfaToken, otp: typed } : { mfaToken, recoveryCode: typed }, client);
      if (outcome.type !== 'session') return again(401, MESSAGES.wrongCode);
      return await signedIn(reply, authz, outcome.response.sessionId, client);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.kind === 'tooManyFailures') {
        if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
        return again(429, MESSAGES.tooManyAttempts);
      }
      if (error.kind === 'loginFailed' || error.kind === 'badRequest' || error.kind === 'accountUnknown') return again(401, MESSAGES.wrongCode);
      throw error;
    }
  }

  return async function (app: FastifyInstance): Promise<void> {
    app.get<{ Params: AccountParams; Querystring: RawQuery }>(
      `${OAUTH_BASE}/authorize`,
      {
        schema: {
          summary: 'OAuth 2.0 authorization request (authorization-code grant)',
          description:
            'Unknown client or unregistered redirect_uri: a 400 page here, never a redirect. Other errors redirect back with error, error_description, state and iss (RFC 9207). A browser with a live Session_id of the account goes straight back with code, state and iss; otherwise the sign-in page.',
          tags: ['oauth'],
          params: accountParamsSchema,
          querystring: queryStrings,
          response: {
            200: { description: 'The sign-in page (text/html)' },
            302: { description: 'Back to the redirect URI, with code or error' },
            400: { description: 'The request was refused (text/html): unknown client or unregistered redirect URI' },
          },
        },
      },
      async (request, reply) => {
        const client = clientInfo(request);
        const checked = await o.endpoint.check(request.params.accountId, request.query, client);
        if (checked.type === 'refused') return refusedPage(reply, checked.message);
        if (checked.type === 'redirect') return reply.redirect(checked.location, 302);
        const authz = checked.request;
        const session = authz.prompt === 'login' ? null : await o.sessions.browserSession(authz.accountId, sessionCookie(request));
        if (session) return reply.redirect(await o.endpoint.issueCode(authz, session, client), 302);
        if (authz.prompt === 'none') return reply.redirect(o.endpoint.errorFor(authz, 'login_required', 'nobody is signed in to this account in this browser'), 302);
        return showSignIn(request, reply, authz, checked.client, 200);
      },
    );

    app.post<{ Params: AccountParams; Querystring: RawQuery; Body: SignInBody }>(
      `${OAUTH_BASE}/authorize`,
      {
        schema: {
          summary: 'The sign-in page\'s form',
          description:
            'Posted by the sign-in page to the authorization request\'s own URL. Runs the same login as POST /api/account/{accountId}/login; on success sets the Session_id cookie and answers 303 to the redirect URI with code, state and iss.',
          tags: ['oauth'],
          params: accountParamsSchema,
          querystring: queryStrings,
          body: signInBodySchema,
          response: {
            200: { description: 'The sign-in page again, with what went wrong (text/html)' },
            303: { description: 'Back to the redirect URI, with a code' },
            400: { description: 'Refused (text/html)' },
            401: { description: 'Sign-in failed (text/html)' },
            429: { description: 'Too many attempts (text/html)' },
          },
        },
      },
      async (request, reply) => {
        const client = clientInfo(request);
        const checked = await o.endpoint.check(request.params.accountId, request.query, client);
        if (checked.type === 'refused') return refusedPage(reply, checked.message);
        if (checked.type === 'redirect') return reply.redirect(checked.location, 303);
        const authz = checked.request;
        const body: SignInBody = request.body && typeof request.body === 'object' ? request.body : {};
        if (!formBindingValid(body.form_token, request.cookies[FORM_COOKIE], authz, o.clock.now())) {
          return showSignIn(request, reply, authz, checked.client, 400, { message: MESSAGES.formExpired });
        }
        const mfaToken = request.cookies[MFA_COOKIE];
        if (body.code !== undefined && mfaToken) return secondStep(request, reply, authz, checked.client, mfaToken, body.code);
        const { username, password } = body;
        if (typeof username !== 'string' || typeof password !== 'string' || username === '' || password === '' || username.length > 256 || password.length > 4096) {
          return showSignIn(request, reply, authz, checked.client, 400, { message: MESSAGES.missingFields, ...(typeof username === 'string' ? { username: username.slice(0, 256) } : {}) });
        }

        let outcome;
        try {
          outcome = await o.login.login(authz.accountId, { username, password }, client);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          const failed = (status: number, message: string) => showSignIn(request, reply, authz, checked.client, status, { message, username });
          switch (error.kind) {
            case 'loginFailed':
            case 'accountUnknown':
              return failed(401, MESSAGES.loginFailed);
            case 'passwordExpired':
              return failed(401, MESSAGES.passwordExpired);
            case 'tooManyFailures':
              if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
              return failed(429, MESSAGES.tooManyAttempts);
            case 'overloaded':
              if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
              return failed(503, MESSAGES.busy);
            case 'badRequest':
              return failed(400, MESSAGES.missingFields);
            default:
              throw error;
          }
        }
        if (outcome.type === 'challenge') {
          if (outcome.challenge.kind === 'second_factor') {
            reply.setCookie(MFA_COOKIE, outcome.challenge.token, mfaCookieOptions(authz.accountId, outcome.challenge.expiresAt));
          }
          return showSignIn(request, reply, authz, checked.client, 200, { username, step: { type: 'challenge', challenge: outcome.challenge } });
        }
        return signedIn(reply, authz, outcome.response.sessionId, client);
      },
    );

    // Browsers ask every page's origin for an icon; the sign-in page has none, and a 404 would be logged as an error.
    app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) => reply.code(204).header('cache-control', 'public, max-age=86400').send());

    app.get<{ Params: AccountParams; Querystring: RawQuery }>(
      `${OAUTH_BASE}/logout`,
      {
        schema: {
          summary: 'RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0)',
          description:
            'Ends the session of the browser\'s Session_id cookie and clears the cookie. With client_id (or an id_token_hint whose aud names it) and a post_logout_redirect_uri registered for that client (one of its redirect URIs), redirects there with state; otherwise a "signed out" page.',
          tags: ['oauth'],
          params: accountParamsSchema,
          querystring: {
            type: 'object',
            properties: {
              id_token_hint: { description: 'An ID token issued to the client; its aud names the client when client_id is absent' },
              client_id: { description: 'The installation' },
              post_logout_redirect_uri: { description: 'Followed only when registered for the client' },
              state: { description: 'Returned as sent' },
            },
          },
          response: {
            200: { description: 'The "signed out" page (text/html)' },
            302: { description: 'To the registered post_logout_redirect_uri' },
          },
        },
      },
      async (request, reply) => {
        const { accountId } = request.params;
        await o.sessions.endBrowserSession(accountId, sessionCookie(request), clientInfo(request));
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        const target = await postLogoutTarget(o.findClient, accountId, request.query);
        if (target) return reply.redirect(target, 302);
        return sendPage(reply, 200, renderMessagePage('Signed out', 'You have been signed out. You may close this window.'), signInPageCsp(null));
      },
    );
  };
}

/**
 * Where a logout may send the browser: the `post_logout_redirect_uri` when it
 * is one of the client's registered redirect URIs, with `state`; null
 * otherwise. The client is `client_id`, or the `aud` of `id_token_hint` when
 * no client_id is sent. The hint is only read, not verified: it can name a
 * client but not add an address, since only that client's registered
 * addresses are followed; a hint whose aud contradicts client_id is ignored.
 */
async function postLogoutTarget(findClient: FindClient, accountId: string, query: RawQuery): Promise<string | null> {
  const uri = query.post_logout_redirect_uri;
  if (typeof uri !== 'string' || uri === '') return null;
  let clientId = typeof query.client_id === 'string' && query.client_id !== '' ? query.client_id : null;
  if (typeof query.id_token_hint === 'string' && query.id_token_hint !== '') {
    let aud: unknown;
    try {
      aud = decodeJwt(query.id_token_hint).aud;
    } catch {
      return null;
    }
    const hinted = typeof aud === 'string' ? aud : Array.isArray(aud) && aud.length === 1 ? aud[0] : null;
    if (typeof hinted !== 'string' || (clientId !== null && clientId !== hinted)) return null;
    clientId = hinted;
  }
  if (clientId === null || clientId.length > 256) return null;
  const client = await findClient(accountId, clientId);
  if (!client || !client.fields.enabled || !client.fields.redirectUris.includes(uri)) return null;
  const url = new URL(uri);
  if (typeof query.state === 'string' && query.state !== '') url.searchParams.set('state', query.state);
  return url.href;
}
