/**
 * Builds the HTTP application from configuration and stores, without
 * listening: tests use it in-process, `serve` puts it on a socket.
 */
import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { domainRoutes } from './accounts/routes.js';
import { privilegesOf } from './directory/profiles.js';
import { ADMIN_TAGS, adminRoutes } from './admin/routes/index.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { consoleRoutes } from './console/routes.js';
import { AuditLog } from './events/audit.js';
import { apiReference, openApiOptions } from './http/apiReference.js';
import { installAuth, sessionBearers } from './http/auth.js';
import { clientErrorHandler } from './http/clientErrors.js';
import { installBodyParsers } from './http/bodies.js';
import { installControlCharacterCheck } from './http/controlCharacters.js';
import { installCrossSiteProtection } from './http/crossSite.js';
import { errorBodySchema, frameworkErrorHandler, installErrorHandling } from './http/errorHandling.js';
import { createLogger, lazyRequestLogger } from './logger.js';
import { installOperations, requestIdFor, type Operations } from './ops/index.js';
import { AuthorizationEndpoint, installationFinder } from './oauth/authorize.js';
import { authorizeRoutes } from './oauth/authorizeRoutes.js';
import { introspectionRoutes, introspectSessionBearer } from './oauth/routes.js';
import { accessTokenSessionInfo, adminScopeAllows, oauthBearers } from './oauth/bearer.js';
import { AuthorizationServer } from './oauth/grants.js';
import { SigningKeys } from './oauth/keys.js';
import { authorizationServerRoutes } from './oauth/server.js';
import { BruteForceGuard } from './security/bruteForce.js';
import { PasswordHasher } from './security/passwords.js';
import { LoginFlow } from './login/flow.js';
import { ApiKeyLogin } from './login/methods/apiKey.js';
import { PasswordLogin } from './login/methods/password.js';
import { SamlAssertionLogin } from './login/methods/samlAssertion.js';
import { OidcTokenLogin } from './login/methods/oidcToken.js';
import { OidcProviders } from './sso/oidc.js';
import { OidcBrowserFlow } from './sso/browser.js';
import { oidcRoutes } from './login/oidcRoutes.js';
import { oidcSignInOption, sameOriginPath } from './sso/model.js';
import { accountSettings } from './accounts/model.js';
import { SecondFactorLogin } from './login/methods/secondFactor.js';
import { secondFactorHook } from './login/secondFactor.js';
import { SecretBox } from './factors/secrets.js';
import { SecondFactors } from './factors/service.js';
import { Passkeys } from './factors/passkeys.js';
import { factorRoutes } from './factors/routes.js';
import { loginRoutes } from './login/routes.js';
import { AttemptRunner } from './login/runner.js';
import { SessionCore } from './sessions/core.js';
import { hashToken } from './security/tokens.js';
import { sessionRoutes } from './sessions/routes.js';
import type { Stores } from './store/index.js';

export interface AppDeps {
  config: Config;
  stores: Stores;
  clock?: Clock;
  logger?: Logger;
  hasher?: PasswordHasher;
  httpTimeouts?: Partial<HttpTimeouts>;
}

/**
 * Bounds on slow or idle clients, so connections that trickle their headers
 * (slowloris) or never finish a body are closed and cannot pile up.
 */
export interface HttpTimeouts {
  /** The whole request head must arrive within this. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this; above common load balancers' 60 s so they close first. */
  keepAliveTimeoutMs: number;
  /** How often connections are checked against the two timeouts above (Node's connectionsCheckingInterval). */
  checkIntervalMs: number;
}

export interface Services {
  clock: Clock;
  hasher: PasswordHasher;
  audit: AuditLog;
  guard: BruteForceGuard;
  /** The session core: open, refresh, logout, bearer check. */
  sessions: SessionCore;
  /** Attempt bookkeeping shared by every way of proving who one is. */
  runner: AttemptRunner;
  login: LoginFlow;
  /** The OAuth signing keys of this instance (cached, re-read from the store). */
  keys: SigningKeys;
  /** The OAuth 2.0 authorization server: grants, revocation, introspection. */
  oauth: AuthorizationServer;
  /** The OpenID Connect providers' discovery documents and keys, cached. */
  oidcProviders: OidcProviders;
  /** Second factors: enrolment, the second step's checks, tickets, reset. */
  factors: SecondFactors;
  passkeys: Passkeys;
}

export interface App {
  app: FastifyInstance;
  services: Services;
  /** Readiness (flipped by a graceful shutdown) and metrics. */
  ops: Operations;
}

/**
 * Access lines at debug, not info: at tens of thousands of requests a second a
 * line per request would cost more than the request. ACCESS_LOG=true asks for
 * them at info. A line names the route and the path without its query string:
 * a query may carry a client secret or a token, and no route has one in its path.
 * Errors still log at error.
 */
