/**
 * The one error shape of the API (taken from the original documentation):
 *   {"error": {"time": "Sep 22, 2016 4:10:15 PM", "message": "…", "internalCode": 10, "responseStatus": "UNAUTHORIZED"}}
 * `internalCode` values are stable; docs/ERRORS.md lists them.
 *
 * The client package owns the wire protocol; the server shares its types only
 * (nothing of it is loaded at run time), so `satisfies` keeps these codes equal to its own.
 */
import type { ErrorBody, InternalCode as WireInternalCode } from '@login-service/client/protocol';

export type { ErrorBody };

export const InternalCode = {
  BAD_REQUEST: 1,
  UNSUPPORTED_VERSION: 2,
  BODY_TOO_LARGE: 3,
  UNSUPPORTED_MEDIA_TYPE: 4,
  CSRF_INVALID: 10,
  LOGIN_FAILED: 20,
  PASSWORD_EXPIRED: 21,
  SESSION_INVALID: 22,
  BEARER_INVALID: 23,
  ACCOUNT_UNKNOWN: 24,
  CLIENT_AUTH_FAILED: 25,
  PASSWORD_REJECTED: 26,
  ADMIN_REQUIRED: 27,
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

/** A failure the client should see as-is. Thrown by logic, rendered by the app's error handler. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly internalCode: InternalCodeValue,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const CSRF_INVALID_MESSAGE =
  'CSRF token invalid! The CSRF token on request does not match the CSRF token on the session';

export const errors = {
  badRequest: (message: string) => new ApiError(400, InternalCode.BAD_REQUEST, message),
  loginFailed: () => new ApiError(401, InternalCode.LOGIN_FAILED, 'Bad authentication: invalid account, user or credentials'),
  sessionInvalid: () => new ApiError(401, InternalCode.SESSION_INVALID, 'Session is missing, expired or ended'),
  csrfInvalid: () => new ApiError(401, InternalCode.CSRF_INVALID, CSRF_INVALID_MESSAGE),
  bearerInvalid: () => new ApiError(401, InternalCode.BEARER_INVALID, 'Bearer token is missing, unknown, expired or ended'),
  accountUnknown: () => new ApiError(401, InternalCode.ACCOUNT_UNKNOWN, 'Unknown account'),
  notFound: (message = 'Not found') => new ApiError(404, InternalCode.NOT_FOUND, message),
};

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
