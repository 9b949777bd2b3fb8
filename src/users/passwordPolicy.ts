/** Password rules applied whenever a password is set (CLI, self-service change). */
import type { AccountSettings } from '../accounts/model.js';
import { ApiError, InternalCode } from '../http/errors.js';

export function passwordProblem(password: string, loginName: string, settings: AccountSettings): string | null {
  if (Buffer.byteLength(password, 'utf8') > settings.passwordMaxBytes) {
    return `password must be at most ${settings.passwordMaxBytes} bytes`;
  }
  if ([...password].length < settings.passwordMinLength) {
    return `password must be at least ${settings.passwordMinLength} characters`;
  }
  if (password.toLowerCase() === loginName.toLowerCase()) return 'password must not equal the login name';
  return null;
}

export function assertPasswordAcceptable(password: string, loginName: string, settings: AccountSettings): void {
  const problem = passwordProblem(password, loginName, settings);
  if (problem) throw new ApiError(400, InternalCode.PASSWORD_REJECTED, problem);
}
