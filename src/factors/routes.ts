/**
 * A person's own second factors (base `/api/account/{accountId}`, `v=1.0`):
 * status, TOTP enrolment and removal, recovery codes. Authenticated by the
 * person's own bearer, or, for enrolment only, by the `enrollToken` of a
 * login that required one (in the body).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { accountSettings } from '../accounts/model.js';
import type { User } from '../directory/model.js';
import { DomainError, errors } from '../errors.js';
import { BEARER_SECURITY, forbidden, type Auth } from '../http/auth.js';
import { errorResponse } from '../http/errorHandling.js';
import { accountParamsSchema } from '../http/request.js';
import type { Stores } from '../store/index.js';
import type { Passkeys, RelyingParty } from './passkeys.js';
import type { SecondFactors } from './service.js';

interface AccountParams {
  accountId: string;
}

interface EnrolBody {
  enrollToken?: string;
  otp?: string;
}

const versionQuery = {
  type: 'object',
  properties: { v: { type: 'string', enum: ['1.0'], description: 'API version: 1.0' } },
} as const;

const otp = { type: 'string', minLength: 1, maxLength: 64, description: 'A current 6-digit code of the authenticator app' } as const;
const enrollToken = { type: 'string', minLength: 1, maxLength: 256, description: "The enrollToken of a login's 401 (internalCode 29), instead of a bearer" } as const;
const recoveryCodes = { type: 'object', properties: { recoveryCodes: { type: 'array', items: { type: 'string' }, description: 'Ten single-use codes, shown once' } } } as const;
const failures = { 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse, 409: errorResponse };

const bearerOnly = (request: FastifyRequest) => {
  if ((request.body as EnrolBody | undefined)?.enrollToken !== undefined) throw errors.badRequest('Bad request: this needs the bearer of a session, not an enrollToken');
};

/** The relying party of a WebAuthn ceremony: the host the browser talks to. */
const relyingParty = (request: FastifyRequest): RelyingParty => ({ rpID: request.hostname, origin: `${request.protocol}://${request.host}` });

