/**
 * HTTP routes of the login flow: the login URL (every method) and the
 * self-service password change.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorResponse } from '../http/errorHandling.js';
import { errors } from '../errors.js';
import { SESSION_COOKIE, accountParamsSchema, clientInfo, sessionCookie, sessionCookieOptions, versionQuerySchema } from '../http/request.js';
import type { LoginFlow } from './flow.js';
import type { LoginBody } from './model.js';
import { changeOwnPassword, type PasswordChangeDeps } from './passwordChange.js';

interface AccountParams {
  accountId: string;
}

/** Login bodies may carry a SAML assertion, larger than the other bodies the API takes. */
const LOGIN_BODY_LIMIT = 64 * 1024;

const credential = (description: string, maxLength = 512) => ({ type: 'string', maxLength, description }) as const;
const username = { type: 'string', minLength: 1, maxLength: 256, description: 'Login name' } as const;
const password = credential('User Login: the password', 4096);
const appKey = credential('Application Login: the API key id');
const secret = credential('Application Login');
const accessToken = credential('Application Login');
const accessTokenSecret = credential('Application Login');
const assertion = { type: 'string', minLength: 1, maxLength: LOGIN_BODY_LIMIT, description: 'SSO login: base64 SAML 2.0 assertion, or a response holding one' } as const;
const jwt = { type: 'string', maxLength: 16384, description: "SSO login: alone, an ID token from the account's OpenID Connect provider; beside an assertion, ignored" } as const;
const mfaToken = credential('Second step: the mfaToken of the first step\'s 401 (internalCode 28)', 256);
const otp = credential('Second step: the 6-digit code of the authenticator app', 64);
const recoveryCode = credential('Second step: one of the recovery codes, instead of otp (each works once)', 64);
const passkey = {
  type: 'object',
  required: ['ticket', 'response'],
  additionalProperties: false,
  description: 'Second step by passkey: the ticket of POST mfa/passkey/challenge and the browser\'s WebAuthn answer (JSON)',
  properties: { ticket: { type: 'string', maxLength: 256 }, response: { type: 'object', maxProperties: 16 } },
} as const;

/**
 * The three kinds of login body, for the reference. The alternatives name
 * no required fields: every body the properties let through matches each of
 * them, so `anyOf` documents the shapes without refusing anything at the
 * schema; which fields a login needs is checked by the flow, whose 400s name
 * them (login/flow.ts and the methods' `read`).
 */
