/**
 * Password rules applied whenever a password is set (CLI, self-service change),
 * after NIST SP 800-63B and OWASP ASVS v4 §2.1: a minimum length, a maximum
 * size (checked in bytes, before any hashing), not the login name, and not a
 * commonly used password. No composition rules: they push users towards
 * predictable patterns without adding strength.
 */
import { dictionary } from '@zxcvbn-ts/language-common';
import type { AccountSettings } from '../accounts/model.js';
import { errors } from '../errors.js';

/** The account settings the policy reads. */
export type PasswordPolicySettings = Pick<AccountSettings, 'passwordMinLength' | 'passwordMaxBytes' | 'rejectCommonPasswords'>;

let commonPasswords: Set<string> | undefined;

/**
 * Whether the password is one of the ~49,000 most common passwords of leaked
 * password lists, as kept by the zxcvbn-ts project. Compared in lower case, so
 * "Password123" counts as "password123". Built on first use: only setting a
 * password needs it, never login.
 */
export function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set(dictionary['passwords-common']);
  return commonPasswords.has(password.toLowerCase());
}

export function passwordProblem(password: string, loginName: string, settings: PasswordPolicySettings): string | null {
  if (Buffer.byteLength(password, 'utf8') > settings.passwordMaxBytes) {
    return `password must be at most ${settings.passwordMaxBytes} bytes`;
  }
  if ([...password].length < settings.passwordMinLength) {
    return `password must be at least ${settings.passwordMinLength} characters`;
  }
  if (password.toLowerCase() === loginName.toLowerCase()) return 'password must not equal the login name';
  if (settings.rejectCommonPasswords && isCommonPassword(password)) {
    return 'password is too common: it appears in lists of leaked passwords';
  }
  return null;
}

export function assertPasswordAcceptable(password: string, loginName: string, settings: PasswordPolicySettings): void {
  const problem = passwordProblem(password, loginName, settings);
  if (problem) throw errors.passwordRejected(problem);
}
