/**
 * A small HTTP server for `METRICS_PORT`: GET /metrics only. It keeps metrics
 * off the public port, and in the cluster primary it answers with the sum over
 * all workers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { METRICS_ROUTE } from './metrics.js';

export interface MetricsSource {
  contentType: string;
  render(): Promise<string>;
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(source: MetricsSource, options: { port: number; host: string; logger: Logger }): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== METRICS_ROUTE) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    source.render().then(
      (body) => response.writeHead(200, { 'content-type': source.contentType, 'cache-control': 'no-store' }).end(body),
      (err) => {
        options.logger.warn({ err }, 'metrics scrape failed');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