export function factorRoutes(deps: { stores: Stores; factors: SecondFactors; passkeys: Passkeys }, auth: Auth) {
  const { stores, factors, passkeys } = deps;

  /** The person acting: the bearer's, or the enrollToken's when the body has one. */
  async function person(request: FastifyRequest<{ Params: AccountParams; Body?: EnrolBody }>): Promise<{ user: User; ticket: Awaited<ReturnType<SecondFactors['ticket']>> }> {
    const { accountId } = request.params;
    const token = request.body?.enrollToken;
    let userId: string;
    let ticket = null;
    if (token !== undefined) {
      ticket = await factors.ticket('enrol', accountId, token);
      if (!ticket) throw new DomainError('bearerInvalid', 'The enrollToken is unknown, used or expired; log in again');
      userId = ticket.userId;
    } else {
      await auth.requireBearer(request);
      const caller = request.caller!;
      // A person's own session: an OAuth access token (an application's, or one issued for a person) manages no factors.
      if (caller.kind !== 'session' || caller.userId === null) throw forbidden('second factors are managed with the person\'s own session bearer');
      userId = caller.userId;
    }
    const user = await stores.users.getUserById(accountId, userId);
    if (!user || user.deleted || !user.enabled) throw errors.bearerInvalid();
    return { user, ticket };
  }

  async function settingsOf(accountId: string) {
    const account = await stores.accounts.getAccount(accountId);
    if (!account) throw errors.accountUnknown();
    return accountSettings(account);
  }

  return async function (app: FastifyInstance): Promise<void> {
    const common = { tags: ['second factor'], params: accountParamsSchema, querystring: versionQuery };

    app.get<{ Params: AccountParams }>(
      '/api/account/:accountId/mfa',
      {
        schema: {
          ...common,
          summary: "The caller's second factors (never a secret)",
          description: "Whether an authenticator app is set up (none, pending, active), how many recovery codes are left, the passkeys, and the account's policy (off, optional, required).",
          security: BEARER_SECURITY,
          response: {
            200: {
              type: 'object',
              properties: {
                totp: { type: 'string', enum: ['none', 'pending', 'active'] },
                recoveryCodesLeft: { type: 'integer' },
                passkeys: {
                  type: 'array',
                  items: { type: 'object', properties: { credentialId: { type: 'string' }, name: { type: 'string' }, createdAt: { type: 'integer' }, lastUsedAt: { type: ['integer', 'null'] } } },
                },
                policy: { type: 'string', enum: ['off', 'optional', 'required'] },
              },
            },
            ...failures,
          },
        },
      },
      async (request) => {
        const { user } = await person(request);
        return factors.status(user, await settingsOf(request.params.accountId));
      },
    );

    app.post<{ Params: AccountParams; Body: EnrolBody }>(
      '/api/account/:accountId/mfa/totp',
      {
        schema: {
          ...common,
          summary: 'Start enrolling an authenticator app: a new secret, active once confirmed',
          description:
            "Authenticated by the person's bearer, or by the enrollToken of a login's 401 (internalCode 29) in the body. A new call replaces a pending secret. 409 when an app is already active, the account's mfa is off, for bots, or when the server has no MFA_ENCRYPTION_KEY.",
          security: BEARER_SECURITY,
          body: { type: ['object', 'null'], additionalProperties: false, properties: { enrollToken }, examples: [{}] },
          response: {
            200: {
              type: 'object',
              properties: {
                secret: { type: 'string', description: 'base32, for typing into the app' },
                otpauthUri: { type: 'string', description: 'otpauth://totp/… for the QR code' },
                qrCode: { type: 'string', description: 'The otpauthUri as an SVG QR code (data: URL)' },
              },
            },
            ...failures,
          },
        },
      },
      async (request) => {
        const { user } = await person(request);
        const started = await factors.startTotp(user, await settingsOf(request.params.accountId));
        const svg = await QRCode.toString(started.otpauthUri, { type: 'svg', margin: 1 });
        return { ...started, qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
      },
    );

    app.post<{ Params: AccountParams; Body: EnrolBody }>(
      '/api/account/:accountId/mfa/totp/confirm',
      {
        schema: {
          ...common,
          summary: 'Confirm the enrolment with a code from the app: the factor is active, ten recovery codes are shown once',
          description: 'A wrong code is 400. With an enrollToken, the token is spent: the person logs in again, with the factor.',
          security: BEARER_SECURITY,
          body: { type: 'object', required: ['otp'], additionalProperties: false, properties: { otp, enrollToken }, examples: [{ otp: '123456' }] },
          response: { 200: recoveryCodes, ...failures },
        },
      },
      async (request) => {
        const { user, ticket } = await person(request);
        const codes = await factors.confirmTotp(user, await settingsOf(request.params.accountId), request.body.otp!);
        // The enrolment is done: its token is spent; the person logs in again, with the factor.
        if (ticket) await factors.takeTicket(ticket);
        return { recoveryCodes: codes };
      },
    );

    app.delete<{ Params: AccountParams; Body: EnrolBody }>(
      '/api/account/:accountId/mfa/totp',
      {
        schema: {
          ...common,
          summary: 'Remove the authenticator app (and its recovery codes), with a current code; refused while the account requires a factor',
          description: "Bearer only. 409 while the account's mfa is required (an administrator's Reset MFA is the way then); a wrong code is 400.",
          security: BEARER_SECURITY,
          body: { type: 'object', required: ['otp'], additionalProperties: false, properties: { otp, enrollToken }, examples: [{ otp: '123456' }] },
          response: { 200: { type: 'null', description: 'Empty body' }, ...failures },
        },
        preHandler: async (request) => bearerOnly(request),
      },
      async (request, reply) => {
        const { user } = await person(request);
        await factors.removeTotp(user, await settingsOf(request.params.accountId), request.body.otp!);
        return reply.code(200).send();
      },
    );

    app.post<{ Params: AccountParams; Body: EnrolBody }>(
      '/api/account/:accountId/mfa/recovery-codes',
      {
        schema: {
          ...common,
          summary: 'New recovery codes in place of the old ones, with a current code of the app',
          description: 'Bearer only. The ten old codes stop working; a wrong code is 400.',
          security: BEARER_SECURITY,
          body: { type: 'object', required: ['otp'], additionalProperties: false, properties: { otp, enrollToken }, examples: [{ otp: '123456' }] },
          response: { 200: recoveryCodes, ...failures },
        },
        preHandler: async (request) => bearerOnly(request),
      },
      async (request) => {
        const { user } = await person(request);
        return { recoveryCodes: await factors.regenerateRecoveryCodes(user, request.body.otp!) };
      },
    );

    const ceremony = { type: 'object', properties: { ticket: { type: 'string' }, options: { type: 'object', additionalProperties: true } } } as const;

    app.post<{ Params: AccountParams; Body: EnrolBody }>(
      '/api/account/:accountId/mfa/passkeys/options',
      {
        schema: {
          ...common,
          summary: 'Start registering a passkey: options for navigator.credentials.create and a ticket',
          description: 'Bearer only. The relying party is the host the browser talks to. Finish with POST mfa/passkeys within 5 minutes.',
          security: BEARER_SECURITY,
          body: { type: ['object', 'null'], additionalProperties: false, properties: {}, examples: [{}] },
          response: { 200: ceremony, ...failures },
        },
      },
      async (request) => {
        const { user } = await person(request);
        return passkeys.registrationOptions(user, await settingsOf(request.params.accountId), relyingParty(request));
      },
    );

    app.post<{ Params: AccountParams; Body: { ticket: string; name?: string; response: Record<string, unknown> } }>(
      '/api/account/:accountId/mfa/passkeys',
      {
        schema: {
          ...common,
          summary: "Finish registering a passkey with the browser's answer",
          description: 'Bearer only. 400 when the answer does not verify or the ticket is unknown, used or expired.',
          security: BEARER_SECURITY,
          body: {
            type: 'object',
            required: ['ticket', 'response'],
            additionalProperties: false,
            properties: { ticket: { type: 'string', maxLength: 256 }, name: { type: 'string', maxLength: 64 }, response: { type: 'object', maxProperties: 16 } },
            examples: [{ ticket: '3f9c…', name: 'Laptop', response: {} }],
          },
          response: { 200: { type: 'object', properties: { credentialId: { type: 'string' } } }, ...failures },
        },
      },
      async (request) => {
        const { user } = await person(request as never);
        return passkeys.register(user, request.body.ticket, request.body.name ?? '', request.body.response);
      },
    );

    app.delete<{ Params: AccountParams & { credentialId: string } }>(
      '/api/account/:accountId/mfa/passkeys/:credentialId',
      {
        schema: {
          ...common,
          summary: 'Remove one of the caller\'s passkeys',
          description: 'Bearer only. 409 when the account requires a second factor and this is the last one.',
          security: BEARER_SECURITY,
          params: { type: 'object', required: ['accountId', 'credentialId'], properties: { accountId: { type: 'string', maxLength: 64 }, credentialId: { type: 'string', maxLength: 1024 } } },
          response: { 200: { type: 'null', description: 'Empty body' }, ...failures },
        },
      },
      async (request, reply) => {
        const { user } = await person(request as never);
        await passkeys.remove(user, await settingsOf(request.params.accountId), request.params.credentialId);
        return reply.code(200).send();
      },
    );

    app.post<{ Params: AccountParams; Body: { mfaToken: string } }>(
      '/api/account/:accountId/mfa/passkey/challenge',
      {
        schema: {
          ...common,
          summary: 'Second step by passkey: options for navigator.credentials.get and a ticket, for a login waiting on its mfaToken',
          description: 'Then POST the login URL with {"mfaToken", "passkey": {"ticket", "response"}}. 401 for an unknown, used or expired mfaToken.',
          body: { type: 'object', required: ['mfaToken'], additionalProperties: false, properties: { mfaToken: { type: 'string', maxLength: 256 } }, examples: [{ mfaToken: '3f9c…' }] },
          response: { 200: ceremony, ...failures },
        },
      },
      async (request) => {
        const ticket = await factors.ticket('login', request.params.accountId, request.body.mfaToken);
        if (!ticket) throw errors.loginFailed();
        return passkeys.authenticationOptions(ticket, relyingParty(request));
      },
    );
  };
}
