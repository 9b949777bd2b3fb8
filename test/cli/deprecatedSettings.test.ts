/**
 * A setting that no longer does anything is still accepted, so a deployment
 * that sets it keeps starting; its value is ignored and one warning says so.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deprecatedSettingWarnings, loadConfig } from '../../src/config.js';
import { runInProcess } from './cliRunner.js';
import { freePort, logLines, startCommand } from '../ops/support.js';

describe('deprecated settings: BEARER_CACHE_SIZE / --bearer-cache-size', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'login-service-deprecated-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('any value is accepted and ignored; a warning names what was given', () => {
    for (const value of ['0', '65536', 'lots']) {
      const config = loadConfig({ BEARER_CACHE_SIZE: value });
      assert.equal('bearerCacheSize' in config, false);
    }
    assert.deepEqual(deprecatedSettingWarnings({}, {}), []);
    const [fromEnv, ...more] = deprecatedSettingWarnings({ BEARER_CACHE_SIZE: '100' }, {});
    assert.deepEqual(more, []);
    assert.match(fromEnv!, /^BEARER_CACHE_SIZE is deprecated and ignored/);
    assert.match(deprecatedSettingWarnings({ BEARER_CACHE_SIZE: '100' }, { 'bearer-cache-size': '5' })[0]!, /^--bearer-cache-size is deprecated/);
  });

  test('an admin command accepts the flag and warns once on standard error', async () => {
    const r = await runInProcess(['migrate', '--db', `sqlite:${join(dir, 'cli.db')}`, '--bearer-cache-size', '1000']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /applied \d+ migrations/);
    assert.equal(r.stderr.match(/--bearer-cache-size is deprecated and ignored/g)?.length, 1, r.stderr);
  });

  test('serve --workers 2 starts with it and logs the warning once', async () => {
    const port = await freePort();
    const server = startCommand(['serve', '--workers', '2', '--db', `sqlite:${join(dir, 'serve.db')}`, '--port', String(port), '--metrics', 'false'], {
      BEARER_CACHE_SIZE: '65536',
      SWEEP_INTERVAL_MS: '0',
    });
    try {
      await server.waitForOutput(/"msg":"login-service listening"[^\n]*\n[^]*"msg":"login-service listening"/, 30_000);
      const warnings = logLines(server.stdout()).filter((l) => /BEARER_CACHE_SIZE is deprecated and ignored/.test(l.msg));
      assert.equal(warnings.length, 1, server.stdout());
      assert.equal(warnings[0]!.level, 40, 'logged as a warning');
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
