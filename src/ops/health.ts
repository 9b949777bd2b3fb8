/**
 * Liveness and readiness, for load balancers and orchestrators.
 * - GET /healthz: the process answers (restart it when it does not).
 * - GET /readyz: the store answers and the process is not shutting down
 *   (send it traffic only when it does). Otherwise 503 in the API's error shape.
 */
import type { FastifyInstance } from 'fastify';
import { errorResponse } from '../http/errorHandling.js';
import { ApiError, InternalCode } from '../http/errors.js';
import type { Stores } from '../store/index.js';

/** A store that does not answer within this is as unready as one that refuses. */
export const READINESS_TIMEOUT_MS = 2_000;

export const HEALTH_ROUTE = '/healthz';
export const READINESS_ROUTE = '/readyz';

export class Readiness {
  /** Set at the start of a graceful shutdown: readiness fails while in-flight work finishes. */
  shuttingDown = false;

  constructor(
    private readonly stores: Pick<Stores, 'ping'>,
    private readonly timeoutMs = READINESS_TIMEOUT_MS,
  ) {}

  /** Null when ready; otherwise why not. */
  async problem(): Promise<string | null> {
    if (this.shuttingDown) return 'shutting down';
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(resolve, this.timeoutMs, 'timeout');
    });
    try {
      const outcome = await Promise.race([this.stores.ping().then(() => 'ok' as const), timeout]);
      return outcome === 'ok' ? null : 'store did not answer in time';
    } catch {
      return 'store unreachable';
    } finally {
      clearTimeout(timer);
    }
  }
}

const statusSchema = (description: string, value: string) =>
  ({ type: 'object', description, properties: { status: { type: 'string', enum: [value] } } }) as const;

export function healthRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get(
    HEALTH_ROUTE,
    { schema: { tags: ['operations'], summary: 'Process is alive', response: { 200: statusSchema('Alive', 'ok') } } },
    async () => ({ status: 'ok' }),
  );
  app.get(
    READINESS_ROUTE,
    {
      schema: {
        tags: ['operations'],
        summary: 'Ready for traffic: store reachable, not shutting down',
        response: { 200: statusSchema('Ready', 'ready'), 503: errorResponse },
      },
    },
    async () => {
      const problem = await readiness.problem();
      if (problem) throw new ApiError(503, InternalCode.UNAVAILABLE, `Not ready: ${problem}`);
      return { status: 'ready' };
    },
  );
}
