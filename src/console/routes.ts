/**
 * Serves the administrators' web console (console/ in the repository, built
 * by scripts/build-console.mjs into dist/public/console/) at /console/.
 *
 * The console is static: a page and its script and style, which call the
 * public login and administration APIs like any other client. Its responses
 * carry the page policy of http/pages.ts, strict but enough for a page
 * (the app's default, `default-src 'none'`, fits JSON answers only): nothing
 * inline, nothing from elsewhere. Asset names carry a hash of their content,
 * so they are cached for a year; the page itself is revalidated every time.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { PAGE_HEADERS, pageCsp } from '../http/pages.js';

/** Where the build puts the console; this module sits two levels below the package root, in src/ or dist/. */
export const CONSOLE_ROOT = fileURLToPath(new URL('../../dist/public/console/', import.meta.url));

// data: for the QR code of an authenticator app's enrolment (an SVG the server drew; an image runs no script).
export const CONSOLE_CSP = pageCsp({ 'img-src': "'self' data:" });

const HASHED = /^\/console\/assets\//;

export function consoleRoutes(options: { root?: string } = {}): FastifyPluginAsync {
  const root = options.root ?? CONSOLE_ROOT;
  return async function webConsole(app: FastifyInstance) {
    if (!existsSync(`${root}/index.html`)) {
      app.log.warn({ root }, 'the web console is not built (npm run build); /console/ answers 404');
      return;
    }
    app.addHook('onSend', async (request, reply, payload) => {
      reply.header('content-security-policy', CONSOLE_CSP);
      reply.headers(PAGE_HEADERS);
      // Files are served gzip- or brotli-compressed when the browser takes it.
      reply.header('vary', 'accept-encoding');
      if (reply.statusCode < 400) {
        reply.header('cache-control', HASHED.test(request.url) ? 'public, max-age=31536000, immutable' : 'no-cache');
      }
      return payload;
    });
    app.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/', 301));
    await app.register(fastifyStatic, {
      root,
      prefix: '/console/',
      cacheControl: false,
      preCompressed: true,
      decorateReply: false,
      schemaHide: true,
      dotfiles: 'deny',
    });
  };
}
