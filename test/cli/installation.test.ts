/**
 * `export`, `import` and `migrate`: an installation moves between stores with
 * its people's passwords and its bots' keys intact. The PostgreSQL part runs
 * when TEST_DATABASE_URL names a server (e.g. postgres://postgres@127.0.0.1:5432/test),
 * in a database of its own that it drops at the end.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { postJson, startTestServer } from '../helpers/server.js';
import { createTestDatabase, type TestDatabase } from '../store/postgresDatabase.js';
import { assertSucceeded, assertFailed, runCommand, runInProcess } from './cliRunner.js';

const ACCOUNT = '31337';
const PASSWORD = 'alice password one';



describe('export, import and migrate', () => {
  let dir: string;
  let source: string;
  let key: { appKey: string; secret: string; accessToken: string; accessTokenSecret: string };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'login-service-cli-'));
    source = `sqlite:${join(dir, 'source.db')}`;
    const on = (args: string[]) => runInProcess([...args, '--db', source]);
    assertSucceeded(await on(['account', 'create', ACCOUNT, '--name', 'Moving Co', '--time-zone', 'Asia/Tokyo']));
    assertSucceeded(await on(['account', 'set', ACCOUNT, '--session-ttl', '600000']));
    assertSucceeded(await on(['user', 'create', ACCOUNT, 'alice', '--password', PASSWORD, '--admin', '--privileges', '100']));
    const created = await on(['apikey', 'create', ACCOUNT, '--name', 'movers', '--json']);
    assertSucceeded(created);
    key = created.json;
    assertSucceeded(await on(['user', 'create', ACCOUNT, 'bot-1', '--bot', '--app-key', key.appKey]));
    assertSucceeded(await on(['domain', 'set', ACCOUNT, 'smt', 'smt.example.com']));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test('export writes one JSON document to standard output, or to a file only its owner can read', async () => {
    const toStdout = await runInProcess(['export', '--db', source]);
    assertSucceeded(toStdout);
    assert.equal(toStdout.json.format, 'login-service-installation');
    assert.deepEqual(toStdout.json.accounts.map((a: any) => [a.accountId, a.name, a.timeZone]), [[ACCOUNT, 'Moving Co', 'Asia/Tokyo']]);
    assert.deepEqual(toStdout.json.accounts[0].serviceBaseURIs, [{ service: 'smt', baseURI: 'smt.example.com' }]);
    assert.deepEqual(toStdout.json.users.map((u: any) => u.loginName).sort(), ['alice', 'bot-1']);
    for (const secret of [key.secret, key.accessTokenSecret, PASSWORD]) assert.equal(toStdout.stdout.includes(secret), false, 'only digests and hashes leave');

    const file = join(dir, 'dump.json');
    writeFileSync(file, 'old content', { mode: 0o644 });
    const toFile = await runInProcess(['export', '--db', source, '--file', file, '--json']);
    assertSucceeded(toFile);
    assert.deepEqual(toFile.json, { file, accounts: 1, users: 2, apiKeys: 1 });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).users.length, 2);

    const text = await runInProcess(['export', '--db', source, '--file', file]);
    assert.equal(text.stdout, `exported 1 account, 2 users and 1 API key to ${file}\n`);
  });

  test('import into a fresh store: people keep their passwords, bots their keys, the account its settings', async () => {
    const file = join(dir, 'dump.json');
    assertSucceeded(await runInProcess(['export', '--db', source, '--file', file]));
    const target = `sqlite:${join(dir, 'target.db')}`;
    const imported = await runInProcess(['import', '--db', target, '--file', file, '--json']);
    assertSucceeded(imported);
    assert.deepEqual(imported.json, { accounts: 1, users: 2, apiKeys: 1 });

    const server = await startTestServer({ env: { DATABASE_URL: target } });
    try {
      const url = `${server.baseUrl}/api/account/${ACCOUNT}/login?v=1.3`;
      const human = await postJson(url, { username: 'alice', password: PASSWORD });
      assert.equal(human.status, 200, human.text);
      assert.equal(human.json.sessionTTl, '600000');
      assert.equal(human.json.config.accountTimeZoneId, 'Asia/Tokyo');
      assert.ok(human.json.csdsCollectionResponse.baseURIs.some((b: any) => b.service === 'smt'));
      const bot = await postJson(url, { username: 'bot-1', ...key });
      assert.equal(bot.status, 200, bot.text);
    } finally {
      await server.close();
    }

    assertFailed(await runInProcess(['import', '--db', target, '--file', file]), 1, /account 31337 already exists/);
    assertFailed(await runInProcess(['import', '--db', target], '{"format": '), 1, /standard input is not a JSON document/);
    assertFailed(await runInProcess(['import', '--db', target], '{"format": "something else"}'), 1, /invalid installation dump: format/);
    assertFailed(await runInProcess(['import', '--db', target, '--file', join(dir, 'missing.json')]), 1, /no such file/);
    assertFailed(await runInProcess(['import', '--db', target, '--file', '']), 2, /--file needs a path/);
  });

  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    test('PostgreSQL migrate and import: not exercised (TEST_DATABASE_URL is not set)', (t) => {
      assert.ok(!process.env.TEST_DATABASE_URL);
      t.diagnostic('set TEST_DATABASE_URL=postgres://USER@HOST:PORT/DB to run migrate and import against PostgreSQL');
    });
  } else {
    describe('PostgreSQL', () => {
      let pg: TestDatabase;
      before(async () => {
        pg = await createTestDatabase(serverUrl);
      });
      after(async () => {
        await pg?.drop();
      });

      test('migrate applies every migration once; export piped into import moves the installation', async () => {
        const first = await runCommand(['migrate', '--db', pg.url, '--json']);
        assertSucceeded(first);
        assert.deepEqual(first.json, { applied: POSTGRES_MIGRATIONS.length });
        const second = await runCommand(['migrate', '--db', pg.url]);
        assertSucceeded(second);
        assert.equal(second.stdout, 'schema is up to date: no migration to apply\n');

        const exported = await runCommand(['export', '--db', source]);
        assertSucceeded(exported);
        const imported = await runCommand(['import', '--db', pg.url, '--json'], { stdin: exported.stdout });
        assertSucceeded(imported);
        assert.deepEqual(imported.json, { accounts: 1, users: 2, apiKeys: 1 });

        const users = await runInProcess(['user', 'list', ACCOUNT, '--db', pg.url, '--json']);
        assertSucceeded(users);
        assert.deepEqual(users.json.map((u: any) => [u.loginName, u.isBot, u.isAdmin]).sort(), [['alice', false, true], ['bot-1', true, false]]);
      });
    });
  }
});
