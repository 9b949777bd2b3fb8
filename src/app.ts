/**
 * Builds the HTTP application from configuration and stores, without
 * listening: tests use it in-process, `serve` puts it on a socket.
 */
import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { domainRoutes } from './accounts/routes.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { AuditLog } from './events/audit.js';
import { errorBodySchema, installErrorHandling } from './http/errorHandling.js';
import { createLogger } from './logger.js';
import { BruteForceGuard } from './security/bruteForce.js';
import { PasswordHasher } from './security/passwords.js';
import { sessionRoutes } from './sessions/routes.js';
import { SessionService } from './sessions/service.js';
import type { Stores } from './store/index.js';

export interface AppDeps {
  config: Config;
  stores: Stores;
  clock?: Clock;
  logger?: Logger;
  hasher?: PasswordHasher;
}

export interface Services {
  clock: Clock;
  hasher: PasswordHasher;
  audit: AuditLog;
  guard: BruteForceGuard;
  sessions: SessionService;
}

export interface App {
  app: FastifyInstance;
  services: Services;
}

/**
 * Access lines at debug, not info: at tens of thousands of requests a second a
 * line per request would cost more than the request. Errors still log at error.
 */
class AccessLog extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, request: any, reply: any): void {
    if (error) return super.requestCompleted(error, request, reply);
    if (request.log.isLevelEnabled('debug')) {
      request.log.debug({ method: request.method, url: request.routeOptions?.url, statusCode: reply.statusCode, ms: reply.elapsedTime }, 'request completed');
    }
  }
}

export function createServices(deps: AppDeps, logger: Logger): Services {
  const clock = deps.clock ?? systemClock;
  const hasher = deps.hasher ?? new PasswordHasher(undefined, deps.config.hashConcurrency);
  const audit = new AuditLog(deps.stores.events, clock, (err) => logger.error({ err }, 'audit event not stored'));
  const guard = new BruteForceGuard(deps.stores.counters, audit, deps.config.loginFailuresPerMinute);
  const sessions = new SessionService({
    stores: deps.stores,
    clock,
    hasher,
    audit,
    guard,
    publicHost: deps.config.publicHost,
    serverTimeZone: deps.config.serverTimeZone,
  });
  return { clock, hasher, audit, guard, sessions };
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, stores } = deps;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const services = createServices(deps, logger);
  const tls = config.tlsCertFile && config.tlsKeyFile
    ? { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) }
    : null;

  const app = Fastify({
    loggerInstance: logger,
    logController: new AccessLog(),
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    // Slow or never-finished requests must not hold the server: bound headers and whole requests.
    connectionTimeout: 0,
    requestTimeout: 15_000,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    ...(tls ? { https: tls } : {}),
  }) as unknown as FastifyInstance;
  app.server.headersTimeout = 10_000;

  installErrorHandling(app, services.clock, config.serverTimeZone);
  app.addSchema(errorBodySchema);

  // Anything that is not JSON or a form is still tried as JSON: some clients omit or mislabel the content type.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string));
    } catch {
      const err = new SyntaxError('body is not valid JSON');
      done(err, undefined);
    }
  });
  await app.register(formbody);
  await app.register(cookie);
  await app.register(helmet, {
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    hsts: tls ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    // Responses carry tokens or per-user data: never cache them.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Login Service API',
        version: '1.3',
        description: 'Agent and bot login, session refresh and logout, bearer check, and the Domain API.',
      },
      tags: [
        { name: 'sessions', description: 'Login, refresh, logout, bearer check' },
        { name: 'domain', description: 'Service discovery (Domain API)' },
        { name: 'operations', description: 'Health, readiness, metrics' },
      ],
    },
  });

  await app.register(sessionRoutes(services.sessions, { secureCookie: tls !== null }));
  await app.register(domainRoutes(stores, config.publicHost));

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'Process is alive' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['operations'], summary: 'Store is reachable' } }, async (_request, reply) => {
    try {
      await stores.ping();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });

  return { app, services };
}
