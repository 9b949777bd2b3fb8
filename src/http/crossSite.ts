/**
 * Browsers attach cookies to cross-site requests, so a page elsewhere could
 * post a form (or JSON labelled text/plain) to the login and replace the
 * visitor's session (login CSRF). One onRequest hook refuses, on every
 * state-changing method, what a browser marks as cross-site:
 * `Sec-Fetch-Site: cross-site`, or an `Origin` that is neither this server's
 * own nor listed in ALLOWED_ORIGINS. Clients that are not browsers send
 * neither header and are unaffected.
 *
 * The listed origins, and only those, also get CORS with credentials
 * (@fastify/cors answers their preflights).
 */
import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, InternalCode } from './errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function crossSiteRefused(): ApiError {
  return new ApiError(403, InternalCode.CROSS_SITE_REFUSED, 'Cross-site request refused: this origin may not call the API from a browser');
}

/**
 * True when the origin is the one the request was addressed to. The scheme is
 * not compared: behind a proxy that ends TLS the server may see http while
 * the browser says https.
 */
function isOwnOrigin(origin: string, request: FastifyRequest): boolean {
  const host = request.host.toLowerCase();
  return origin === `https://${host}` || origin === `http://${host}`;
}

/** True when a browser's request may change state here. Header values are the browser's: a page cannot forge them. */
export function isAllowedFromBrowser(request: FastifyRequest, allowedOrigins: ReadonlySet<string>): boolean {
  const site = request.headers['sec-fetch-site'];
  const origin = request.headers.origin?.toLowerCase();
  if (origin !== undefined && allowedOrigins.has(origin)) return true;
  if (site === 'cross-site') return false;
  if (site === 'same-origin') return true;
  // "null" (sandboxed frames, some redirects) is never this server's origin.
  return origin === undefined || isOwnOrigin(origin, request);
}

export async function installCrossSiteProtection(app: FastifyInstance, allowedOrigins: readonly string[]): Promise<void> {
  const allowed = new Set(allowedOrigins.map((o) => o.toLowerCase()));
  app.addHook('onRequest', (request, _reply, done) => {
    if (SAFE_METHODS.has(request.method) || isAllowedFromBrowser(request, allowed)) return done();
    done(crossSiteRefused());
  });
  if (allowed.size === 0) return;
  await app.register(cors, {
    origin: [...allowed],
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  });
}
