/**
 * The bearer check's fast lane. Other services check a bearer on every call
 * they serve, so `GET /api/account/{accountId}/session` is the busiest route
 * by far. A well-formed check of a live session is answered here, on the HTTP
 * server's request event, before Fastify's routing, hooks and reply objects:
 * the same store read, the same body (serialized from the route's own
 * schema), the same headers and the same metrics as the route. On a server
 * that answers every route, as a production one does, that is ~7% more
 * checks per second (docs/BENCHMARKS.md, change 14): Fastify's call sites
 * are shared by all routes, the lane's see only this one.
 *
 * Everything else goes to Fastify unchanged: other routes and methods, an
 * account id or URL this lane does not parse plainly, a request with a body,
 * a missing or malformed Authorization header, an unknown, expired or
 * foreign bearer (the route answers 401 in the documented shape), a store
 * error, debug logging (the route writes the access line), and every request
 * once the app is closing (the route adds `Connection: close`). The lane
 * never answers an error of its own, so its answers are a subset of the
 * route's, which test/sessions/bearerLane.test.ts checks response by response.
 *
 * What the lane does in place of Fastify's hooks: the app's response headers,
 * the request id (`requestIdFor`) and the metrics hook's count. A hook added
 * to the app later must be mirrored here, or the check must fall through; the
 * test compares headers with the route's, so one that adds a header shows.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import fastJsonStringify from 'fast-json-stringify';
import type { Logger } from 'pino';
import { bearerToken } from '../http/request.js';
import type { ServiceMetrics } from '../ops/metrics.js';
import { REQUEST_ID_HEADER, requestIdFor } from '../ops/requestId.js';
import type { BearerSession } from './model.js';
import { sessionInfoSchema } from './routes.js';
import { toSessionInfo, type SessionService } from './service.js';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

const PREFIX = '/api/account/';
const SUFFIX = '/session';
/** Account ids that need no decoding and that the route's schema accepts (maxLength 64). */
const PLAIN_ACCOUNT_ID = /^[A-Za-z0-9._~-]{1,64}$/;

export interface BearerLaneOptions {
  service: SessionService;
  /** Headers every response carries (app.ts: `responseHeaders`). */
  headers: Record<string, string>;
  logger: Logger;
}

export class BearerCheckLane {
  private readonly serialize = fastJsonStringify(sessionInfoSchema);
  private readonly headers: Record<string, string>;
  private closing = false;
  /** Set once the app's metrics exist (they are installed after the server is created). */
  metrics: ServiceMetrics | null = null;

  constructor(private readonly o: BearerLaneOptions) {
    // Fastify's order: the app's onRequest headers, then the request id, then the content type.
    this.headers = { ...o.headers, [REQUEST_ID_HEADER]: '', 'content-type': 'application/json; charset=utf-8' };
  }

  /** From now on every request goes to the route (called when the app starts closing). */
  close(): void {
    this.closing = true;
  }

  /** The server's request listener: this lane first, `fallback` (Fastify's handler) for the rest. */
  listener(fallback: RequestListener): RequestListener {
    return (request, response) => {
      const accountId = this.closing ? null : this.accountIdOf(request);
      const token = accountId === null ? null : bearerToken(request.headers.authorization);
      if (token === null || this.o.logger.isLevelEnabled('debug')) return fallback(request, response);
      const started = performance.now();
      this.o.service
        .findLiveBearerSession(accountId!, token)
        .then(
          (session) => (session === null ? fallback(request, response) : this.answer(request, response, session, started)),
          () => fallback(request, response),
        )
        .catch((err: unknown) => {
          // Not expected (the answer is a constant shape); never an unhandled rejection, never a hung client.
          this.o.logger.error({ err }, 'bearer check fast lane failed');
          if (response.headersSent) response.destroy();
          else fallback(request, response);
        });
    };
  }

  /** The account id of a plain `GET /api/account/{id}/session[?query]` without a body, else null. */
  private accountIdOf(request: IncomingMessage): string | null {
    if (request.method !== 'GET') return null;
    const url = request.url!;
    if (!url.startsWith(PREFIX)) return null;
    const query = url.indexOf('?', PREFIX.length);
    const path = query === -1 ? url : url.slice(0, query);
    if (!path.endsWith(SUFFIX)) return null;
    const accountId = path.slice(PREFIX.length, path.length - SUFFIX.length);
    if (!PLAIN_ACCOUNT_ID.test(accountId)) return null;
    const headers = request.headers;
    if (headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined) return null;
    return accountId;
  }

  private answer(request: IncomingMessage, response: ServerResponse, session: BearerSession, started: number): void {
    const body = this.serialize(toSessionInfo(session));
    const headers = { ...this.headers };
    headers[REQUEST_ID_HEADER] = requestIdFor(request);
    headers['content-length'] = String(Buffer.byteLength(body));
    response.writeHead(200, headers);
    response.end(body);
    this.metrics?.countBearerCheck(200, (performance.now() - started) / 1000);
  }
}
