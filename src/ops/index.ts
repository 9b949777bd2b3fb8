/**
 * The operations surface of the app: request ids, health and readiness,
 * metrics. `buildApp` calls `installOperations` before it registers the API
 * routes, so the hooks here apply to every route.
 */
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { AuditLog } from '../events/audit.js';
import type { Stores } from '../store/index.js';
import { HEALTH_ROUTE, READINESS_ROUTE, Readiness, healthRoutes } from './health.js';
import { METRICS_ROUTE, ServiceMetrics } from './metrics.js';
import { REQUEST_ID_HEADER } from './requestId.js';

export { requestIdFor } from './requestId.js';
export { Readiness } from './health.js';
export { ServiceMetrics } from './metrics.js';

export interface Operations {
  readiness: Readiness;
  /** Null when metrics are turned off (METRICS=false). */
  metrics: ServiceMetrics | null;
}

export interface OperationsDeps {
  config: Pick<Config, 'metrics' | 'metricsPort'>;
  stores: Stores;
  services: { clock: Clock; audit: AuditLog };
}

export function installOperations(app: FastifyInstance, { config, stores, services }: OperationsDeps): Operations {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });

  const readiness = new Readiness(stores);
  healthRoutes(app, readiness);

  if (!config.metrics) return { readiness, metrics: null };
  const metrics = new ServiceMetrics({
    stores,
    clock: services.clock,
    audit: services.audit,
    quietRoutes: [HEALTH_ROUTE, READINESS_ROUTE, METRICS_ROUTE],
    onCountError: (err) => app.log.warn({ err }, 'counting active sessions failed'),
  });
  metrics.instrument(app);
  // By default metrics have their own listener (METRICS_PORT, see serve.ts); 0 puts them on the public port.
  if (config.metricsPort === 0) {
    app.get(METRICS_ROUTE, { schema: { tags: ['operations'], summary: 'Prometheus metrics of this process' } }, async (_request, reply) => {
      reply.type(metrics.contentType);
      return metrics.render();
    });
  }
  return { readiness, metrics };
}
