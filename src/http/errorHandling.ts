/**
 * Every failure leaves in the contract's error shape, including what Fastify
 * itself rejects (bad JSON, body too large, unknown route). Nothing a client
 * sends becomes a 500: only a fault of ours does, and that is logged.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import { InternalCode, apiErrorOf, createErrorBodyFactory, type InternalCodeValue } from './errors.js';

interface Classified {
  status: number;
  code: InternalCodeValue;
  message: string;
}

function classify(error: FastifyError & { validationContext?: string }): Classified {
  if (error.validation) {
    const first = error.validation[0];
    const field = `${error.validationContext ?? 'request'}${first?.instancePath ?? ''}`;
    if (error.validationContext === 'querystring' && (first?.instancePath === '/v' || first?.params?.missingProperty === 'v')) {
      return { status: 400, code: InternalCode.UNSUPPORTED_VERSION, message: 'Unsupported API version: use 1.3 (or 1.2, the same contract)' };
    }
    return { status: 400, code: InternalCode.BAD_REQUEST, message: `Bad request: ${field} ${first?.message ?? 'is invalid'}`.trim() };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 400, code: InternalCode.BODY_TOO_LARGE, message: 'Bad request: body too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: InternalCode.UNSUPPORTED_MEDIA_TYPE, message: 'Unsupported content type: send application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: InternalCode.BAD_REQUEST, message: 'Bad request: empty JSON body' };
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { status: 400, code: InternalCode.BAD_REQUEST, message: 'Bad request: body is not valid JSON' };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, code: InternalCode.BAD_REQUEST, message: `Bad request: ${error.message}` };
  if (status === 503) return { status, code: InternalCode.UNAVAILABLE, message: 'Service unavailable' };
  return { status: 500, code: InternalCode.INTERNAL, message: 'Internal server error' };
}

/** For Fastify's `frameworkErrors` option: errors raised before routing (e.g. a malformed URL). */
export function frameworkErrorHandler(clock: Clock, serverTimeZone: string) {
  const errorBody = createErrorBodyFactory(serverTimeZone);
  return (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    const c = classify(error);
    reply.code(c.status).send(errorBody(c.status, c.code, c.message, clock.now()));
  };
}

export function installErrorHandling(app: FastifyInstance, clock: Clock, serverTimeZone: string): void {
  const errorBody = createErrorBodyFactory(serverTimeZone);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const answer = apiErrorOf(error);
    if (answer) {
      reply.headers(answer.headers);
      return reply.code(answer.statusCode).send({ ...errorBody(answer.statusCode, answer.internalCode, answer.message, clock.now()), ...answer.fields });
    }
    const c = classify(error);
    if (c.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.debug({ code: error.code, message: error.message }, 'request rejected');
    return reply.code(c.status).send(errorBody(c.status, c.code, c.message, clock.now()));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody(404, InternalCode.NOT_FOUND, `Not found: ${request.method} ${request.url.split('?')[0]?.slice(0, 200)}`, clock.now()));
  });
}

/** JSON schema of the error body, for route schemas and the OpenAPI document. */
export const errorBodySchema = {
  $id: 'ErrorBody',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['time', 'message', 'internalCode', 'responseStatus'],
      properties: {
        time: { type: 'string', description: 'Server time, e.g. "Sep 22, 2016 4:10:15 PM"' },
        message: { type: 'string' },
        internalCode: { type: 'integer', description: 'Stable code, see docs/ERRORS.md' },
        responseStatus: { type: 'string', description: 'e.g. UNAUTHORIZED' },
      },
    },
    mfaToken: { type: 'string', description: 'Login only, with internalCode 28: the token of the second step (single use, 5 minutes)' },
    factors: { type: 'array', items: { type: 'string' }, description: 'Login only, with internalCode 28: what the second step accepts (totp, recoveryCode, passkey)' },
    enrollToken: { type: 'string', description: 'Login only, with internalCode 29: authenticates the enrolment of a second factor (15 minutes)' },
  },
} as const;

export const errorResponse = { $ref: 'ErrorBody#' } as const;
