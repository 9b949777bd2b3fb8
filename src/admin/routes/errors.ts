import { errors, InvalidInputError, NotFoundError } from '../../errors.js';
import { ApiError, InternalCode, httpError } from '../../http/errors.js';
import { DuplicateError } from '../../store/errors.js';
import { PasswordRejectedError } from '../context.js';
import { InUseError, RevisionMismatchError, UnknownReferenceError } from '../model.js';

/**
 * The administration actions' own error classes, answered as the
 * administration API always has (a prefix naming the status). Only those
 * actions throw them; src/http/errors.ts asks this one translation, which goes
 * once they throw DomainError kinds.
 */
export function directoryAnswer(error: unknown): ApiError | null {
  if (error instanceof PasswordRejectedError) return new ApiError(400, InternalCode.PASSWORD_REJECTED, `Password rejected: ${error.message}`);
  if (error instanceof InvalidInputError || error instanceof UnknownReferenceError) return httpError(errors.badRequest(`Bad request: ${error.message}`));
  if (error instanceof NotFoundError) return httpError(errors.notFound(`Not found: ${error.message}`));
  if (error instanceof DuplicateError || error instanceof InUseError) return new ApiError(409, InternalCode.CONFLICT, `Conflict: ${error.message}`);
  if (error instanceof RevisionMismatchError) {
    return new ApiError(412, InternalCode.REVISION_MISMATCH, `Precondition failed: the revision is now ${error.current}`, { 'ac-revision': String(error.current), etag: `"${error.current}"` });
  }
  return null;
}

