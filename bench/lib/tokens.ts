/**
 * Tokens of pre-seeded sessions, derived from a per-run seed and the session's
 * number, so the load generator can address any of a million sessions without
 * holding them all: it recomputes the tokens of session i when it needs them.
 * They have the shape of real ones (64 lowercase hex characters).
 */
import { createHash } from 'node:crypto';

export type TokenKind = 'sid' | 'csrf' | 'bearer';

export function seededToken(runSeed: string, kind: TokenKind, index: number): string {
  return createHash('sha256').update(`${runSeed}:${kind}:${index}`).digest('hex');
}

/** A session number in [0, count), uniformly. */
export function pickSession(count: number): number {
  return Math.floor(Math.random() * count);
}