class AccessLog extends LogController {
  constructor(private readonly atInfo: boolean) {
    super();
  }
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, request: any, reply: any): void {
    if (error) return super.requestCompleted(error, request, reply);
    const level = this.atInfo ? 'info' : 'debug';
    if (request.log.isLevelEnabled(level)) {
      const path = String(request.url).split('?')[0];
      request.log[level]({ method: request.method, url: request.routeOptions?.url, path, statusCode: reply.statusCode, ms: reply.elapsedTime }, 'request completed');
    }
  }
}

export function createServices(deps: AppDeps, logger: Logger): Services {
  const clock = deps.clock ?? systemClock;
  const hasher = deps.hasher ?? new PasswordHasher(undefined, deps.config.hashConcurrency, deps.config.hashQueueLimit);
  const audit = new AuditLog(deps.stores.events, clock, (err) => logger.error({ err }, 'audit event not stored'));
  const guard = new BruteForceGuard(deps.stores.counters, audit, deps.config.loginFailuresPerMinute);
  const { stores } = deps;
  const sessions = new SessionCore({ stores, clock, audit, failuresPerMinute: deps.config.loginFailuresPerMinute });
  const runner = new AttemptRunner({ stores, clock, audit, guard });
  const oidcProviders = new OidcProviders();
  const factors = new SecondFactors({ stores, clock, audit, box: new SecretBox(deps.config.mfaEncryptionKeys), issuer: 'Login Service' });
  const passkeys = new Passkeys({ stores, clock, factors });
  // Asked in this order: an SSO body may carry fields of the others, which its method refuses; a second step
  // (`mfaToken`) before the password; an ID token (`jwt` alone) last, since password and API key bodies of the
  // original's clients may carry a `jwt` too.
  const methods = [
    new SamlAssertionLogin({ stores }),
    new SecondFactorLogin({ stores, factors, passkeys }),
    new PasswordLogin({ stores, hasher, audit }),
    new ApiKeyLogin({ stores, audit }),
    new OidcTokenLogin({ stores, providers: oidcProviders }),
  ];
  const login = new LoginFlow({
    stores,
    runner,
    sessions,
    methods,
    afterAuthenticate: [secondFactorHook(factors)],
    publicHost: deps.config.publicHost,
    serverTimeZone: deps.config.serverTimeZone,
  });
  const keys = new SigningKeys({ stores, clock, refreshMs: deps.config.oauthKeysRefreshSeconds * 1000 });
  const oauth = new AuthorizationServer({ stores, clock, keys, guard, audit, issuerOrigin: () => publicOrigin(deps.config) });
  return { clock, hasher, audit, guard, sessions, runner, login, keys, oauth, oidcProviders, factors, passkeys };
}

const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i;

/**
 * The origin clients reach this server at, as OAuth issuers name it:
 * `https://PUBLIC_HOST`, or `http://` when the server serves plain HTTP on a
 * loopback PUBLIC_HOST (development, tests). Read at each use: the host is
 * known only once the server listens when it picks its own port.
 */
