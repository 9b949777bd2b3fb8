/**
 * ACCESS_LOG=true: one line per request at info, on a real socket. A line
 * names the route and the path, never the query string, so a secret sent in
 * a query (client_secret, a token) or a body never reaches the log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { seedAccount } from '../helpers/server.js';

class Lines extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  records(): Array<Record<string, unknown>> {
    return this.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

async function serverWithLog(env: Record<string, string>) {
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'info', SWEEP_INTERVAL_MS: '0', PORT: '0', SERVER_TIME_ZONE: 'UTC', ...env });
  const stores: Stores = await openStores({ databaseUrl: config.databaseUrl });
  const log = new Lines();
  const built = await buildApp({ config, stores, logger: createLogger(config.logLevel, log) });
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${(built.app.server.address() as { port: number }).port}`;
  const seeded = await seedAccount({ stores, services: built.services });
  return {
    baseUrl,
    log,
    seeded,
    close: async () => {
      await built.app.close();
      await stores.close();
    },
  };
}

describe('access log', () => {
  let on: Awaited<ReturnType<typeof serverWithLog>>;
  let off: Awaited<ReturnType<typeof serverWithLog>>;
  before(async () => {
    on = await serverWithLog({ ACCESS_LOG: 'true' });
    off = await serverWithLog({});
  });
  after(async () => {
    await on?.close();
    await off?.close();
  });

  const SECRET_IN_QUERY = 'query-secret-4d2a9f';

  async function login(server: typeof on, password: string) {
    return fetch(`${server.baseUrl}/api/account/${server.seeded.accountId}/login?v=1.3&client_secret=${SECRET_IN_QUERY}&token=${SECRET_IN_QUERY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: server.seeded.human.loginName, password }),
    });
  }

  test('ACCESS_LOG=true: one info line per request with method, route, path, status and duration; no secret', async () => {
    const ok = await login(on, on.seeded.human.password);
    assert.equal(ok.status, 200);
    const refused = await login(on, 'wrong password 1234');
    assert.equal(refused.status, 401);
    const missing = await fetch(`${on.baseUrl}/no/such/path?password=${SECRET_IN_QUERY}`);
    assert.equal(missing.status, 404);

    const lines = on.log.records().filter((r) => r.msg === 'request completed');
    assert.equal(lines.length, 3, on.log.text);
    const [first, second, third] = lines;
    assert.deepEqual(
      { method: first!.method, url: first!.url, path: first!.path, statusCode: first!.statusCode, level: first!.level },
      { method: 'POST', url: '/api/account/:accountId/login', path: `/api/account/${on.seeded.accountId}/login`, statusCode: 200, level: 30 },
    );
    assert.equal(typeof first!.ms, 'number');
    assert.equal(second!.statusCode, 401);
    assert.equal(third!.path, '/no/such/path');
    assert.equal(third!.statusCode, 404);
    for (const secret of [SECRET_IN_QUERY, on.seeded.human.password, 'wrong password 1234', 'v=1.3']) {
      assert.ok(!on.log.text.includes(secret), `the log holds "${secret}"`);
    }
  });

  test('off by default: no line per request at info', async () => {
    assert.equal((await login(off, off.seeded.human.password)).status, 200);
    assert.deepEqual(off.log.records().filter((r) => r.msg === 'request completed'), []);
  });

  test('GET / leads to the console when it is on, and is 404 when it is off', async () => {
    const root = await fetch(`${on.baseUrl}/`, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/console/');
    const noConsole = await serverWithLog({ CONSOLE: 'false' });
    try {
      assert.equal((await fetch(`${noConsole.baseUrl}/`, { redirect: 'manual' })).status, 404);
    } finally {
      await noConsole.close();
    }
  });
});
