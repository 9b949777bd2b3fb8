/**
 * Prometheus metrics (prom-client), one Registry per app so several apps can
 * live in one process (tests) and each worker reports its own numbers.
 *
 * Where the numbers come from:
 * - logins and lockouts: the audit log's events, so the session logic needs
 *   no metrics code. One exception: a rate-limited login is counted from its
 *   429 answer, because the guard refuses it before the method is known to it.
 * - refreshes, logouts, bearer checks and request latency: one onResponse hook,
 *   labelled by route pattern (never the raw URL, which holds account ids).
 * - active sessions: counted in the store when scraped, cached in proportion
 *   to what counting costs (see `activeSessions`).
 *
 * The per-request cost is kept to a Map lookup and a few additions on plain
 * numbers: prom-client's own observe/inc validate and hash their labels on
 * every call, a cost of the same order as the bearer check itself. The
 * request-path numbers are handed to prom-client only when scraped.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../clock.js';
import type { AuditLog } from '../events/audit.js';
import type { AuditEvent } from '../events/model.js';
import { InternalCode, apiErrorOf } from '../http/errors.js';
import type { Stores } from '../store/index.js';

export const METRICS_ROUTE = '/metrics';

/** Route patterns as the session routes declare them. */
export const SESSION_ROUTES = {
  login: '/api/account/:accountId/login',
  refresh: '/api/account/:accountId/refresh',
  logout: '/api/account/:accountId/logout',
  bearerCheck: '/api/account/:accountId/session',
} as const;

export const LOGIN_METHODS = ['password', 'apikey'] as const;
export const LOGIN_RESULTS = ['success', 'failure', 'locked', 'rate_limited', 'expired'] as const;
export const COOKIE_RESULTS = ['success', 'session_invalid', 'csrf_mismatch', 'bad_request', 'error'] as const;
export const BEARER_RESULTS = ['success', 'invalid', 'bad_request', 'error'] as const;

type LoginMethod = (typeof LOGIN_METHODS)[number];
type LoginResult = (typeof LOGIN_RESULTS)[number];
type CookieResult = (typeof COOKIE_RESULTS)[number];
type BearerResult = (typeof BEARER_RESULTS)[number];

/** Seconds; from sub-millisecond bearer checks to argon2-bound logins under load. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Counting is cached for this many times what it took, so a scrape costs the store at most ~1% of one connection. */
const COUNT_CACHE_FACTOR = 100;
const COUNT_CACHE_MAX_MS = 30_000;

export interface ServiceMetricsOptions {
  stores: Pick<Stores, 'sessions' | 'backend'>;
  clock: Clock;
  audit: AuditLog;
  /** Routes left out of the latency histogram (probes and scrapes would drown the real traffic). */
  quietRoutes?: string[];
  /** Process metrics (CPU, memory, event loop, GC). */
  defaultMetrics?: boolean;
  onCountError?: (error: unknown) => void;
}

interface Inc {
  inc(): void;
}

type Labels = Record<string, string | number>;

/**
 * Counts by one label, as plain numbers; exported through a prom-client
 * Counter whose collect() copies them in at scrape time.
 */
class ResultCounts<R extends string> {
  readonly counts: Record<R, number>;

  constructor(name: string, help: string, results: readonly R[], registers: Registry[]) {
    this.counts = Object.fromEntries(results.map((r) => [r, 0])) as Record<R, number>;
    const counts = this.counts;
    new Counter({
      name,
      help,
      labelNames: ['result'],
      registers,
      collect() {
        this.reset();
        for (const result of results) this.inc({ result }, counts[result]);
      },
    });
  }
}

interface LatencySeries {
  labels: Labels;
  /** Observations per bucket (not cumulative); the last is above every bound. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * The request latency histogram. Observing is a Map lookup, a short scan of
 * the bounds and three additions. It is registered with the registry as a
 * metric object (`registerMetric`, the same way prom-client's cluster
 * aggregation exports histograms), so prom-client renders and aggregates it.
 */
class LatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, LatencySeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {}

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${status} ${method} ${route}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = { labels: { method, route, status_code: String(status) }, buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    let bucket = 0;
    while (bucket < this.bounds.length && seconds > this.bounds[bucket]!) bucket++;
    series.buckets[bucket]!++;
    series.sum += seconds;
    series.count++;
  }

