/**
 * Starts the real app on a real socket (127.0.0.1, random port) for end-to-end
 * tests, with a ManualClock so tests travel in time instead of sleeping.
 */
import { buildApp, type Services } from '../../src/app.js';
import type { Operations } from '../../src/ops/index.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createAccount } from '../../src/accounts/service.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { createApiKey, createUser, type IssuedApiKey } from '../../src/users/service.js';
import type { User } from '../../src/users/model.js';
import type { FastifyInstance } from 'fastify';

export interface TestServer {
  baseUrl: string;
  port: number;
  app: FastifyInstance;
  stores: Stores;
  services: Services;
  ops: Operations;
  clock: ManualClock;
  config: Config;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Environment-style settings, e.g. { DATABASE_URL: 'sqlite:/tmp/x.db' }. Defaults: in-memory SQLite, silent logs. */
  env?: Record<string, string>;
  clock?: ManualClock;
  /** Reuse stores (e.g. to restart on the same file). */
  stores?: Stores;
  /** Runs on the built app before it listens, while hooks can still be added. */
  beforeListen?(app: FastifyInstance): void;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent', SWEEP_INTERVAL_MS: '0', PORT: '0', SERVER_TIME_ZONE: 'UTC', ...options.env });
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
  const stores = options.stores ?? (await openStores({ databaseUrl: config.databaseUrl, redisUrl: config.redisUrl, redisKeyPrefix: config.redisKeyPrefix ?? undefined }));
  const { app, services, ops } = await buildApp({ config, stores, clock });
  options.beforeListen?.(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  const scheme = config.tlsCertFile ? 'https' : 'http';
  return {
    baseUrl: `${scheme}://127.0.0.1:${port}`,
    port,
    app,
    stores,
    services,
    ops,
    clock,
    config,
    async close() {
      await app.close();
      if (!options.stores) await stores.close();
    },
  };
}

export interface SeededAccount {
  accountId: string;
  human: { user: User; loginName: string; password: string };
  bot: { user: User; loginName: string; key: IssuedApiKey };
}

/** An account with one human (password) and one bot (API key). */
export async function seedAccount(server: Pick<TestServer, 'stores' | 'services'>, accountId = '123456', timeZone = 'Europe/Athens'): Promise<SeededAccount> {
  const deps = { stores: server.stores, clock: server.services.clock, hasher: server.services.hasher };
  await createAccount(server.stores, deps.clock, { accountId, name: `Test ${accountId}`, timeZone });
  const password = 'correct horse battery staple';
  const human = await createUser(deps, { accountId, loginName: 'Agent.Smith', password, privileges: [100, 101, 1730], isAdmin: true });
  const { issued } = await createApiKey(server.stores, deps.clock, accountId, 'test bot key');
  const bot = await createUser(deps, { accountId, loginName: 'bot-1', bot: true, appKey: issued.appKey, privileges: [1800] });
  return {
    accountId,
    human: { user: human, loginName: 'Agent.Smith', password },
    bot: { user: bot, loginName: 'bot-1', key: issued },
  };
}

/** POST JSON over the real socket; returns status, parsed body (or text) and headers. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {}
  return { status: res.status, json, text, headers: res.headers };
}

/** The Session_id value from a response's Set-Cookie header. */
export function sessionCookie(headers: Headers): string | undefined {
  const set = headers.getSetCookie().find((c) => c.startsWith('Session_id='));
  return set?.split(';')[0]?.slice('Session_id='.length);
}
