import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstStartPassword, freePort, startCommand } from '../ops/support.js';
import { postJson } from '../helpers/server.js';

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