export function publicOrigin(config: Pick<Config, 'publicHost' | 'tlsCertFile'>): string {
  const plain = config.tlsCertFile === null && LOOPBACK_HOST.test(config.publicHost);
  return `${plain ? 'http' : 'https'}://${config.publicHost}`;
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, stores } = deps;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const services = createServices(deps, logger);
  const tls = config.tlsCertFile && config.tlsKeyFile
    ? { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) }
    : null;

  const timeouts: HttpTimeouts = {
    headersTimeoutMs: config.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    keepAliveTimeoutMs: config.keepAliveTimeoutMs,
    checkIntervalMs: 1_000,
    ...deps.httpTimeouts,
  };
  // Node reads these only when the server is created; the check interval is its default of 30 s otherwise.
  const serverOptions = { headersTimeout: timeouts.headersTimeoutMs, requestTimeout: timeouts.requestTimeoutMs, connectionsCheckingInterval: timeouts.checkIntervalMs };
  const headers = responseHeaders(tls !== null);
  const app = Fastify({
    ...(tls ? { https: { ...tls, ...serverOptions } } : { http: serverOptions }),
    loggerInstance: logger,
    logController: new AccessLog(config.accessLog),
    childLoggerFactory: lazyRequestLogger as never,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    // Slow or never-finished requests must not hold the server: bound headers and whole requests.
    connectionTimeout: 0,
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    // While closing, a request that arrives on a still-open keep-alive connection is served (with
    // Connection: close) rather than refused: the store is still open, and the client gets its answer.
    return503OnClosing: false,
    genReqId: requestIdFor,
    frameworkErrors: frameworkErrorHandler(services.clock, config.serverTimeZone),
    clientErrorHandler: clientErrorHandler(services.clock, config.serverTimeZone, logger),
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  }) as unknown as FastifyInstance;
  app.server.headersTimeout = timeouts.headersTimeoutMs;

  installErrorHandling(app, services.clock, config.serverTimeZone);
  app.addSchema(errorBodySchema);

  await installBodyParsers(app);
  installControlCharacterCheck(app);
  await app.register(cookie);
  // The headers never vary: one synchronous hook and a constant object, nothing built per request.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });

  await app.register(swagger, openApiOptions(ADMIN_TAGS));

  // Before the API routes, so its hooks (request id, metrics) apply to them.
  const ops = installOperations(app, { config, stores, services });
  await installCrossSiteProtection(app, config.allowedOrigins);
  // Refusal counts still held for the current minute are stored before the store closes.
  app.addHook('onClose', async () => services.audit.flush());

  const secureCookie = tls !== null;
  await app.register(loginRoutes(services.login, { stores, ...services }, { secureCookie }));
  const accessTokenInfo = (accountId: string, token: string) => accessTokenSessionInfo(services.oauth, (a) => stores.directory.listProfiles(a), accountId, token);
  await app.register(sessionRoutes(services.sessions, { secureCookie, otherBearers: accessTokenInfo }));
  const oidcBrowser = new OidcBrowserFlow({ providers: services.oidcProviders, stores, clock: services.clock, secret: config.ssoStateSecret });
  await app.register(oidcRoutes({ flow: services.login, runner: services.runner, browser: oidcBrowser, stores }, { secureCookie }));
  await app.register(domainRoutes(stores, config.publicHost));
  await app.register(introspectionRoutes(services.sessions, stores, (accountId, token) => services.oauth.introspect(accountId, token)));
  await app.register(
    authorizationServerRoutes({
      server: services.oauth,
      keys: services.keys,
      accountExists: async (accountId) => (await stores.accounts.getAccount(accountId)) !== null,
      introspectSessionBearer: (accountId, token) => introspectSessionBearer(services.sessions, accountId, token) as Promise<unknown> as Promise<Record<string, unknown>>,
    }),
  );
  // The browser side of the authorization server: the authorization request, its sign-in page, RP-initiated logout.
  const findClient = installationFinder(stores);
  const authorization = new AuthorizationEndpoint({
    stores,
    codes: stores.oauth,
    findClient,
    clock: services.clock,
    audit: services.audit,
    issuer: (accountId) => services.oauth.issuer(accountId),
  });
  await app.register(
    authorizeRoutes({
      endpoint: authorization,
      login: services.login,
      sessions: services.sessions,
      findClient,
      clock: services.clock,
      secureCookie,
      // "Sign in with <provider>" when the account has an OpenID Connect connection; it comes back to the authorization request.
      async signInOptions(accountId, returnTo) {
        const account = await stores.accounts.getAccount(accountId);
        const option = account ? oidcSignInOption(accountId, accountSettings(account)) : null;
        if (!option || sameOriginPath(returnTo) === null) return [];
        return [{ label: option.label, href: option.startUrl(returnTo) }];
      },
    }),
  );
  const auth = installAuth(app, {
    // OAuth access tokens first: their resolver passes on anything that is not a JWT, the session resolver refuses what it does not know.
    resolvers: [oauthBearers(services.oauth), sessionBearers(services.sessions, async (bearer) => (await stores.sessions.findSessionByBearer(hashToken(bearer)))?.accountId ?? null)],
    scopeAllows: adminScopeAllows,
    currentRights: async (accountId, userId) => {
      const user = await stores.users.getUserById(accountId, userId);
      if (!user || user.deleted || !user.enabled) return null;
      return { isAdmin: privilegesOf(user.profileIds, await stores.directory.listProfiles(accountId)).isAdmin };
    },
  });
  await app.register(factorRoutes({ stores, factors: services.factors, passkeys: services.passkeys }, auth));
  await app.register(adminRoutes({ stores, ...services, publicHost: config.publicHost }, auth));
  if (config.console) {
    await app.register(consoleRoutes());
    // Someone who opens the server's address in a browser finds the console.
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/', 302));
  }

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  if (config.apiDocs) await app.register(apiReference);

  return { app, services, ops };
}

/**
 * Headers every response carries: OWASP's set for JSON APIs (REST Security
 * Cheat Sheet) and `Cache-Control: no-store`, since responses carry tokens or
 * per-user data. Helmet's other headers (COOP, CORP, Origin-Agent-Cluster, …)
 * govern HTML documents in browsers and only add bytes to every answer here.
 * A route may still set its own Cache-Control.
 */
export function responseHeaders(tls: boolean): Record<string, string> {
  return {
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    ...(tls ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}
