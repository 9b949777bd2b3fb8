import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { saneRequestId } from '../../src/ops/requestId.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { postJson, seedAccount } from '../helpers/server.js';
import type { FastifyInstance } from 'fastify';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  const logLines: Array<Record<string, any>> = [];
  let app: FastifyInstance;
  let stores: Stores;
  let baseUrl: string;
  let accountId: string;
  let credentials: { username: string; password: string };

  before(async () => {
    const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'debug', SWEEP_INTERVAL_MS: '0', SERVER_TIME_ZONE: 'UTC' });
    stores = await openStores({ databaseUrl: config.databaseUrl });
    const logger = createLogger('debug', { write: (line: string) => void logLines.push(JSON.parse(line)) });
    const built = await buildApp({ config, stores, logger, clock: new ManualClock(Date.UTC(2026, 5, 1)) });
    app = built.app;
    const seed = await seedAccount({ stores, services: built.services });
    accountId = seed.accountId;
    credentials = { username: seed.human.loginName, password: seed.human.password };
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  after(async () => {
    await app.close();
    await stores.close();
  });

  test('a sane X-Request-Id is kept, echoed, and carried by the access line', async () => {
    const res = await postJson(`${baseUrl}/api/account/${accountId}/login`, credentials, { 'x-request-id': 'lb-7f3a.9:42' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-request-id'), 'lb-7f3a.9:42');
    const access = logLines.find((l) => l.msg === 'request completed' && l.reqId === 'lb-7f3a.9:42');
    assert.ok(access, 'access line with the request id');
    assert.equal(access.url, '/api/account/:accountId/login');
    assert.equal(access.statusCode, 200);
    assert.equal(access.level, 20);
    // The tokens of the answer appear in no log line.
    const logged = JSON.stringify(logLines);
    for (const secret of [res.json.bearer, res.json.csrf, res.json.sessionId, credentials.password]) assert.ok(!logged.includes(secret));
  });

  test('an absent or unsafe X-Request-Id is replaced by a generated one', async () => {
    const unsafe = ['has space', 'x'.repeat(129), '<script>', 'quote"d', 'semi;colon', 'é'];
    const seen = new Set<string>();
    for (const header of [undefined, ...unsafe]) {
      const res = await fetch(`${baseUrl}/healthz`, { headers: header === undefined ? {} : { 'x-request-id': header } });
      const id = res.headers.get('x-request-id') ?? '';
      assert.match(id, UUID, `for ${header}`);
      seen.add(id);
    }
    assert.equal(seen.size, unsafe.length + 1, 'every generated id is new');
  });

  test('error answers carry the id too', async () => {
    const unknownRoute = await fetch(`${baseUrl}/nowhere`, { headers: { 'x-request-id': 'req-404' } });
    assert.equal(unknownRoute.status, 404);
    assert.equal(unknownRoute.headers.get('x-request-id'), 'req-404');
    const badJson = await postJson(`${baseUrl}/api/account/${accountId}/login`, '{not json', { 'x-request-id': 'req-400' });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.headers.get('x-request-id'), 'req-400');
    const unauthorized = await fetch(`${baseUrl}/api/account/${accountId}/session`, { headers: { 'x-request-id': 'req-401' } });
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.headers.get('x-request-id'), 'req-401');
    assert.ok(logLines.some((l) => l.reqId === 'req-401' && l.statusCode === 401));
  });

  test('saneRequestId accepts tracing-style ids and refuses the rest', () => {
    for (const ok of ['a', '0af7651916cd43dd8448eb211c80319c', 'Root=1-5759e988-bd862e3fe1be46a994272793', 'abc/def+ghi==']) assert.equal(saneRequestId(ok), ok);
    for (const bad of [undefined, '', 'two words', 'line\nbreak', 'a'.repeat(129), ['a', 'b']]) assert.equal(saneRequestId(bad as string | undefined), null);
  });
});
