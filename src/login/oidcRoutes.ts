/**
 * The OpenID Connect browser flow's routes (sso/browser.ts does the work):
 *
 * - `GET /sso/oidc/:accountId/options`: public; what a sign-in page offers
 *   for the account (`Sign in with <display name>` and where to start), or
 *   null. Tells nothing else: an unknown account and an account without a
 *   provider answer alike.
 * - `GET /sso/oidc/:accountId/start?return_to=/path`: seals the pending
 *   sign-in into a cookie and sends the browser to the provider.
 * - `GET /sso/oidc/:accountId/callback`: the provider sends the browser back
 *   here; the code is exchanged, the ID token logged in through the login
 *   flow (the JSON path's checks, audit and limits), the `Session_id` cookie
 *   set, and the browser sent on to `return_to`. A console `return_to` also
 *   gets a sealed hand-off of the session's tokens, which
 * - `POST /sso/oidc/handoff` gives the console once: it holds its csrf and
 *   bearer in memory only (console/src/session.ts), and a redirect cannot
 *   carry them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../errors.js';
import { errorResponse } from '../http/errorHandling.js';
import { SESSION_COOKIE, accountParamsSchema, clientInfo } from '../http/request.js';
import { CallbackRefused, HANDOFF_TTL_MS, PENDING_TTL_MS, type OidcBrowserFlow } from '../sso/browser.js';
import { oidcCallbackPath, oidcSignInOption, oidcStartPath, sameOriginPath, type OidcConfig } from '../sso/model.js';
import type { Stores } from '../store/index.js';
import type { LoginFlow } from './flow.js';
import type { AttemptRunner } from './runner.js';

const PENDING_COOKIE = 'oidc_pending';
const HANDOFF_COOKIE = 'oidc_handoff';
const COOKIE_PATH = '/sso/oidc/';
const DEFAULT_RETURN_TO = '/console/';

interface AccountParams {
  accountId: string;
}

const optionsResponse = {
  type: 'object',
  properties: {
    oidc: {
      type: ['object', 'null'],
      properties: {
        label: { type: 'string', description: 'Sign in with <display name>' },
        startUrl: { type: 'string', description: 'The flow\'s start; add ?return_to=<same-origin path>' },
      },
    },
  },
} as const;

const handoffResponse = {
  type: 'object',
  properties: {
    session: {
      type: ['object', 'null'],
      properties: {
        accountId: { type: 'string' },
        sessionId: { type: 'string' },
        csrf: { type: 'string' },
        bearer: { type: 'string' },
        loginName: { type: 'string' },
        isAdmin: { type: 'boolean' },
      },
    },
  },
} as const;

export interface OidcRouteDeps {
  flow: LoginFlow;
  runner: AttemptRunner;
  browser: OidcBrowserFlow;
  stores: Stores;
}

export function oidcRoutes(deps: OidcRouteDeps, options: { secureCookie: boolean }) {
  const { flow, runner, browser, stores } = deps;
  const secure = options.secureCookie;

  async function configOf(accountId: string): Promise<OidcConfig | null> {
    return (await stores.accounts.getAccount(accountId))?.settings.oidc ?? null;
  }

  /** A refused callback: counted against the address and audited like any refused login, then the same 401. */
  function refuse(request: FastifyRequest, accountId: string, reason: string): Promise<never> {
    return runner.run(accountId, clientInfo(request), 'sso', async (attempt) => {
      await attempt.knownAccount();
      return attempt.fail(reason, null, null, null);
    });
  }

  const origin = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

  return async function (app: FastifyInstance): Promise<void> {
    app.get<{ Params: AccountParams }>(
      '/sso/oidc/:accountId/options',
      {
        schema: {
          summary: "What a sign-in page offers for the account's OpenID Connect provider (null: nothing)",
          description: 'Public. `{"oidc": {"label": "Sign in with …", "startUrl": …}}`, or `{"oidc": null}` both for an account without a provider and for an unknown account: it reveals nothing else (docs/SSO.md).',
          tags: ['sessions'],
          params: accountParamsSchema,
          response: { 200: optionsResponse, 400: errorResponse },
        },
      },
      async (request) => {
        const oidc = await configOf(request.params.accountId);
        const option = oidc ? oidcSignInOption(request.params.accountId, { oidc }) : null;
        return { oidc: option ? { label: option.label, startUrl: oidcStartPath(request.params.accountId) } : null };
      },
    );

    app.get<{ Params: AccountParams; Querystring: { return_to?: string } }>(
      '/sso/oidc/:accountId/start',
      {
        schema: {
          summary: "Start signing in with the account's OpenID Connect provider (a browser redirect)",
          description:
            'Redirects to the provider (authorization code, PKCE S256, state, nonce) and sets the sealed, single-use `oidc_pending` cookie. `return_to` must be a path on this server (one leading `/`, no backslash, no control character); otherwise 400. 404 when the account has no provider; 503 when its discovery document cannot be fetched.',
          tags: ['sessions'],
          params: accountParamsSchema,
          querystring: {
            type: 'object',
            properties: { return_to: { type: 'string', maxLength: 2048, description: 'Where to go once signed in: a path on this server (default /console/)' } },
          },
          response: { 302: { type: 'null', description: 'To the provider' }, 400: errorResponse, 404: errorResponse, 503: errorResponse },
        },
      },
      async (request, reply: FastifyReply) => {
        const { accountId } = request.params;
        const returnTo = request.query.return_to === undefined ? DEFAULT_RETURN_TO : sameOriginPath(request.query.return_to);
        if (returnTo === null) throw errors.badRequest('Bad request: return_to must be a path on this server (/…, not //… or a URL)');
        const oidc = await configOf(accountId);
        if (!oidc) throw errors.notFound('Not found: this account has no OpenID Connect sign-in');
        let started: Awaited<ReturnType<OidcBrowserFlow['start']>>;
        try {
          started = await browser.start(accountId, oidc, `${origin(request)}${oidcCallbackPath(accountId)}`, returnTo);
        } catch (error) {
          request.log.warn({ err: error, accountId }, 'OpenID Connect provider unavailable');
          throw errors.overloaded('Service unavailable: the identity provider cannot be reached; try again later', 30);
        }
        reply.setCookie(PENDING_COOKIE, started.pending, { path: COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure, maxAge: PENDING_TTL_MS / 1000 });
        return reply.redirect(started.authorizationUrl, 302);
      },
    );

    app.get<{ Params: AccountParams }>(
      '/sso/oidc/:accountId/callback',
      {
        schema: {
          summary: 'Where the OpenID Connect provider sends the browser back (register this URL at the provider)',
          description:
            'Checks the callback against the pending sign-in, exchanges the code, logs the ID token in like `{"jwt": …}` on the login URL, sets `Session_id` and answers 303 to `return_to`. Every refusal is the 401 of a failed login, audited with its reason and counted against the address.',
          tags: ['sessions'],
          params: accountParamsSchema,
          response: { 303: { type: 'null', description: 'Signed in: on to return_to' }, 400: errorResponse, 401: errorResponse, 429: errorResponse },
        },
      },
      async (request, reply: FastifyReply) => {
        const { accountId } = request.params;
        reply.clearCookie(PENDING_COOKIE, { path: COOKIE_PATH });
        const oidc = await configOf(accountId);
        if (!oidc) return refuse(request, accountId, 'oidc_not_configured');
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
        let finished: { idToken: string; returnTo: string };
        try {
          finished = await browser.finish(accountId, oidc, request.cookies[PENDING_COOKIE], query);
        } catch (error) {
          if (error instanceof CallbackRefused) return refuse(request, accountId, error.reason);
          throw error;
        }
        const outcome = await flow.login(accountId, { jwt: finished.idToken }, clientInfo(request));
        if (outcome.type === 'challenge') throw errors.loginFailed();
        const { response } = outcome;
        reply.setCookie(SESSION_COOKIE, response.sessionId, { path: '/', httpOnly: true, sameSite: 'lax', secure });
        if (finished.returnTo === '/console' || finished.returnTo.startsWith('/console/')) {
          const handoff = await browser.sealHandoff({
            accountId,
            sessionId: response.sessionId,
            csrf: response.csrf,
            bearer: response.bearer,
            loginName: response.config.loginName,
            isAdmin: response.config.isAdmin,
          });
          reply.setCookie(HANDOFF_COOKIE, handoff, { path: COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure, maxAge: HANDOFF_TTL_MS / 1000 });
        }
        return reply.redirect(finished.returnTo, 303);
      },
    );

    app.post(
      '/sso/oidc/handoff',
      {
        schema: {
          summary: 'The console collects, once, the session a browser sign-in just opened (null: none waiting)',
          description: 'Reads and clears the sealed `oidc_handoff` cookie the callback set for a console `return_to` (valid 60 s, used once): `{"session": {accountId, sessionId, csrf, bearer, loginName, isAdmin}}`, or `{"session": null}`.',
          tags: ['sessions'],
          response: { 200: handoffResponse, 403: errorResponse },
        },
      },
      async (request, reply) => {
        const sealed = request.cookies[HANDOFF_COOKIE];
        if (sealed === undefined) return { session: null };
        reply.clearCookie(HANDOFF_COOKIE, { path: COOKIE_PATH });
        return { session: await browser.openHandoff(sealed) };
      },
    );
  };
}
