/**
 * The command line itself: help for each command, readable mistakes, values
 * that look like flags, and commands that must not create a store.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS, USAGE } from '../../src/cli/index.js';
import { assertFailed, assertSucceeded, runCommand, runInProcess } from './cliRunner.js';

describe('login-service help', () => {
  test('`<command> --help` and `help <command>` print that command\'s own help, from the command table', async () => {
    const viaFlag = await runInProcess(['user', 'create', '--help']);
    assertSucceeded(viaFlag);
    assert.match(viaFlag.stdout, /^Usage: login-service user create <accountId> <loginName> \(--password-stdin \| --password P\)/);
    assert.match(viaFlag.stdout, /\n {3}or: login-service user create <accountId> <loginName> --bot --app-key APPKEY/);
    assert.match(viaFlag.stdout, /Flags: --password-stdin, --password, --admin, --privileges, --bot, --app-key/);
    assert.doesNotMatch(viaFlag.stdout, /apikey create/, 'only the one command');
    const viaHelp = await runInProcess(['help', 'user', 'create']);
    assertSucceeded(viaHelp);
    assert.equal(viaHelp.stdout, viaFlag.stdout);
    // Every command of the table has its help.
    for (const command of COMMANDS) {
      const r = await runInProcess(['help', ...command.name.split(' ')]);
      assertSucceeded(r);
      assert.ok(r.stdout.startsWith(`Usage: login-service ${command.name}`), command.name);
    }
  });

  test('`help` alone prints the whole usage; `help <group>` the group\'s commands; `help serve` the settings', async () => {
    const all = await runInProcess(['help']);
    assertSucceeded(all);
    assert.equal(all.stdout, USAGE);
    const group = await runInProcess(['help', 'session']);
    assertSucceeded(group);
    assert.match(group.stdout, /login-service session list <accountId>/);
    assert.match(group.stdout, /login-service session revoke <accountId>/);
    assert.doesNotMatch(group.stdout, /user create/);
    const serve = await runInProcess(['serve', '--help']);
    assertSucceeded(serve);
    assert.match(serve.stdout, /^Usage: login-service serve/);
    assert.match(serve.stdout, /--metrics-port N +METRICS_PORT/);
  });

  test('help for a command that does not exist is a usage error', async () => {
    assertFailed(await runInProcess(['help', 'frobnicate']), 2, /unknown command "frobnicate"/);
  });
});

describe('command-line mistakes', () => {
  test('an unknown option names itself and suggests the closest one', async () => {
    const r = await runInProcess(['user', 'create', '123456', 'alice', '--pasword', 'x']);
    assertFailed(r, 2, /^login-service: unknown option --pasword; did you mean --password\?/);
    assert.doesNotMatch(r.stderr, /positional argument/);
    assertFailed(await runInProcess(['account', 'list', '--jsno']), 2, /unknown option --jsno; did you mean --json\?/);
    assertFailed(await runInProcess(['serve', '--metric-port', '0']), 2, /unknown option --metric-port; did you mean --metrics-port\?/);
    // Nothing close: no suggestion.
    const far = await runInProcess(['account', 'list', '--zzzzzzzz']);
    assertFailed(far, 2, /unknown option --zzzzzzzz/);
    assert.doesNotMatch(far.stderr, /did you mean/);
  });
});

describe('commands and the store they work on', () => {
  let dir: string;
  let db: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'login-service-cli-line-'));
    db = `sqlite:${join(dir, 'store.db')}`;
    assertSucceeded(await runInProcess(['account', 'create', '700100', '--name', 'Support', '--db', db]));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('negative numbers are values: the Main Group -1 as --parent and as an argument', async () => {
    const created = await runInProcess(['group', 'create', '700100', 'Night shift', '--parent', '-1', '--json', '--db', db]);
    assertSucceeded(created);
    assert.equal(created.json.parentGroupId, -1);
    const refused = await runInProcess(['group', 'delete', '700100', '-1', '--db', db]);
    // -1 reached the command as the group's id (the Main Group cannot be deleted), not as a flag.
    assert.equal(refused.code, 1, refused.stderr);
    assert.doesNotMatch(refused.stderr, /unknown option|positional/);
    assert.match(refused.stderr, /-1|Main Group/i);
  });

  test('read and write commands never create a store: a missing SQLite file is reported, and nothing is created', async () => {
    const missing = join(dir, 'typo', 'nested', 'store.db');
    for (const args of [
      ['user', 'list', '700100'],
      ['account', 'list'],
      ['export'],
      ['sso', 'show', '700100'],
      ['user', 'create', '700100', 'alice', '--password', 'a long passphrase here'],
      ['group', 'create', '700100', 'Day shift'],
    ]) {
      const r = await runInProcess([...args, '--db', `sqlite:${missing}`]);
      assertFailed(r, 1, new RegExp(`^login-service: no database at ${missing.replace(/[/.]/g, '\\$&')} \\(pass --db, or run serve first\\)\\n$`));
    }
    assert.equal(existsSync(join(dir, 'typo')), false, 'no directory was created');
    // The commands that set up a store still do.
    const fresh = join(dir, 'fresh', 'store.db');
    assertSucceeded(await runInProcess(['migrate', '--db', `sqlite:${fresh}`]));
    assert.ok(existsSync(fresh));
  });

  test('run from another directory with the default store, `user list` reports the missing database and creates nothing', async () => {
    const elsewhere = mkdtempSync(join(dir, 'elsewhere-'));
    const r = await runCommand(['user', 'list', '123456'], { cwd: elsewhere });
    assertFailed(r, 1, /^login-service: no database at .*elsewhere-[^/]+\/data\/login-service\.db \(pass --db, or run serve first\)\n$/);
    assert.deepEqual(readdirSync(elsewhere), []);
  });
});
