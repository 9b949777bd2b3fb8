/**
 * Domain errors: what went wrong, in the product's own terms. Domain code
 * (sessions, users, security, accounts, events, store) throws them and knows
 * nothing of HTTP; the HTTP layer (src/http/errors.ts) answers each kind with
 * its status, internal code and headers. The message is the one clients see,
 * so it never carries a secret.
 */
export type ErrorKind =
  | 'badRequest'
  | 'loginFailed'
  | 'passwordExpired'
  | 'passwordRejected'
  | 'sessionInvalid'
  | 'csrfInvalid'
  | 'bearerInvalid'
  | 'accountUnknown'
  | 'notFound'
  | 'tooManyFailures'
  | 'overloaded';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** When the caller may usefully try again, in seconds (rate limits, overload). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Input that breaks a rule of the domain (an account id's form, a time zone, a dump's content). */
export class InvalidInputError extends DomainError {
  constructor(message: string) {
    super('badRequest', message);
    this.name = 'InvalidInputError';
  }
}

/** A named account, user, API key or service that does not exist. */
export class NotFoundError extends DomainError {
  constructor(message: string) {
    super('notFound', message);
    this.name = 'NotFoundError';
  }
}

export const CSRF_INVALID_MESSAGE =
  'CSRF token invalid! The CSRF token on request does not match the CSRF token on the session';

export const errors = {
  badRequest: (message: string) => new DomainError('badRequest', message),
  loginFailed: () => new DomainError('loginFailed', 'Bad authentication: invalid account, user or credentials'),
  passwordExpired: () => new DomainError('passwordExpired', 'Password expired: it must be changed by an administrator'),
  /** `problem` completes "Password rejected: …". */
  passwordRejected: (problem: string) => new DomainError('passwordRejected', `Password rejected: ${problem}`),
  sessionInvalid: () => new DomainError('sessionInvalid', 'Session is missing, expired or ended'),
  csrfInvalid: () => new DomainError('csrfInvalid', CSRF_INVALID_MESSAGE),
  bearerInvalid: () => new DomainError('bearerInvalid', 'Bearer token is missing, unknown, expired or ended'),
  accountUnknown: () => new DomainError('accountUnknown', 'Unknown account'),
  notFound: (message = 'Not found') => new DomainError('notFound', message),
  /** Too many failed attempts (e.g. logins from one address); try again after `retryAfterSeconds`. */
  tooManyFailures: (message: string, retryAfterSeconds: number) => new DomainError('tooManyFailures', message, retryAfterSeconds),
  /** More work than the service takes on at once; try again after `retryAfterSeconds`. */
  overloaded: (message: string, retryAfterSeconds: number) => new DomainError('overloaded', message, retryAfterSeconds),
};
