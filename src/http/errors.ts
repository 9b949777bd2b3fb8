/**
 * The one error shape of the API (taken from the original documentation):
 *   {"error": {"time": "Sep 22, 2016 4:10:15 PM", "message": "…", "internalCode": 10, "responseStatus": "UNAUTHORIZED"}}
 * `internalCode` values are stable; docs/ERRORS.md lists them.
 *
 * Domain code throws domain errors (src/errors.ts); this module decides how
 * each kind is answered. `ApiError` is for answers that HTTP code decides
 * itself (readiness, client authentication of a route).
 *
 * The client package owns the wire protocol; the server shares its types only
 * (nothing of it is loaded at run time), so `satisfies` keeps these codes equal to its own.
 */
import type { ErrorBody, InternalCode as WireInternalCode } from '@login-service/client/protocol';
import { DomainError, RevisionMismatchError, SecondFactorChallengeError, type ErrorKind } from '../errors.js';

export type { ErrorBody };

export const InternalCode = {
  BAD_REQUEST: 1,
  UNSUPPORTED_VERSION: 2,
  BODY_TOO_LARGE: 3,
  UNSUPPORTED_MEDIA_TYPE: 4,
  CSRF_INVALID: 10,
  CROSS_SITE_REFUSED: 11,
  ADDRESS_NOT_ALLOWED: 12,
  LOGIN_FAILED: 20,
  PASSWORD_EXPIRED: 21,
  SESSION_INVALID: 22,
  BEARER_INVALID: 23,
  ACCOUNT_UNKNOWN: 24,
  CLIENT_AUTH_FAILED: 25,
  PASSWORD_REJECTED: 26,
  ADMIN_REQUIRED: 27,
  SECOND_FACTOR_REQUIRED: 28,
  SECOND_FACTOR_ENROLMENT_REQUIRED: 29,
  NOT_FOUND: 30,
  METHOD_NOT_ALLOWED: 31,
  CONFLICT: 32,
  REVISION_MISMATCH: 33,
  RATE_LIMITED: 40,
  INTERNAL: 50,
  UNAVAILABLE: 51,
} as const satisfies typeof WireInternalCode;

export type InternalCodeValue = (typeof InternalCode)[keyof typeof InternalCode];

const RESPONSE_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

export function responseStatusName(status: number): string {
  return RESPONSE_STATUS[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST');
}

/** A failure the client should see as-is, decided by HTTP code. Rendered by the app's error handler. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly internalCode: InternalCodeValue,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Fields of the body beside `error` (a login's mfaToken or enrollToken). */
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface Answer {
  status: number;
  internalCode: InternalCodeValue;
  /** Opens the message where the domain's own sentence lacks it ("Conflict: login name … already exists"). */
  prefix?: string;
}

/** How each kind of domain error is answered: the one table, whatever the route. */
const ANSWERS: Record<ErrorKind, Answer> = {
  badRequest: { status: 400, internalCode: InternalCode.BAD_REQUEST },
  invalidInput: { status: 400, internalCode: InternalCode.BAD_REQUEST, prefix: 'Bad request: ' },
  unknownReference: { status: 400, internalCode: InternalCode.BAD_REQUEST, prefix: 'Bad request: ' },
  loginFailed: { status: 401, internalCode: InternalCode.LOGIN_FAILED },
  passwordExpired: { status: 401, internalCode: InternalCode.PASSWORD_EXPIRED },
  secondFactorRequired: { status: 401, internalCode: InternalCode.SECOND_FACTOR_REQUIRED },
  secondFactorEnrolmentRequired: { status: 401, internalCode: InternalCode.SECOND_FACTOR_ENROLMENT_REQUIRED },
  passwordRejected: { status: 400, internalCode: InternalCode.PASSWORD_REJECTED, prefix: 'Password rejected: ' },
  addressNotAllowed: { status: 403, internalCode: InternalCode.ADDRESS_NOT_ALLOWED },
  sessionInvalid: { status: 401, internalCode: InternalCode.SESSION_INVALID },
  csrfInvalid: { status: 401, internalCode: InternalCode.CSRF_INVALID },
  bearerInvalid: { status: 401, internalCode: InternalCode.BEARER_INVALID },
  accountUnknown: { status: 401, internalCode: InternalCode.ACCOUNT_UNKNOWN },
  notFound: { status: 404, internalCode: InternalCode.NOT_FOUND },
  noSuchItem: { status: 404, internalCode: InternalCode.NOT_FOUND, prefix: 'Not found: ' },
  conflict: { status: 409, internalCode: InternalCode.CONFLICT, prefix: 'Conflict: ' },
  inUse: { status: 409, internalCode: InternalCode.CONFLICT, prefix: 'Conflict: ' },
  revisionMismatch: { status: 412, internalCode: InternalCode.REVISION_MISMATCH, prefix: 'Precondition failed: ' },
  tooManyFailures: { status: 429, internalCode: InternalCode.RATE_LIMITED },
  overloaded: { status: 503, internalCode: InternalCode.UNAVAILABLE },
};

/** The answer to a domain error: its kind's status, code and message, Retry-After when it has a delay, the current revision when it is stale. */
export function httpError(error: DomainError): ApiError {
  const { status, internalCode, prefix = '' } = ANSWERS[error.kind];
  const headers: Record<string, string> = error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) };
  if (error instanceof RevisionMismatchError) Object.assign(headers, { 'ac-revision': String(error.current), etag: `"${error.current}"` });
  const fields = error instanceof SecondFactorChallengeError ? error.fields : {};
  return new ApiError(status, internalCode, `${prefix}${error.message}`, headers, fields);
}

/** The answer to a thrown error that clients see as-is (a domain error or an ApiError); null for anything else. */
export function apiErrorOf(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (error instanceof DomainError) return httpError(error);
  return null;
}

export { CSRF_INVALID_MESSAGE } from '../errors.js';

/** Renders times like the original: "Sep 22, 2016 4:10:15 PM", in the server's time zone. */
export function createErrorBodyFactory(serverTimeZone: string) {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: serverTimeZone,
    month: 'short',
    day: 'numeric',
    year: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    second: '2-digit',
    hour12: true,
  });
  return (status: number, internalCode: number, message: string, now: number): ErrorBody => ({
    error: {
      time: format.format(now).replace(/(\d{4}),/, '$1').replace(/\u202f/g, ' '),
      message,
      internalCode,
      responseStatus: responseStatusName(status),
    },
  });
}