const loginBodySchema = {
  type: 'object',
  description:
    'User Login: username + password. Application Login: username + appKey + secret (+ accessToken + accessTokenSecret for OAuth 1.0 keys). SSO login: assertion (+ jwt, ignored), or jwt alone (an OpenID Connect ID token). Second step: mfaToken + otp (or recoveryCode, or passkey).',
  properties: { username, password, appKey, secret, accessToken, accessTokenSecret, assertion, jwt, mfaToken, otp, recoveryCode, passkey },
  // One example per alternative, in the order of anyOf (OpenAPI 3.0 allows no examples inside the alternatives).
  examples: [
    { username: 'Agent.Smith', password: 'correct horse battery staple' },
    { username: 'Reporting.Bot', appKey: '0f3c9a7e2b5d4c18a6e1f0b9d8c7a6e5', secret: 'a2f4…', accessToken: 'b7e1…', accessTokenSecret: 'c9d3…' },
    { assertion: 'PHNhbWxwOlJlc3BvbnNlIHhtbG5zOnNhbWxwPSJ1cm46b2FzaXM6bmFtZXM6dGM6U0FNTDoyLjA6cHJvdG9jb2wiIC4uLj4=', jwt: '' },
    { jwt: 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLmNvbSJ9.c2lnbmF0dXJl' },
    { mfaToken: '3f9c…', otp: '123456' },
  ],
  anyOf: [
    {
      title: 'User Login',
      description: 'Needs username and password.',
      properties: { username, password },
    },
    {
      title: 'Application Login',
      description: 'Needs username, appKey and secret; accessToken and accessTokenSecret too for OAuth 1.0 keys.',
      properties: { username, appKey, secret, accessToken, accessTokenSecret },
    },
    {
      title: 'SSO login',
      description: 'Needs assertion; jwt is ignored.',
      properties: { assertion, jwt },
    },
    {
      title: 'OpenID Connect login',
      description: "Needs jwt: an ID token from the account's OpenID Connect provider, used once.",
      properties: { jwt },
    },
    {
      title: 'Second step',
      description: 'After a 401 with internalCode 28: needs mfaToken and otp, recoveryCode or passkey.',
      properties: { mfaToken, otp, recoveryCode, passkey },
    },
  ],
} as const;

const loginResponseSchema = {
  type: 'object',
  properties: {
    csrf: { type: 'string', description: '64 hex characters; send it to refresh and logout' },
    wsuk: { type: 'string' },
    config: {
      type: 'object',
      properties: {
        loginName: { type: 'string' },
        userId: { type: 'string' },
        userPid: { type: 'string' },
        userPrivileges: { type: 'array', items: { type: 'integer' } },
        serverCurrentTime: { type: 'integer', description: 'ms since the epoch' },
        timeDiff: { type: 'integer', description: 'account zone offset minus server zone offset, ms' },
        serverTimeZoneName: { type: 'string' },
        serverTimeGMTDiff: { type: 'integer', description: 'server zone offset from UTC now, ms' },
        isLPA: { type: 'boolean' },
        isAdmin: { type: 'boolean' },
        accountTimeZoneId: { type: 'string' },
      },
    },
    csdsCollectionResponse: {
      type: 'object',
      properties: {
        baseURIs: {
          type: 'array',
          items: { type: 'object', properties: { account: { type: 'string' }, baseURI: { type: 'string' }, service: { type: 'string' } } },
        },
      },
    },
    accountData: {
      type: 'object',
      properties: {
        agentGroupsData: {
          type: 'object',
          properties: {
            items: {
              type: 'array',
              items: { type: 'object', properties: { id: { type: 'integer' }, deleted: { type: 'boolean' }, name: { type: 'string' } } },
            },
            revision: { type: 'integer' },
          },
        },
      },
    },
    sessionTTl: { type: 'string', description: 'Idle session lifetime, ms' },
    bearer: { type: 'string', description: '64 hex characters, for Authorization: Bearer' },
    sessionId: { type: 'string', description: 'Same value as the Session_id cookie' },
  },
} as const;

interface PasswordChangeBody {
  csrf?: string;
  oldPassword: string;
  newPassword: string;
}

const passwordChangeBodySchema = {
  type: 'object',
  required: ['oldPassword', 'newPassword'],
  properties: {
    csrf: { type: 'string', maxLength: 256, description: 'The csrf value of the login response (or send it as X-CSRF-Token)' },
    oldPassword: { type: 'string', maxLength: 4096, description: 'The current password' },
    newPassword: { type: 'string', maxLength: 4096, description: "The new password; must meet the account's password policy" },
  },
} as const;

const failures = { 400: errorResponse, 401: errorResponse, 429: errorResponse };

export function loginRoutes(flow: LoginFlow, passwordChange: PasswordChangeDeps, options: { secureCookie: boolean }) {
  const cookieOptions = sessionCookieOptions(options.secureCookie);

  return async function (app: FastifyInstance): Promise<void> {
    app.post<{ Params: AccountParams; Body: LoginBody }>(
      '/api/account/:accountId/login',
      {
        bodyLimit: LOGIN_BODY_LIMIT,
        schema: {
          summary: 'User Login, Application Login and SSO login',
          tags: ['sessions'],
          params: accountParamsSchema,
          querystring: versionQuerySchema,
          body: loginBodySchema,
          response: { 200: loginResponseSchema, ...failures },
        },
      },
      async (request, reply: FastifyReply) => {
        const outcome = await flow.login(request.params.accountId, request.body, clientInfo(request));
        if (outcome.type === 'challenge') {
          const { challenge } = outcome;
          throw challenge.kind === 'second_factor' ? errors.secondFactorRequired(challenge.token, challenge.factors) : errors.secondFactorEnrolmentRequired(challenge.token);
        }
        reply.setCookie(SESSION_COOKIE, outcome.response.sessionId, cookieOptions);
        return outcome.response;
      },
    );

    app.post<{ Params: AccountParams; Body: PasswordChangeBody; Headers: { 'x-csrf-token'?: string } }>(
      '/api/account/:accountId/password',
      {
        schema: {
          summary: "Change one's own password (ends the user's other sessions)",
          tags: ['sessions'],
          params: accountParamsSchema,
          querystring: versionQuerySchema,
          headers: { type: 'object', properties: { 'x-csrf-token': { type: 'string', maxLength: 256 } } },
          body: passwordChangeBodySchema,
          response: {
            200: { type: 'null', description: 'Empty body; this session lives on, the others have ended' },
            400: errorResponse,
            401: errorResponse,
            429: errorResponse,
          },
        },
      },
      async (request, reply) => {
        const csrf = request.body.csrf ?? request.headers['x-csrf-token'];
        if (csrf === undefined) throw errors.badRequest('Bad request: csrf is required, in the body or the X-CSRF-Token header');
        await changeOwnPassword(
          passwordChange,
          request.params.accountId,
          { sessionId: sessionCookie(request), csrf, oldPassword: request.body.oldPassword, newPassword: request.body.newPassword },
          clientInfo(request),
        );
        return reply.code(200).send();
      },
    );
  };
}
