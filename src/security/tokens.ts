/**
 * The one source of randomness and token hashing. Session ids, CSRF tokens and
 * bearers are 256-bit random values; the store only ever sees their SHA-256.
 */
import * as crypto from 'node:crypto';
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** 256 random bits as 64 lowercase hex characters. */
export function randomToken(): string {
  return randomBytes(32).toString('hex');
}

/** A string of `length` random decimal digits, never starting with 0. */
export function randomDigits(length: number): string {
  let out = String(randomInt(1, 10));
  while (out.length < length) out += String(randomInt(0, 10));
  return out;
}

export function randomUuid(): string {
  return crypto.randomUUID();
}

/** Node's one-shot digest (20.12+): no Hash object per call, on every bearer check and refresh. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** SHA-256 hex of a token: what the store keeps in place of the token. */
export const hashToken: (token: string) => string = oneShotHash
  ? (token) => oneShotHash('sha256', token, 'hex')
  : (token) => createHash('sha256').update(token).digest('hex');

/** Constant-time comparison of two hex digests (or any equal-length strings). */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Constant-time check that `token` hashes to `digest`. */
export function tokenMatches(token: string, digest: string): boolean {
  return digestsEqual(hashToken(token), digest);
}

const RECOVERY_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** A recovery code a person can copy by hand: ten characters of an unambiguous alphabet (50 bits), as `xxxxx-xxxxx`. */
export function randomRecoveryCode(): string {
  const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]);
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}
