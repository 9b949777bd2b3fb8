import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readiness } from '../../src/ops/health.js';
import { startTestServer } from '../helpers/server.js';

async function get(url: string) {
  const res = await fetch(url);
  return { status: res.status, json: await res.json() };
}

describe('health and readiness', () => {
  test('/healthz and /readyz answer 200 while the store answers', async () => {
    const server = await startTestServer();
    try {
      assert.deepEqual(await get(`${server.baseUrl}/healthz`), { status: 200, json: { status: 'ok' } });
      assert.deepEqual(await get(`${server.baseUrl}/readyz`), { status: 200, json: { status: 'ready' } });
    } finally {
      await server.close();
    }
  });

  test('/readyz is 503, in the error shape, once the store is closed; /healthz stays 200', async () => {
    const server = await startTestServer();
    try {
      await server.stores.close();
      const ready = await get(`${server.baseUrl}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(ready.json.error.internalCode, 51);
      assert.equal(ready.json.error.responseStatus, 'SERVICE_UNAVAILABLE');
      assert.match(ready.json.error.message, /store unreachable/);
      assert.equal(typeof ready.json.error.time, 'string');
      assert.deepEqual(await get(`${server.baseUrl}/healthz`), { status: 200, json: { status: 'ok' } });
    } finally {
      await server.app.close();
    }
  });

  test('readiness fails while shutting down, and when the store does not answer in time', async () => {
    const healthy = new Readiness({ ping: async () => {} });
    assert.equal(await healthy.problem(), null);
    healthy.shuttingDown = true;
    assert.equal(await healthy.problem(), 'shutting down');

    const hanging = new Readiness({ ping: () => new Promise<void>(() => {}) }, 20);
    assert.equal(await hanging.problem(), 'store did not answer in time');
  });
});
