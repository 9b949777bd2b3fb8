/**
 * Authorization codes (RFC 6749 §4.1.2): 256 random bits given to the
 * client once, kept only as their SHA-256 digest, single use, and bound to
 * everything the token endpoint must check again: client, redirect URI, PKCE
 * challenge, nonce, user, scope, and when and how the person authenticated.
 */
import { hashToken, randomToken, randomUuid } from '../security/tokens.js';
import type { AuthorizationCode } from './model.js';

/** How long a code is accepted: RFC 6749 recommends at most 10 minutes; the service allows 60 s. */
export const AUTHORIZATION_CODE_TTL_MS = 60_000;

export type CodeGrant = Omit<AuthorizationCode, 'codeHash' | 'familyId' | 'createdAt' | 'expiresAt'>;

/** A new code for `grant`: the plain value for the redirect, the record for `OAuthGrantStore.saveCode`. */
export function newAuthorizationCode(grant: CodeGrant, now: number): { code: string; record: AuthorizationCode } {
  const code = randomToken();
  return {
    code,
    record: { ...grant, codeHash: hashToken(code), familyId: randomUuid(), createdAt: now, expiresAt: now + AUTHORIZATION_CODE_TTL_MS },
  };
}
