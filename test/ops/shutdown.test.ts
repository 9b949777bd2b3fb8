import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { hashToken } from '../../src/security/tokens.js';
import { startServer } from '../../src/serve.js';
import { openStores } from '../../src/store/index.js';
import { firstStartPassword, freePort, freshRequest, sample, startCommand, type HttpAnswer } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'login-service-shutdown-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('graceful shutdown of `login-service serve`', { timeout: 120_000 }, () => {
  test('SIGTERM in the middle of a burst of logins: every acknowledged session is in the store, exit status 0', async () => {
    const dbPath = join(dir, 'burst.db');
    const port = await freePort();
    const server = startCommand(['serve', '--db', `sqlite:${dbPath}`, '--port', String(port)], { SWEEP_INTERVAL_MS: '0' });
    try {
      await server.waitForOutput(/"msg":"login-service listening"/);
      const password = firstStartPassword(server.stdout());
      // Forty logins of one user: without the default cap of 10 sessions, so every acknowledged one stays.
      const setup = await openStores({ databaseUrl: `sqlite:${dbPath}` });
      await setup.accounts.updateAccount('123456', { settings: { maxSessionsPerUser: 0 } });
      await setup.close();
      const url = `http://127.0.0.1:${port}/api/account/123456/login?v=1.3`;

      type Outcome = { answer?: HttpAnswer; error?: Error; afterSignal: boolean };
      let signalled = false;
      const attempt = (): Promise<Outcome> =>
        freshRequest(url, { body: { username: 'admin', password } }).then(
          (answer) => ({ answer, afterSignal: signalled }),
          (error: Error) => ({ error, afterSignal: signalled }),
        );
      // argon2 runs two at a time here, so most of the burst is still queued when the signal arrives.
      const burst = Array.from({ length: 40 }, attempt);
      await Promise.race(burst);
      server.child.kill('SIGTERM');
      signalled = true;
      // Requests after the signal find the port closing or closed: refused, or served in full.
      const late = Array.from({ length: 5 }, attempt);
      const outcomes = await Promise.all([...burst, ...late]);
      const { code, signal } = await server.exited;
      assert.equal(signal, null);
      assert.equal(code, 0, server.stderr());

      const acknowledged = outcomes.filter((o) => o.answer?.status === 200);
      for (const o of outcomes) {
        if (o.answer) assert.equal(o.answer.status, 200, `every answer is a success, got ${o.answer.status} ${o.answer.text}`);
        // Connections still waiting in the kernel's accept queue when the port closes are reset: never answered, nothing lost.
        else assert.match(String((o.error as NodeJS.ErrnoException).code), /^(ECONNREFUSED|ECONNRESET|EPIPE)$/);
      }
      assert.ok(acknowledged.filter((o) => o.afterSignal).length > 0, 'requests in flight at SIGTERM were finished');

      const stores = await openStores({ databaseUrl: `sqlite:${dbPath}` });
      try {
        for (const o of acknowledged) {
          const session = await stores.sessions.findSessionById(hashToken(o.answer!.json.sessionId));
          assert.ok(session, 'the session of an acknowledged login is stored');
          assert.equal(session.bearerHash, hashToken(o.answer!.json.bearer));
        }
        // No more either: no login was completed in the store and then cut off from its client.
        assert.equal(await stores.sessions.countLiveSessions(Date.now()), acknowledged.length);
      } finally {
        await stores.close();
      }
      assert.match(server.stdout(), /"msg":"login-service stopped"/);
    } finally {
      server.kill();
    }
  });
});

describe('startServer', () => {
  test('shutdown: readiness fails at once while requests are still served during the delay, then the port closes', async () => {
    const config = loadConfig({
      DATABASE_URL: `sqlite:${join(dir, 'delay.db')}`,
      PORT: '0',
      LOG_LEVEL: 'silent',
      SWEEP_INTERVAL_MS: '0',
      SHUTDOWN_DELAY_MS: '1000',
      METRICS_PORT: '0',
    });
    const server = await startServer(config, { out: { write: () => true } as unknown as NodeJS.WritableStream });
    assert.equal((await freshRequest(`${server.url}/readyz`)).status, 200);
    const stopping = server.shutdown();
    const ready = await freshRequest(`${server.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(ready.json.error.message, /shutting down/);
    assert.equal((await freshRequest(`${server.url}/healthz`)).status, 200);
    assert.equal((await freshRequest(`${server.url}/api/account/123456/service/baseURI.json?version=1.0`)).status, 200);
    assert.equal(await stopping, true);
    await assert.rejects(freshRequest(`${server.url}/healthz`), { code: 'ECONNREFUSED' });
    assert.equal(await server.shutdown(), true, 'a second call answers the same');
  });

  test('METRICS_PORT: metrics on their own port, on the loopback address, not on the public one', async () => {
    const metricsPort = await freePort();
    const config = loadConfig({
      DATABASE_URL: `sqlite:${join(dir, 'metrics.db')}`,
      PORT: '0',
      // Another loopback address for the public port: the metrics listener keeps to 127.0.0.1 whatever HOST says.
      HOST: '127.0.0.2',
      LOG_LEVEL: 'silent',
      SWEEP_INTERVAL_MS: '0',
      METRICS_PORT: String(metricsPort),
    });
    const server = await startServer(config, { bootstrap: false });
    try {
      assert.equal(server.metricsUrl, `http://127.0.0.1:${metricsPort}`);
      await freshRequest(`${server.url}/api/account/1/session`);
      const scrape = await freshRequest(`${server.metricsUrl}/metrics`);
      assert.equal(scrape.status, 200);
      assert.equal(sample(scrape.text, 'login_service_bearer_checks_total', { result: 'invalid' }), 1);
      assert.match(server.url, /^http:\/\/127\.0\.0\.2:/);
      assert.equal((await freshRequest(`${server.url}/metrics`)).status, 404);
      assert.equal((await freshRequest(`${server.metricsUrl}/other`)).status, 404);
      await assert.rejects(freshRequest(`http://127.0.0.2:${metricsPort}/metrics`), { code: 'ECONNREFUSED' });
    } finally {
      await server.close();
    }
    await assert.rejects(freshRequest(`http://127.0.0.1:${metricsPort}/metrics`), { code: 'ECONNREFUSED' });
  });
});
