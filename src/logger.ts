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
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
