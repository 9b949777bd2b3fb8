/**
 * Request bodies: JSON under any content type, and forms. Every path refuses
 * `__proto__` and `constructor.prototype` keys (400) through the same checker
 * as Fastify's own JSON parser (secure-json-parse), so no body type is a way
 * around it.
 */
import { parse as parseQueryString } from 'node:querystring';
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';

const POISON_CHECK = { protoAction: 'error', constructorAction: 'error' } as const;

function parseForm(text: string): Record<string, unknown> {
  const fields = parseQueryString(text);
  try {
    secureJson.scan(fields, POISON_CHECK);
  } catch {
    throw Object.assign(new Error('body has a forbidden field name (__proto__ or constructor)'), { statusCode: 400 });
  }
  return fields;
}

export async function installBodyParsers(app: FastifyInstance): Promise<void> {
  // Anything that is not JSON or a form is still tried as JSON: some clients omit or mislabel the content type.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    parseJson(request, body as string, done);
  });
  await app.register(formbody, { parser: parseForm });
}
