/**
 * The ceiling: bare Fastify routes returning a fixed small JSON, no plugins,
 * no logging, no store. No real endpoint can beat it on the same machine and
 * load generator, so our figures are read as a fraction of it.
 *
 * Besides the plain `GET /ceiling`, it answers the paths of the bearer check
 * and of refresh, so the generator can send it exactly the requests those
 * scenarios send (same headers, same JSON body, which Fastify parses): the
 * comparison then isolates what our server does with a request from what it
 * costs to build, send and parse it.
 */
import Fastify from 'fastify';
import { exitWithParent, failStart, report } from '../lib/child.js';

try {
  const app = Fastify({ logger: false });
  const fixed = { schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } };
  const answer = async () => ({ status: 'ok' });
  app.get('/ceiling', fixed, answer);
  app.get('/api/account/:accountId/session', fixed, answer);
  app.post('/api/account/:accountId/refresh', fixed, answer);
  await app.listen({ port: 0, host: '127.0.0.1' });
  exitWithParent(() => app.close());
  report({ type: 'ready', port: (app.server.address() as { port: number }).port });
} catch (error) {
  failStart(error);
}
