/**
 * Client secrets sent in the query string (the original's app/token clients)
 * never reach a log: not the access lines, not Fastify's request logging, not
 * the errors, at the most verbose level.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openStores } from '../../src/store/index.js';
import { seedAccount } from '../helpers/server.js';
import { install } from './helpers.js';

test('query-string credentials and tokens are in no log line, with ACCESS_LOG and LOG_LEVEL=trace', async () => {
  const lines: string[] = [];
  const logger = createLogger('trace', { write: (line: string) => void lines.push(line) });
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'trace', ACCESS_LOG: 'true', SWEEP_INTERVAL_MS: '0', PORT: '0', SERVER_TIME_ZONE: 'UTC' });
  const stores = await openStores({ databaseUrl: config.databaseUrl });
  const clock = new ManualClock(Date.now());
  const { app, services } = await buildApp({ config, stores, clock, logger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const port = (app.server.address() as { port: number }).port;
    config.publicHost = `127.0.0.1:${port}`;
    const { accountId } = await seedAccount({ stores, services });
    const installation = await install({ stores, services }, accountId, { scope: 'users.read' });
    const base = `http://127.0.0.1:${port}/sentinel/api/account/${accountId}`;
    const ok = await fetch(`${base}/app/token?v=1.0&grant_type=client_credentials&client_id=${installation.clientId}&client_secret=${installation.secret}`, { method: 'POST' });
    assert.equal(ok.status, 200);
    const { access_token } = await ok.json();
    const wrongSecret = 'wrong-secret-that-must-not-be-logged';
    const refused = await fetch(`${base}/app/token?v=2.0&grant_type=client_credentials&client_id=${installation.clientId}&client_secret=${wrongSecret}`, { method: 'POST' });
    assert.equal(refused.status, 401);
    const malformed = await fetch(`${base}/app/token?v=1.0&client_secret=${wrongSecret}&client_secret=${wrongSecret}`, { method: 'POST' });
    assert.equal(malformed.status, 400);
    const introspected = await fetch(`${base}/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${installation.clientId}:${installation.secret}`).toString('base64')}` },
      body: `token=${access_token}`,
    });
    assert.equal(introspected.status, 200);
    const log = lines.join('');
    assert.match(log, /request completed/, 'access lines were written');
    assert.match(log, /app\/token/, 'the access lines name the path');
    for (const secret of [installation.secret, wrongSecret, access_token]) assert.equal(log.includes(secret), false, 'a secret reached the log');
  } finally {
    await app.close();
    await stores.close();
  }
});
