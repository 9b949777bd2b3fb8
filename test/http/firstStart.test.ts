import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstStartPassword, freePort, startCommand } from '../ops/support.js';
import { postJson } from '../helpers/server.js';

/** Holds a port, as another program would, until closed. */
function occupyPort(): Promise<{ port: number; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ port, close: () => new Promise<void>((done) => server.close(() => done())) });
    });
  });
}

describe('First start of `login-service serve`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'login-service-first-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('an empty store gets a demo account and an administrator, printed once with a working curl login', async () => {
    const port = await freePort();
    const db = `sqlite:${join(dir, 'store.db')}`;
    const first = startCommand(['serve', '--db', db, '--port', String(port)]);
    try {
      await first.waitForOutput(/login-service listening/);
      const out = first.stdout();
      const password = firstStartPassword(out);
      assert.ok(password.length >= 20, 'a strong random password');
      const curl = /curl -i -X POST '([^']+)' \\\n\s+-H 'Content-Type: application\/json' -d '([^']+)'/.exec(out);
      assert.ok(curl, out);
      assert.equal(curl[1], `http://localhost:${port}/api/account/123456/login?v=1.3`);
      const res = await postJson(curl[1]!.replace('localhost', '127.0.0.1'), curl[2]!);
      assert.equal(res.status, 200);
      assert.equal(res.json.config.isAdmin, true);
      const logLines = (first.stdout() + first.stderr()).split('\n').filter((l) => l.startsWith('{'));
      assert.ok(logLines.length > 0);
      assert.ok(logLines.every((l) => !l.includes(password)), 'the password is printed in the message, never in a log line');
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }

    const second = startCommand(['serve', '--db', db, '--port', String(port)]);
    try {
      await second.waitForOutput(/login-service listening/);
      assert.doesNotMatch(second.stdout(), /First start/);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  test('a busy metrics port stops the first start with one line and no password; the next start prints one that works', async () => {
    const db = `sqlite:${join(dir, 'busy-metrics.db')}`;
    const port = await freePort();
    const busy = await occupyPort();
    try {
      const failed = startCommand(['serve', '--db', db, '--port', String(port)], { METRICS_PORT: String(busy.port) });
      const { code } = await failed.exited;
      assert.notEqual(code, 0);
      assert.equal(failed.stderr(), `login-service: METRICS_PORT ${busy.port} is in use on 127.0.0.1 (set METRICS_PORT or --metrics-port)\n`);
      assert.doesNotMatch(failed.stdout(), /password|First start/, 'no banner from a start that failed');
    } finally {
      await busy.close();
    }
    const next = startCommand(['serve', '--db', db, '--port', String(port)]);
    try {
      await next.waitForOutput(/login-service listening/);
      const password = firstStartPassword(next.stdout());
      const res = await postJson(`http://127.0.0.1:${port}/api/account/123456/login?v=1.3`, JSON.stringify({ username: 'admin', password }));
      assert.equal(res.status, 200);
      assert.equal(res.json.config.isAdmin, true);
    } finally {
      next.child.kill('SIGTERM');
      await next.exited;
    }
  });

  test('a busy API port, or a database that cannot be opened, is one line naming the setting, without a stack trace', async () => {
    const busy = await occupyPort();
    try {
      const run = startCommand(['serve', '--db', `sqlite:${join(dir, 'busy-api.db')}`, '--port', String(busy.port)]);
      assert.notEqual((await run.exited).code, 0);
      assert.equal(run.stderr(), `login-service: PORT ${busy.port} is in use on 127.0.0.1 (set PORT or --port)\n`);
      assert.doesNotMatch(run.stdout(), /password/);
      // With workers, the primary checks the port before it bootstraps and forks.
      const workers = startCommand(['serve', '--workers', '2', '--db', `sqlite:${join(dir, 'busy-api-workers.db')}`, '--port', String(busy.port)]);
      assert.notEqual((await workers.exited).code, 0);
      assert.equal(workers.stderr(), `login-service: PORT ${busy.port} is in use on 127.0.0.1 (set PORT or --port)\n`);
      assert.doesNotMatch(workers.stdout(), /password/);
    } finally {
      await busy.close();
    }
    // A "directory" that is a file: the store cannot be created under it.
    writeFileSync(join(dir, 'a-file'), '');
    const unopenable = `sqlite:${join(dir, 'a-file', 'store.db')}`;
    const run = startCommand(['serve', '--db', unopenable, '--port', String(await freePort())]);
    assert.notEqual((await run.exited).code, 0);
    assert.match(run.stderr(), new RegExp(`^login-service: DATABASE_URL ${unopenable.replace(/[/.]/g, '\\$&')}: cannot open: [^\n]+ \\(set DATABASE_URL or --db\\)\n$`));
  });

  test('bad configuration stops the program with one line naming the setting', async () => {
    const run = startCommand(['serve', '--port', 'eighty']);
    const { code } = await run.exited;
    assert.equal(code, 2);
    assert.match(run.stderr(), /^login-service: configuration error: --port: must be a whole number, got "eighty"\n$/);
    const zone = startCommand(['serve'], { SERVER_TIME_ZONE: 'Mars/Olympus' });
    assert.equal((await zone.exited).code, 2);
    assert.match(zone.stderr(), /SERVER_TIME_ZONE: unknown IANA time zone "Mars\/Olympus"/);
  });
});
