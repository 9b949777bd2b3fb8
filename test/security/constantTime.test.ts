import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { digestsEqual, hashToken, randomToken, tokenMatches } from '../../src/security/tokens.js';

/**
 * Comparisons with a secret-sounding operand that are known not to need
 * constant time, each with the reason. Anything else the scan finds fails.
 */
const REVIEWED: Array<{ file: string; code: string; why: string }> = [
  { file: 'src/login/passwordChange.ts', code: 'change.newPassword === change.oldPassword', why: 'both sides come from the same request, after the old one was verified' },
  { file: 'src/directory/passwordPolicy.ts', code: 'password.toLowerCase() === loginName.toLowerCase()', why: 'a policy check of a new password against the login name, both known to the caller' },
  { file: 'src/ops/metrics.ts', code: 'code === InternalCode.CSRF_INVALID', why: 'an error code, not a token' },
  { file: 'packages/client/src/verifier.ts', code: 'bearerToken(`Bearer ${token}`) !== token', why: 'checks the syntax of a caller-supplied bearer against itself' },
  { file: 'packages/client/src/verifier.ts', code: 'token.sub === token.clientId', why: 'two public claims of a verified access token (is it an application acting for itself?)' },
];

const SECRET_WORD = /(csrf|bearer|secret|token|password|sessionid|accesstoken)/i;
const OPERATOR = /[!=]==?/g;
const OPERAND = String.raw`[\w.$?'"\[\]-]+(?:\([^()]*\))?`;
const LEFT = new RegExp(`(${OPERAND})\\s*$`);
const RIGHT = new RegExp(`^\\s*(${OPERAND})`);
/** Presence and type checks say nothing about a secret's value. */
const LITERAL = /^(null|undefined|true|false|'[^']*'|"[^"]*"|\d+)$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => f.endsWith('.ts'));
}

describe('secrets are compared in constant time', () => {
  test('digestsEqual and tokenMatches answer correctly, whatever the lengths', () => {
    const token = randomToken();
    assert.equal(tokenMatches(token, hashToken(token)), true);
    assert.equal(tokenMatches(token.slice(0, -1) + (token.endsWith('0') ? '1' : '0'), hashToken(token)), false);
    assert.equal(tokenMatches('', hashToken(token)), false);
    // A public OAuth client keeps an empty digest: nothing matches it, not even an empty secret.
    assert.equal(tokenMatches(token, ''), false);
    assert.equal(tokenMatches('', ''), false);
    assert.equal(digestsEqual('abc', 'abc'), true);
    assert.equal(digestsEqual('abc', 'abd'), false);
    assert.equal(digestsEqual('abc', 'abcd'), false);
  });

  test('no source file compares a token, secret or password with === or !== (except the reviewed few)', () => {
    const found: string[] = [];
    for (const file of [...sourceFiles('src'), ...sourceFiles('packages/client/src')]) {
      const lines = readFileSync(file, 'utf8').split('\n');
      for (const [n, line] of lines.entries()) {
        if (/^\s*(\/\/|\*|\/\*)/.test(line)) continue;
        for (const m of line.matchAll(OPERATOR)) {
          if (line[m.index! - 1] === '!' || line[m.index! - 1] === '=' || line[m.index! + m[0].length] === '=') continue;
          const left = LEFT.exec(line.slice(0, m.index))?.[1] ?? '';
          const right = RIGHT.exec(line.slice(m.index! + m[0].length))?.[1] ?? '';
          if (!SECRET_WORD.test(left) && !SECRET_WORD.test(right)) continue;
          if (LITERAL.test(left) || LITERAL.test(right)) continue;
          if (/typeof\s*$/.test(line.slice(0, m.index).replace(LEFT, ''))) continue;
          if (REVIEWED.some((r) => file === r.file && line.includes(r.code))) continue;
          found.push(`${file}:${n + 1}: ${line.trim()}`);
        }
      }
    }
    assert.deepEqual(found, [], 'compare secrets with digestsEqual/tokenMatches (src/security/tokens.ts), or review and list the comparison here');
  });
});
