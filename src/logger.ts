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
  // An SSO assertion logs its holder in until it is used or expires.
  'assertion',
  '*.assertion',
  // The second factor: its step's tokens, codes, and a TOTP secret while it is shown for enrolment.
  'mfaToken',
  '*.mfaToken',
  'enrollToken',
  '*.enrollToken',
  'otp',
  '*.otp',
  'recoveryCode',
  '*.recoveryCode',
  'recoveryCodes',
  '*.recoveryCodes',
  'otpauthUri',
  '*.otpauthUri',
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

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type LogArgs = Parameters<Logger['info']>;

/**
 * A request's logger that becomes a pino child (with the request id bound)
 * only when something is logged at an enabled level. pino runs the redaction
 * serializers over a child's bindings when the child is made, a cost every
 * request would pay even when it logs nothing.
 */
class RequestLogger {
  private real: Logger | null = null;

  constructor(
    private readonly parent: Logger,
    private readonly ownBindings: pino.Bindings,
  ) {}

  private get logger(): Logger {
    return (this.real ??= this.parent.child(this.ownBindings));
  }

  get level(): string {
    return this.real?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.real ?? this.parent).isLevelEnabled(level);
  }

  bindings(): pino.Bindings {
    return this.logger.bindings();
  }

  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }

  private log(level: Level, args: LogArgs): void {
    if (this.isLevelEnabled(level)) (this.logger[level] as (...a: LogArgs) => void)(...args);
  }

  fatal(...args: LogArgs): void {
    this.log('fatal', args);
  }
  error(...args: LogArgs): void {
    this.log('error', args);
  }
  warn(...args: LogArgs): void {
    this.log('warn', args);
  }
  info(...args: LogArgs): void {
    this.log('info', args);
  }
  debug(...args: LogArgs): void {
    this.log('debug', args);
  }
  trace(...args: LogArgs): void {
    this.log('trace', args);
  }
  silent(): void {}
}

/** For Fastify's `childLoggerFactory`: request loggers made on first use (see RequestLogger). */
export function lazyRequestLogger(parent: Logger, bindings: pino.Bindings, options: pino.ChildLoggerOptions): Logger {
  // A route with its own log level gets a real child at once (none of ours sets one).
  if (options.level !== undefined) return parent.child(bindings, options);
  return new RequestLogger(parent, bindings) as unknown as Logger;
}