  async get() {
    const values: Array<{ metricName: string; labels: Labels; value: number }> = [];
    for (const { labels, buckets, sum, count } of this.series.values()) {
      let cumulative = 0;
      for (const [i, le] of this.bounds.entries()) {
        cumulative += buckets[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels, value: count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}

/** Exported at 0 from the start, so rate() has a baseline. */
function zeroed(child: { inc(value?: number): void }): Inc {
  child.inc(0);
  return child;
}

function cookieResult(status: number, code: number | undefined): CookieResult {
  if (status < 300) return 'success';
  if (status === 401) return code === InternalCode.CSRF_INVALID ? 'csrf_mismatch' : 'session_invalid';
  return status >= 500 ? 'error' : 'bad_request';
}

function bearerResult(status: number): BearerResult {
  if (status < 300) return 'success';
  if (status === 401) return 'invalid';
  return status >= 500 ? 'error' : 'bad_request';
}

const loginMethodOf = (value: unknown): LoginMethod => (value === 'apikey' ? 'apikey' : 'password');

export class ServiceMetrics {
  readonly registry = new Registry();
  /** Audit-driven: one increment per login attempt, which costs an argon2 verification anyway. */
  private readonly logins: Record<LoginMethod, Record<LoginResult, Inc>>;
  private readonly lockouts: Counter<string>;
  private readonly refreshes: ResultCounts<CookieResult>;
  private readonly logouts: ResultCounts<CookieResult>;
  private readonly bearerChecks: ResultCounts<BearerResult>;
  private readonly latency: LatencyHistogram;
  private readonly quietRoutes: Set<string>;
  /** The internal code of an API error, kept from onError until onResponse. */
  private readonly errorCodes = new WeakMap<FastifyRequest, number>();
  private sessionCount: { value: number; validUntil: number } | null = null;
  private counting: Promise<void> | null = null;

  constructor(private readonly o: ServiceMetricsOptions) {
    const registers = [this.registry];
    this.quietRoutes = new Set(o.quietRoutes ?? []);
    if (o.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });

    const logins = new Counter({
      name: 'login_service_logins_total',
      help: 'Login attempts by method (password, apikey) and result (success, failure, locked, rate_limited, expired)',
      labelNames: ['method', 'result'],
      registers,
    });
    this.logins = { password: {} as Record<LoginResult, Inc>, apikey: {} as Record<LoginResult, Inc> };
    for (const method of LOGIN_METHODS) for (const result of LOGIN_RESULTS) this.logins[method][result] = zeroed(logins.labels({ method, result }));

    this.lockouts = new Counter({
      name: 'login_service_lockouts_total',
      help: 'Failed logins that (re)started a user lock: each failure at or past the threshold extends it',
      registers,
    });
    this.refreshes = new ResultCounts('login_service_refreshes_total', 'Refresh requests by result', COOKIE_RESULTS, registers);
    this.logouts = new ResultCounts('login_service_logouts_total', 'Logout requests by result', COOKIE_RESULTS, registers);
    this.bearerChecks = new ResultCounts('login_service_bearer_checks_total', 'Bearer checks by result', BEARER_RESULTS, registers);

    this.latency = new LatencyHistogram(
      'login_service_http_request_duration_seconds',
      'Time from request received to response sent, by route pattern and status code',
      LATENCY_BUCKETS,
    );
    this.registry.registerMetric(this.latency as unknown as Histogram<string>);

    const metrics = this;
    new Gauge({
      name: 'login_service_sessions_active',
      help: 'Unexpired sessions in the store (the whole store, not this process: every instance reports the same number)',
      registers,
      // Workers report the same store-wide count: summing them would multiply it.
      aggregator: 'max',
      async collect() {
        const value = await metrics.activeSessions();
        if (value !== null) this.set(value);
      },
    });
    new Gauge({
      name: 'login_service_info',
      help: 'Always 1; labels describe this server',
      labelNames: ['backend'],
      registers,
      aggregator: 'first',
    }).set({ backend: o.stores.backend }, 1);

    o.audit.onEvent((event) => this.countAuditEvent(event));
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** Hooks the app: latency and per-route results for every response, API error codes on the way. */
  instrument(app: FastifyInstance): void {
    app.addHook('onError', (request, _reply, error, done) => {
      const answer = apiErrorOf(error);
      if (answer) this.errorCodes.set(request, answer.internalCode);
      done();
    });
    app.addHook('onResponse', (request, reply, done) => {
      this.countResponse(request, reply);
      done();
    });
  }

  countResponse(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? 'unmatched';
    if (this.quietRoutes.has(route)) return;
    const status = reply.statusCode;
    this.latency.observe(request.method, route, status, reply.elapsedTime / 1000);

    switch (route) {
      case SESSION_ROUTES.bearerCheck:
        this.bearerChecks.counts[bearerResult(status)]++;
        break;
      case SESSION_ROUTES.refresh:
        this.refreshes.counts[cookieResult(status, this.errorCodes.get(request))]++;
        break;
      case SESSION_ROUTES.logout:
        this.logouts.counts[cookieResult(status, this.errorCodes.get(request))]++;
        break;
      case SESSION_ROUTES.login:
        if (status === 429) {
          const body = request.body as Record<string, unknown> | undefined;
          this.logins[body && typeof body === 'object' && 'appKey' in body ? 'apikey' : 'password'].rate_limited.inc();
        }
        break;
    }
  }

  countAuditEvent(event: AuditEvent): void {
    switch (event.type) {
      case 'login_success':
        this.logins[loginMethodOf(event.detail.method)].success.inc();
        break;
      case 'apikey_used':
        this.logins.apikey.success.inc();
        break;
      case 'login_failure':
        this.logins[loginMethodOf(event.detail.method)].failure.inc();
        break;
      case 'login_locked':
        this.logins[loginMethodOf(event.detail.method)].locked.inc();
        break;
      case 'password_expired':
        this.logins.password.expired.inc();
        break;
      case 'lockout':
        this.lockouts.inc();
        break;
    }
  }

  /**
   * Live sessions, counted in the store. A count that took t ms is reused for
   * 100·t ms (at most 30 s): on a small store every scrape is exact, on a store
   * of millions the count runs at most about once per 30 s whatever the number
   * of scrapers. Concurrent scrapes share one count. Null when the store has
   * never answered.
   */
  async activeSessions(): Promise<number | null> {
    const started = performance.now();
    if (this.sessionCount && started < this.sessionCount.validUntil) return this.sessionCount.value;
    this.counting ??= (async () => {
      try {
        const value = await this.o.stores.sessions.countLiveSessions(this.o.clock.now());
        const finished = performance.now();
        this.sessionCount = { value, validUntil: finished + Math.min((finished - started) * COUNT_CACHE_FACTOR, COUNT_CACHE_MAX_MS) };
      } catch (error) {
        // The last count stays; readiness reports the store itself.
        this.o.onCountError?.(error);
      } finally {
        this.counting = null;
      }
    })();
    await this.counting;
    return this.sessionCount?.value ?? null;
  }
}
