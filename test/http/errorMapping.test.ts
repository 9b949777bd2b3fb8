/**
 * Domain errors (src/errors.ts) carry no HTTP; src/http/errors.ts answers
 * each kind. And the layers hold: domain code imports nothing of HTTP, shared
 * HTTP code imports no feature.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DomainError, DuplicateError, InUseError, InvalidInputError, NotFoundError, RevisionMismatchError, UnknownReferenceError, errors, type ErrorKind } from '../../src/errors.js';
import { ApiError, InternalCode, apiErrorOf, httpError } from '../../src/http/errors.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

test('every domain error kind has its status, internal code and message', () => {
  const cases: Array<[DomainError, number, number]> = [
    [errors.badRequest('Bad request: x'), 400, InternalCode.BAD_REQUEST],
    [errors.loginFailed(), 401, InternalCode.LOGIN_FAILED],
    [errors.passwordExpired(), 401, InternalCode.PASSWORD_EXPIRED],
    [errors.passwordRejected('too short'), 400, InternalCode.PASSWORD_REJECTED],
    [errors.addressNotAllowed(), 403, InternalCode.ADDRESS_NOT_ALLOWED],
    [errors.sessionInvalid(), 401, InternalCode.SESSION_INVALID],
    [errors.csrfInvalid(), 401, InternalCode.CSRF_INVALID],
    [errors.bearerInvalid(), 401, InternalCode.BEARER_INVALID],
    [errors.accountUnknown(), 401, InternalCode.ACCOUNT_UNKNOWN],
    [errors.notFound(), 404, InternalCode.NOT_FOUND],
    [errors.tooManyFailures('slow down', 17), 429, InternalCode.RATE_LIMITED],
    [errors.overloaded('busy', 5), 503, InternalCode.UNAVAILABLE],
    [errors.secondFactorRequired('t'.repeat(64), ['totp']), 401, InternalCode.SECOND_FACTOR_REQUIRED],
    [errors.secondFactorEnrolmentRequired('e'.repeat(64)), 401, InternalCode.SECOND_FACTOR_ENROLMENT_REQUIRED],
  ];
  assert.equal(new Set(cases.map(([e]) => e.kind)).size, Object.keys(errors).length, 'every factory is covered');
  for (const [error, status, code] of cases) {
    assert.ok(!('statusCode' in error), `${error.kind} carries no HTTP status`);
    const answer = httpError(error);
    const message = error.kind === 'passwordRejected' ? `Password rejected: ${error.message}` : error.message;
    assert.deepEqual([answer.statusCode, answer.internalCode, answer.message], [status, code, message], error.kind);
  }
  // A login's challenge carries its token beside `error`.
  assert.deepEqual(httpError(errors.secondFactorRequired('t', ['totp', 'recoveryCode'])).fields, { mfaToken: 't', factors: ['totp', 'recoveryCode'] });
  assert.deepEqual(httpError(errors.secondFactorEnrolmentRequired('e')).fields, { enrollToken: 'e' });
  assert.deepEqual(httpError(errors.loginFailed()).fields, {});
  // The CLI prints the domain's sentence; the HTTP answer opens it with the kind's words.
  assert.equal(errors.passwordRejected('too short').message, 'too short');
  assert.equal(httpError(errors.passwordRejected('too short')).message, 'Password rejected: too short');
});

test('every refusal of an action is a domain error, answered by the one table whatever the route', () => {
  const cases: Array<[DomainError, ErrorKind, number, number, string]> = [
    [new InvalidInputError('account id must be 1 to 20 digits'), 'invalidInput', 400, InternalCode.BAD_REQUEST, 'Bad request: account id must be 1 to 20 digits'],
    [new UnknownReferenceError('profile 9 does not exist'), 'unknownReference', 400, InternalCode.BAD_REQUEST, 'Bad request: profile 9 does not exist'],
    [new NotFoundError('user 1 does not exist in account 2'), 'noSuchItem', 404, InternalCode.NOT_FOUND, 'Not found: user 1 does not exist in account 2'],
    [new DuplicateError('user x in account 2'), 'conflict', 409, InternalCode.CONFLICT, 'Conflict: user x in account 2 already exists'],
    [new InUseError('profile 5 is built in and cannot be deleted'), 'inUse', 409, InternalCode.CONFLICT, 'Conflict: profile 5 is built in and cannot be deleted'],
    [new RevisionMismatchError(7), 'revisionMismatch', 412, InternalCode.REVISION_MISMATCH, 'Precondition failed: the revision is now 7'],
  ];
  for (const [error, kind, status, code, message] of cases) {
    assert.ok(error instanceof DomainError, error.name);
    assert.equal(error.kind, kind);
    const answer = apiErrorOf(error);
    assert.deepEqual([answer?.statusCode, answer?.internalCode, answer?.message], [status, code, message], error.name);
  }
  assert.deepEqual(httpError(new RevisionMismatchError(7)).headers, { 'ac-revision': '7', etag: '"7"' });
  // The CLI prints the message alone.
  assert.equal(new DuplicateError('user x in account 2').message, 'user x in account 2 already exists');
});

test('a retry delay becomes Retry-After; other errors add no header', () => {
  assert.deepEqual(httpError(errors.tooManyFailures('slow down', 17)).headers, { 'retry-after': '17' });
  assert.deepEqual(httpError(errors.overloaded('busy', 5)).headers, { 'retry-after': '5' });
  assert.deepEqual(httpError(errors.loginFailed()).headers, {});
});

test('only domain errors and ApiErrors are answered as-is; anything else is a fault', () => {
  const api = new ApiError(503, InternalCode.UNAVAILABLE, 'Not ready');
  assert.equal(apiErrorOf(api), api);
  assert.equal(apiErrorOf(errors.bearerInvalid())?.statusCode, 401);
  assert.equal(apiErrorOf(new Error('boom')), null);
  assert.equal(apiErrorOf(Object.assign(new Error('x'), { statusCode: 401 })), null);
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|js)$/.test(name) ? [path] : [];
  });
}

function imports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from '([^']+)'/gm)].map((m) => m[1]!);
}

test('domain code imports nothing of HTTP; shared HTTP code imports no feature', () => {
  const domain = ['sessions', 'users', 'directory', 'security', 'accounts', 'events', 'store'];
  const problems: string[] = [];
  for (const room of domain) {
    for (const file of sourceFiles(join(SRC, room))) {
      if (/\/routes\.ts$/.test(file)) continue; // a feature's HTTP routes
      for (const spec of imports(file)) {
        if (/(^|\/)http\//.test(spec) || spec === 'fastify' || spec.startsWith('@fastify/')) problems.push(`${relative(SRC, file)} imports ${spec}`);
      }
    }
  }
  for (const file of sourceFiles(join(SRC, 'http'))) {
    for (const spec of imports(file)) {
      if (new RegExp(`^\\.\\./(${domain.join('|')}|oauth|ops|cli|client)/`).test(spec)) problems.push(`${relative(SRC, file)} imports ${spec}`);
    }
  }
  assert.deepEqual(problems, []);
});
