/**
 * Structured JSON logs (pino). Secrets never reach the output: passwords, API
 * secrets, tokens, cookies and Authorization headers are redacted here, at the
 * logger, whatever the caller logged.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export const REDACTED_PATHS = [
  'password',
  'oldPassword',
  'newPassword',
  'secret',
  'accessTokenSecret',
  'csrf',
  'bearer',
  'sessionId',
  'token',
  '*.password',
  '*.oldPassword',
  '*.newPassword',
  '*.secret',
  '*.accessTokenSecret',
  '*.csrf',
  '*.bearer',
  '*.sessionId',
  '*.token',
  'body.*',
  'req.body',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'res.headers["set-cookie"]',
  'request.headers.authorization',
  'request.headers.cookie',
  // Application Login's access token is a credential too, and X-CSRF-Token carries the csrf.
  'accessToken',
  '*.accessToken',
  'headers["x-csrf-token"]',
  'headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-csrf-token"]',
  '*.headers["set-cookie"]',
];

/**
 * V8 quotes the text around a JSON syntax error in its message
 * (`Unexpected token 'h', ..."password": hunter2"... is not valid JSON`), so a
 * malformed login body would put part of a password into the log line of its
 * 400. The excerpt is cut out wherever such a message is logged.
 */
const JSON_EXCERPT = /Unexpected token .*? is not valid JSON/gs;
export function withoutInputExcerpts(text: string): string {
  return text.replace(JSON_EXCERPT, 'Unexpected token [REDACTED] is not valid JSON');
}

/** Errors as pino serializes them, less what quotes the client's input: JSON excerpts and the HTTP parser's rawPacket. */
function errorWithoutInputExcerpts(error: Error): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  delete serialized.rawPacket;
  for (const key of ['message', 'stack'] as const) {
    if (typeof serialized[key] === 'string') serialized[key] = withoutInputExcerpts(serialized[key]);
  }
  return serialized;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      serializers: { err: errorWithoutInputExcerpts },
      formatters: {
        log(object) {
          return typeof object.message === 'string' ? { ...object, message: withoutInputExcerpts(object.message) } : object;
        },
      },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? withoutInputExcerpts(a) : a)) as Parameters<typeof method>);
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
