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
import { BEARER_SECURITY, type Auth } from '../http/auth.js';
import { errorResponse } from '../http/errorHandling.js';
import { accountParamsSchema } from '../http/request.js';
import type { Stores } from '../store/index.js';
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

export function factorRoutes(deps: { stores: Stores; factors: SecondFactors }, auth: Auth) {
  const { stores, factors } = deps;

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
      userId = request.caller!.userId;
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
  };
}
