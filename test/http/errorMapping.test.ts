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
import { DomainError, InvalidInputError, NotFoundError, errors } from '../../src/errors.js';
import { ApiError, InternalCode, apiErrorOf, httpError } from '../../src/http/errors.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

test('every domain error kind has its status, internal code and message', () => {
  const cases: Array<[DomainError, number, number]> = [
    [errors.badRequest('Bad request: x'), 400, InternalCode.BAD_REQUEST],
    [errors.loginFailed(), 401, InternalCode.LOGIN_FAILED],
    [errors.passwordExpired(), 401, InternalCode.PASSWORD_EXPIRED],
    [errors.passwordRejected('too short'), 400, InternalCode.PASSWORD_REJECTED],
    [errors.sessionInvalid(), 401, InternalCode.SESSION_INVALID],
    [errors.csrfInvalid(), 401, InternalCode.CSRF_INVALID],
    [errors.bearerInvalid(), 401, InternalCode.BEARER_INVALID],
    [errors.accountUnknown(), 401, InternalCode.ACCOUNT_UNKNOWN],
    [errors.notFound(), 404, InternalCode.NOT_FOUND],
    [errors.tooManyFailures('slow down', 17), 429, InternalCode.RATE_LIMITED],
    [errors.overloaded('busy', 5), 503, InternalCode.UNAVAILABLE],
  ];
  assert.equal(new Set(cases.map(([e]) => e.kind)).size, Object.keys(errors).length, 'every factory is covered');
  for (const [error, status, code] of cases) {
    assert.ok(!('statusCode' in error), `${error.kind} carries no HTTP status`);
    const answer = httpError(error);
    assert.deepEqual([answer.statusCode, answer.internalCode, answer.message], [status, code, error.message], error.kind);
  }
  assert.equal(errors.passwordRejected('too short').message, 'Password rejected: too short');
});

test('administration errors are domain errors too: invalid input is 400, a missing thing 404', () => {
  const invalid = httpError(new InvalidInputError('account id must be 1 to 20 digits'));
  assert.deepEqual([invalid.statusCode, invalid.internalCode, invalid.message], [400, InternalCode.BAD_REQUEST, 'account id must be 1 to 20 digits']);
  const missing = httpError(new NotFoundError('no user "x"'));
  assert.deepEqual([missing.statusCode, missing.internalCode], [404, InternalCode.NOT_FOUND]);
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
  const domain = ['sessions', 'users', 'security', 'accounts', 'events', 'store'];
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
