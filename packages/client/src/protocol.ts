/**
 * The wire protocol of the Login Service API, version 1.3: the bodies it
 * accepts and answers, its one error shape and the stable `internalCode`
 * values (docs/ERRORS.md lists them). The server speaks this protocol and
 * uses these types; this module depends on nothing.
 */

/** User Login. */
export interface PasswordCredentials {
  username: string;
  password: string;
}

/** Application Login (API key). */
export interface ApplicationCredentials {
  username: string;
  appKey: string;
  secret: string;
  /** Needed by OAuth 1.0 keys; an OAuth 2.0 key (client credentials) ignores them. */
  accessToken?: string;
  accessTokenSecret?: string;
}

export type LoginCredentials = PasswordCredentials | ApplicationCredentials;

/** The second step of a login: a code of the authenticator app, or one of the recovery codes. */
export type SecondFactorCode = { otp: string } | { recoveryCode: string } | { passkey: { ticket: string; response: unknown } };

/** The body of the second step, on the same login URL. */
export type SecondFactorCredentials = { mfaToken: string } & SecondFactorCode;

/** The body of a successful login. */
export interface LoginResponse {
  csrf: string;
  wsuk: string;
  config: {
    loginName: string;
    userId: string;
    userPid: string;
    userPrivileges: number[];
    serverCurrentTime: number;
    timeDiff: number;
    serverTimeZoneName: string;
    serverTimeGMTDiff: number;
    isLPA: boolean;
    isAdmin: boolean;
    accountTimeZoneId: string;
  };
  csdsCollectionResponse: { baseURIs: Array<{ account: string; baseURI: string; service: string }> };
  accountData: { agentGroupsData: { items: Array<{ id: number; deleted: boolean; name: string }>; revision: number } };
  sessionTTl: string;
  bearer: string;
  sessionId: string;
}

/** What a bearer check tells another service. */
export interface SessionInfo {
  accountId: string;
  userId: string;
  loginName: string;
  userPrivileges: number[];
  isAdmin: boolean;
  isLPA: boolean;
  appKey: string | null;
  /**
   * How the session was made (RFC 8176 values where one fits): `pwd`
   * password, `swk` API key, `saml` SSO assertion, `oidc` OpenID Connect ID token;
   * a second factor adds its own.
   * Absent from older servers.
   */
  amr?: string[];
  createdAt: number;
  expiresAt: number;
}

/**
 * The one error shape of the API (taken from the original documentation):
 *   {"error": {"time": "Sep 22, 2016 4:10:15 PM", "message": "…", "internalCode": 10, "responseStatus": "UNAUTHORIZED"}}
 */
export interface ErrorBody {
  error: { time: string; message: string; internalCode: number; responseStatus: string };
  /** Login with internalCode 28 (SECOND_FACTOR_REQUIRED): the token of the second step. */
  mfaToken?: string;
  /** With mfaToken: what the second step accepts (`totp`, `recoveryCode`, `passkey`). */
  factors?: string[];
  /** Login with internalCode 29 (SECOND_FACTOR_ENROLMENT_REQUIRED): authenticates the enrolment. */
  enrollToken?: string;
}

/** The `internalCode` of an error body. Values are stable. */
export const InternalCode = {
  BAD_REQUEST: 1,
  UNSUPPORTED_VERSION: 2,
  BODY_TOO_LARGE: 3,
  UNSUPPORTED_MEDIA_TYPE: 4,
  CSRF_INVALID: 10,
  CROSS_SITE_REFUSED: 11,
  /** A login or refresh from an address outside the account's allowed networks (403). */
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
} as const;

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

/** The `responseStatus` of an error body for an HTTP status. */
export function responseStatusName(status: number): string {
  return RESPONSE_STATUS[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST');
}

/** Builds error bodies whose `time` reads like the original ("Sep 22, 2016 4:10:15 PM") in the given IANA zone. */
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

/** The token of an `Authorization: Bearer <token>` header, or null when absent or malformed. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+([A-Za-z0-9._~+/-]{1,4096}=*)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/** The message of a 401 for a missing, unknown, expired or ended bearer. */
export const BEARER_INVALID_MESSAGE = 'Bearer token is missing, unknown, expired or ended';
