/**
 * A small service of the platform that accepts Login Service bearers: every
 * route but /healthz needs `Authorization: Bearer …`, checked (and cached for
 * a few seconds) by bearerAuthPlugin.
 *
 * Run: LOGIN_SERVICE_URL=https://login.example.com ACCOUNT_ID=123456 PORT=8090 npx tsx examples/protected-service.ts
 */
import { pathToFileURL } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { bearerAuthPlugin } from '@login-service/client/fastify';

export interface ProtectedServiceOptions {
  /** Base URL of the Login Service, e.g. https://login.example.com */
  loginServiceUrl: string;
  accountId: string;
  cacheTtlMs?: number;
  logger?: boolean;
}

export async function buildProtectedService(options: ProtectedServiceOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false });
  await app.register(bearerAuthPlugin, { baseUrl: options.loginServiceUrl, accountId: options.accountId, cacheTtlMs: options.cacheTtlMs });

  app.get('/healthz', { config: { bearerAuth: false } }, async () => ({ status: 'ok' }));

  app.get('/whoami', async (request) => {
    const session = request.loginSession!;
    return {
      accountId: session.accountId,
      userId: session.userId,
      loginName: session.loginName,
      privileges: session.userPrivileges,
      isAdmin: session.isAdmin,
      kind: session.appKey === null ? 'agent' : 'bot',
    };
  });
  return app;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { LOGIN_SERVICE_URL, ACCOUNT_ID } = process.env;
  if (!LOGIN_SERVICE_URL || !ACCOUNT_ID) {
    console.error('LOGIN_SERVICE_URL and ACCOUNT_ID are required (PORT, HOST optional)');
    process.exit(2);
  }
  const app = await buildProtectedService({ loginServiceUrl: LOGIN_SERVICE_URL, accountId: ACCOUNT_ID, logger: true });
  await app.listen({ port: Number(process.env.PORT ?? 8090), host: process.env.HOST ?? '127.0.0.1' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
}
