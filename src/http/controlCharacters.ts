/**
 * Control characters are refused at the edge, before any route or store sees
 * them: PostgreSQL cannot hold a NUL in text at all (a NUL reaching a query
 * failed with a 500), and no identifier, name or setting of this product
 * means anything with a control character in it.
 *
 * The rule (docs/SECURITY.md, "Control characters"):
 * - path parameters and query strings: no C0 control character (U+0000–U+001F);
 * - request bodies (JSON or form, every string value and key, at any depth):
 *   no C0 control character except tab, line feed and carriage return, which
 *   free text (a description, a pasted certificate) may legitimately hold.
 *   Fields that are identifiers (login names, account ids) refuse those three
 *   too, by their own checks.
 *
 * One onRequest hook checks the path and query (so nothing, not even
 * authentication, looks anything up with such a value), one preValidation hook
 * checks the parsed body, whatever its content type. The answer is 400 in the
 * error shape; the message says where, never echoes the value.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError, InternalCode } from './errors.js';

/** Every C0 control character: never in an identifier, a path or a query. */
const ANY_CONTROL = /[\u0000-\u001f]/;
/** C0 control characters that free text has no use for: all but tab, line feed and carriage return. */
const CONTROL_EXCEPT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

/** The place (e.g. `body.users[0].fullName`) of the first string in `value` that matches `forbidden`, or null. */
export function controlCharacterAt(value: unknown, forbidden: RegExp, where: string, depth = 0): string | null {
  if (typeof value === 'string') return forbidden.test(value) ? where : null;
  // Bodies are bounded by BODY_LIMIT; the depth bound only keeps a pathological nesting off the stack.
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = controlCharacterAt(value[i], forbidden, `${where}[${i}]`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const place = `${where}.${printableKey(key)}`;
    if (forbidden.test(key)) return place;
    const found = controlCharacterAt(item, forbidden, place, depth + 1);
    if (found) return found;
  }
  return null;
}

/** A key as the message may show it: control characters are not echoed. */
function printableKey(key: string): string {
  return key.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 64);
}

export function controlCharacterRefused(where: string): ApiError {
  return new ApiError(400, InternalCode.BAD_REQUEST, `Bad request: ${where} contains a control character`);
}

export function installControlCharacterCheck(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const where = controlCharacterAt(request.params, ANY_CONTROL, 'path') ?? controlCharacterAt(request.query, ANY_CONTROL, 'query');
    done(where ? controlCharacterRefused(where) : undefined);
  });
  app.addHook('preValidation', (request, _reply, done) => {
    const where = controlCharacterAt(request.body, CONTROL_EXCEPT_LINE_BREAKS, 'body');
    done(where ? controlCharacterRefused(where) : undefined);
  });
}
