/**
 * Domain errors: every refusal, in the product's own terms. Domain code
 * (accounts, directory, sessions, security, events, store) throws them and
 * knows nothing of HTTP; the HTTP layer (src/http/errors.ts) answers each kind
 * with its status, internal code, headers and the word that opens the message
 * ("Conflict: …"), in one table. The CLI prints the message as it is. The
 * message is seen by clients, so it never carries a secret.
 */
export type ErrorKind =
  /** A request HTTP code found malformed; its message is complete ("Bad request: …"). */
  | 'badRequest'
  /** A value a rule of the domain refuses (a name's length, a time zone, a dump's content). */
  | 'invalidInput'
  /** A write names a group or profile that does not exist. */
  | 'unknownReference'
  | 'loginFailed'
  | 'passwordExpired'
  /** The first step of a login passed; a second factor is due (the error carries the mfaToken). */
  | 'secondFactorRequired'
  /** The first step of a login passed; the person must enrol a second factor first (the error carries the enrollToken). */
  | 'secondFactorEnrolmentRequired'
  | 'passwordRejected'
  /** A person's login or refresh from outside the account's allowed networks. */
  | 'addressNotAllowed'
  | 'sessionInvalid'
  | 'csrfInvalid'
  | 'bearerInvalid'
  | 'accountUnknown'
  /** A route's own "not found"; its message is complete. */
  | 'notFound'
  /** A named account, user, group, profile, API key or service that does not exist. */
  | 'noSuchItem'
  /** A unique key (account id, login name, app key, group or profile name) is taken. */
  | 'conflict'
  /** The item cannot be deleted while something uses it. */
  | 'inUse'
  /** The revision a write was conditioned on has moved on. */
  | 'revisionMismatch'
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
    super('invalidInput', message);
    this.name = 'InvalidInputError';
  }
}

/** A named account, user, group, profile, API key or service that does not exist. */
export class NotFoundError extends DomainError {
  constructor(message: string) {
    super('noSuchItem', message);
    this.name = 'NotFoundError';
  }
}

/** Raised by every backend (and checked by the actions) when a unique key already exists. */
export class DuplicateError extends DomainError {
  constructor(what: string) {
    super('conflict', `${what} already exists`);
    this.name = 'DuplicateError';
  }
}

/** The item cannot be deleted while something uses it. */
export class InUseError extends DomainError {
  constructor(message: string) {
    super('inUse', message);
    this.name = 'InUseError';
  }
}

/** A write names a group or profile that does not exist. */
export class UnknownReferenceError extends DomainError {
  constructor(message: string) {
    super('unknownReference', message);
    this.name = 'UnknownReferenceError';
  }
}

/** The revision moved on since the caller read it; `current` is the one to read again. */
export class RevisionMismatchError extends DomainError {
  constructor(readonly current: number) {
    super('revisionMismatch', `the revision is now ${current}`);
    this.name = 'RevisionMismatchError';
  }
}

/** A password the account's policy refuses; the message says why ("password must be at least 10 characters"). */
export class PasswordRejectedError extends DomainError {
  constructor(problem: string) {
    super('passwordRejected', problem);
    this.name = 'PasswordRejectedError';
  }
}

/**
 * A login that needs one more step: the answer carries, beside `error`, the
 * token of that step (`mfaToken` or `enrollToken`) and what it accepts.
 */
export class SecondFactorChallengeError extends DomainError {
  constructor(
    kind: 'secondFactorRequired' | 'secondFactorEnrolmentRequired',
    message: string,
    /** Fields of the answer beside `error`. */
    readonly fields: Record<string, unknown>,
  ) {
    super(kind, message);
    this.name = 'SecondFactorChallengeError';
  }
}

export const CSRF_INVALID_MESSAGE =
  'CSRF token invalid! The CSRF token on request does not match the CSRF token on the session';

export const errors = {
  badRequest: (message: string) => new DomainError('badRequest', message),
  loginFailed: () => new DomainError('loginFailed', 'Bad authentication: invalid account, user or credentials'),
  passwordExpired: () => new DomainError('passwordExpired', 'Password expired: it must be changed by an administrator'),
  secondFactorRequired: (mfaToken: string, factors: string[]) =>
    new SecondFactorChallengeError('secondFactorRequired', 'Second factor required: send mfaToken with otp or recoveryCode to the login URL', { mfaToken, factors }),
  secondFactorEnrolmentRequired: (enrollToken: string) =>
    new SecondFactorChallengeError('secondFactorEnrolmentRequired', 'Second factor enrolment required: enrol an authenticator app with enrollToken, then log in again', { enrollToken }),
  /** `problem` completes "Password rejected: …" (the HTTP answer adds those words). */
  passwordRejected: (problem: string) => new PasswordRejectedError(problem),
  addressNotAllowed: () => new DomainError('addressNotAllowed', 'Forbidden: this account allows logins only from its allowed networks'),
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
