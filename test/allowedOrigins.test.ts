/**
 * ALLOWED_ORIGINS lists exact origins. Browsers send an Origin as
 * scheme://host[:port] and the list is compared with it exactly, so an entry
 * with a wildcard or a path would silently match nothing (or, worse, be taken
 * for a pattern by whoever reads the configuration): such entries stop the
 * server at start, with one line naming the setting.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../src/config.js';
import { startCommand } from './ops/support.js';

const REFUSED = [
  '*',
  'https://*',
  'https://*.example.com',
  'https://app.*.example.com',
  'https://example.com/app',
  'https://example.com/app/',
  'https://example.com/*',
  'https://example.com?x=1',
  'https://example.com#top',
  'https://user@example.com',
  'ftp://example.com',
  'example.com',
  'null',
];

describe('ALLOWED_ORIGINS', () => {
  test('exact origins are accepted, as browsers send them', () => {
    const config = loadConfig({ ALLOWED_ORIGINS: 'https://App.Example.com, http://localhost:5173 ,https://example.com:443/, https://[::1]:8443, https://bücher.example' });
    assert.deepEqual(config.allowedOrigins, ['https://app.example.com', 'http://localhost:5173', 'https://example.com', 'https://[::1]:8443', 'https://xn--bcher-kva.example']);
    assert.deepEqual(loadConfig({}).allowedOrigins, []);
  });

  test('wildcards and paths are refused, from the environment and from the flag, naming the setting', () => {
    for (const entry of REFUSED) {
      assert.throws(() => loadConfig({ ALLOWED_ORIGINS: `https://ok.example.com,${entry}` }), (e: unknown) => {
        assert.ok(e instanceof ConfigError, entry);
        assert.match(e.message, /^configuration error: ALLOWED_ORIGINS: /, entry);
        assert.ok(e.message.includes(JSON.stringify(entry)), `${entry}: the message quotes the entry`);
        assert.doesNotMatch(e.message, /\n/);
        return true;
      });
      assert.throws(() => loadConfig({}, { 'allowed-origins': entry }), /configuration error: --allowed-origins: /, entry);
    }
    assert.throws(() => loadConfig({ ALLOWED_ORIGINS: 'https://*.example.com' }), /wildcards are not supported/);
  });

  test('`login-service serve` stops with one line on standard error and a non-zero code', async () => {
    for (const entry of ['https://*.example.com', 'https://example.com/app']) {
      const run = startCommand(['serve', '--port', '0', '--db', 'sqlite::memory:'], { ALLOWED_ORIGINS: entry });
      const { code } = await run.exited;
      assert.equal(code, 2, run.stderr());
      const lines = run.stderr().split('\n').filter(Boolean);
      assert.equal(lines.length, 1, run.stderr());
      assert.match(lines[0]!, /^login-service: configuration error: ALLOWED_ORIGINS: /);
      assert.doesNotMatch(run.stdout(), /listening/);
    }
  });
});
