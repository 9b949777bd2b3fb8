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
 *
 * With `workers` > 1 it runs as our server does with `--workers`: a Node
 * cluster whose workers share one port.
 */
import cluster from 'node:cluster';
import Fastify from 'fastify';
import { childOptions, exitWithParent, failStart, report } from '../lib/child.js';

export interface CeilingOptions {
  workers?: number;
}

async function listen(): Promise<number> {
  const app = Fastify({ logger: false });
  const fixed = { schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } };
  const answer = async () => ({ status: 'ok' });
  app.get('/ceiling', fixed, answer);
  app.get('/api/account/:accountId/session', fixed, answer);
  app.post('/api/account/:accountId/refresh', fixed, answer);
  await app.listen({ port: 0, host: '127.0.0.1' });
  exitWithParent(() => app.close());
  return (app.server.address() as { port: number }).port;
}

try {
  const workers = childOptions<CeilingOptions>().workers ?? 1;
  if (workers <= 1) {
    report({ type: 'ready', port: await listen() });
  } else if (cluster.isPrimary) {
    // Workers listening on port 0 share the one port the primary picks.
    const ports: number[] = [];
    cluster.on('listening', (_worker, address) => {
      ports.push(address.port);
      if (ports.length === workers) report({ type: 'ready', port: ports[0] });
    });
    cluster.on('exit', (_worker, code) => {
      if (ports.length < workers) failStart(new Error(`a ceiling worker exited with ${code} before listening`));
    });
    for (let i = 0; i < workers; i++) cluster.fork();
    exitWithParent(() => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    });
  } else {
    await listen();
  }
} catch (error) {
  failStart(error);
}
