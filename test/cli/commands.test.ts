/**
 * Every command's checks and outputs, through `main` in this process (same
 * parsing and dispatch as the real command) on a real SQLite file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS, CLI_OPTIONS, USAGE } from '../../src/cli/index.js';
import { synopsisOf } from '../../src/cli/command.js';
import { SETTING_FLAGS } from '../../src/config.js';
import { PasswordHasher } from '../../src/security/passwords.js';
import { openStores } from '../../src/store/index.js';
import { assertSucceeded, assertFailed, runInProcess } from './cliRunner.js';

const ACCOUNT = '424242';
const MISSING = '999';

describe('login-service commands (in process)', () => {
  let dir: string;
  let db: string;
  const cli = (args: string[], stdin?: string) => runInProcess([...args, '--db', db], stdin);



  async function withStores<T>(work: (stores: Awaited<ReturnType<typeof openStores>>) => Promise<T>): Promise<T> {
    const stores = await openStores({ databaseUrl: db });
    try {
      return await work(stores);
    } finally {
      await stores.close();
    }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'login-service-cli-'));
    db = `sqlite:${join(dir, 'store.db')}`;
    assertSucceeded(await cli(['account', 'create', ACCOUNT, '--name', 'Beta', '--time-zone', 'America/New_York']));
    assertSucceeded(await cli(['user', 'create', ACCOUNT, 'alice', '--password', 'alice password one']));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the option table holds every command flag and no setting flag; the usage lists every command', () => {
    for (const command of COMMANDS) {
      for (const flag of command.flags) assert.ok(flag in CLI_OPTIONS, `${command.name}: --${flag} is in CLI_OPTIONS`);
      for (const line of synopsisOf(command)) assert.ok(USAGE.includes(line), `usage shows ${line}`);
    }
    for (const flag of Object.keys(CLI_OPTIONS)) assert.equal(SETTING_FLAGS.includes(flag), false, `--${flag} is not a setting`);
    for (const flag of SETTING_FLAGS) assert.ok(USAGE.includes(`--${flag} `), `usage shows the setting --${flag}`);
    assert.ok(USAGE.includes('login-service serve'));
  });

  test('every command that names an account refuses an unknown one with exit 1', async () => {
    const commands = [
      ['account', 'set', MISSING, '--name', 'x'],
      ['user', 'create', MISSING, 'bob', '--password', 'bob password one'],
      ['user', 'list', MISSING],
      ['user', 'set-password', MISSING, 'alice', '--password', 'alice password two'],
      ['user', 'disable', MISSING, 'alice'],
      ['user', 'enable', MISSING, 'alice'],
      ['user', 'unlock', MISSING, 'alice'],
      ['apikey', 'create', MISSING],
      ['apikey', 'list', MISSING],
      ['apikey', 'revoke', MISSING, 'abc'],
      ['domain', 'set', MISSING, 'smt', 'smt.example.com'],
      ['domain', 'list', MISSING],
      ['session', 'list', MISSING],
      ['session', 'revoke', MISSING, '--all'],
      ['events', 'list', MISSING],
    ];
    for (const args of commands) assertFailed(await cli(args), 1, /account 999 does not exist/);
  });

  test('commands that name a user refuse an unknown one with exit 1', async () => {
    const commands = [
      ['user', 'set-password', ACCOUNT, 'nobody', '--password', 'nobody password'],
      ['user', 'disable', ACCOUNT, 'nobody'],
      ['user', 'enable', ACCOUNT, 'nobody'],
      ['user', 'unlock', ACCOUNT, 'nobody'],
      ['session', 'list', ACCOUNT, '--user', 'nobody'],
      ['session', 'revoke', ACCOUNT, '--user', 'nobody'],
    ];
    for (const args of commands) assertFailed(await cli(args), 1, /user nobody does not exist in account 424242/);
  });

  test('operational refusals exit 1: duplicates, bad ids and names, time zones, password policy, unknown keys', async () => {
    assertFailed(await cli(['account', 'create', ACCOUNT]), 1, /account 424242 already exists/);
    assertFailed(await cli(['account', 'create', 'abc']), 1, /account id must be 1 to 20 digits/);
    assertFailed(await cli(['account', 'create', '5', '--time-zone', 'Europe/Atlantis']), 1, /unknown IANA time zone "Europe\/Atlantis"/);
    assertFailed(await cli(['account', 'set', ACCOUNT, '--time-zone', 'Nowhere']), 1, /unknown IANA time zone "Nowhere"/);
    assertFailed(await cli(['user', 'create', ACCOUNT, 'ALICE', '--password', 'another password']), 1, /user ALICE in account 424242 already exists/);
    assertFailed(await cli(['user', 'create', ACCOUNT, ' padded', '--password', 'another password']), 1, /login name/);
    assertFailed(await cli(['user', 'create', ACCOUNT, 'bob', '--password', 'short']), 1, /at least 10 characters/);
    assertFailed(await cli(['user', 'create', ACCOUNT, 'bob-the-builder', '--password', 'BOB-THE-BUILDER']), 1, /must not equal the login name/);
    assertFailed(await cli(['user', 'set-password', ACCOUNT, 'alice', '--password', 'tiny']), 1, /at least 10 characters/);
    assertFailed(await cli(['user', 'create', ACCOUNT, 'bot', '--bot', '--app-key', 'no-such-key']), 1, /API key no-such-key is not an active key of account 424242/);
    assertFailed(await cli(['apikey', 'revoke', ACCOUNT, 'no-such-key']), 1, /not an active key/);
    assertFailed(await cli(['domain', 'set', ACCOUNT, '1smt', 'smt.example.com']), 1, /service must be/);
    assertFailed(await cli(['domain', 'set', ACCOUNT, 'smt', 'https://smt.example.com/path']), 1, /baseURI must be host\[:port\]/);
    await withStores(async (stores) => assert.equal((await stores.users.listUsers(ACCOUNT)).length, 1, 'no user was created by a refused command'));
  });

  test('a wrong command line exits 2 and changes nothing', async () => {
    const cases: Array<[string[], RegExp, string?]> = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['user'], /"user" needs one of: create, list, set-password, disable, enable, unlock/],
      [['user', 'rename', ACCOUNT], /unknown command "user rename"/],
      [['user', 'list'], /missing arguments; usage: login-service user list <accountId>/],
      [['user', 'list', ACCOUNT, 'extra'], /unexpected arguments/],
      [['account', 'list', '--password', 'x'], /--password does not apply to "account list"/],
      [['account', 'list', '--no-such-flag'], /unknown option --no-such-flag/],
      [['account', 'create', '7', '--name'], /Option '--name' argument is ambiguous/],
      [['user', 'create', ACCOUNT, 'bob'], /a password is needed: --password-stdin .* or --password P/],
      [['user', 'create', ACCOUNT, 'bob', '--password-stdin', '--password', 'bob password one'], /either --password-stdin or --password, not both/],
      [['user', 'create', ACCOUNT, 'bob', '--password-stdin'], /standard input is empty/, ''],
      [['user', 'set-password', ACCOUNT, 'alice'], /a password is needed/],
      [['user', 'create', ACCOUNT, 'bot', '--bot'], /a bot needs --app-key/],
      [['user', 'create', ACCOUNT, 'bot', '--bot', '--app-key', 'k', '--password', 'bot password one'], /a bot logs in with its API key/],
      [['user', 'create', ACCOUNT, 'bob', '--app-key', 'k', '--password', 'bob password one'], /--app-key is for bots/],
      [['user', 'create', ACCOUNT, 'bob', '--password', 'bob password one', '--privileges', '100,abc'], /--privileges must be comma-separated integers/],
      [['session', 'revoke', ACCOUNT], /exactly one of --user LOGIN, --all and --id ID/],
      [['session', 'revoke', ACCOUNT, '--all', '--user', 'alice'], /exactly one of --user LOGIN, --all and --id ID/],
      [['events', 'list', ACCOUNT, '--limit', 'ten'], /--limit must be a whole number/],
      [['events', 'list', ACCOUNT, '--limit', '0'], /--limit must be between 1 and/],
      [['events', 'list', ACCOUNT, '--since', 'last tuesday'], /--since must be an ISO 8601 time/],
      [['account', 'set', ACCOUNT], /account set needs at least one change/],
      [['account', 'set', ACCOUNT, '--session-ttl', '1000'], /--session-ttl must be between 60000 and/],
      [['account', 'set', ACCOUNT, '--password-min-length', '4'], /--password-min-length must be between 8 and 256/],
      [['account', 'set', ACCOUNT, '--lockout-threshold=-1'], /--lockout-threshold must be a whole number/],
      [['account', 'create', '8', '--name', '   '], /--name must be 1 to 256 characters/],
    ];
    for (const [args, message, stdin] of cases) assertFailed(await cli(args, stdin), 2, message);
    const wrongSetting = await runInProcess(['account', 'list', '--db', 'mysql://x']);
    assertFailed(wrongSetting, 2, /--db: must be sqlite:PATH/);
    const untouched = join(dir, 'untouched.db');
    assertFailed(await runInProcess(['user', 'create', ACCOUNT, 'bob', '--db', `sqlite:${untouched}`]), 2, /a password is needed/);
    assert.equal(existsSync(untouched), false, 'the store is not even opened');
    await withStores(async (stores) => {
      assert.deepEqual((await stores.accounts.listAccounts()).map((a) => a.accountId), [ACCOUNT]);
      assert.equal((await stores.users.listUsers(ACCOUNT)).length, 1);
    });
  });

  test('--password-stdin takes the first line without its line ending', async () => {
    assertSucceeded(await cli(['user', 'create', ACCOUNT, 'carol', '--password-stdin'], 'carol password one\r\nsecond line\n'));
    assertSucceeded(await cli(['user', 'create', ACCOUNT, 'dave', '--password-stdin'], 'dave password, no newline'));
    const hasher = new PasswordHasher();
    await withStores(async (stores) => {
      const carol = (await stores.users.getUserByLoginName(ACCOUNT, 'carol'))!;
      assert.equal(await hasher.verify(carol.passwordHash!, 'carol password one'), true);
      const dave = (await stores.users.getUserByLoginName(ACCOUNT, 'dave'))!;
      assert.equal(await hasher.verify(dave.passwordHash!, 'dave password, no newline'), true);
    });
  });

  test('--json prints exactly one JSON document; without it, readable lines and tables', async () => {
    const created = await cli(['user', 'create', ACCOUNT, 'erin', '--password', 'erin password one', '--admin', '--privileges', '100, 101,100', '--json']);
    assertSucceeded(created);
    assert.deepEqual(
      { loginName: created.json.loginName, isAdmin: created.json.isAdmin, privileges: created.json.privileges, isBot: created.json.isBot, enabled: created.json.enabled },
      { loginName: 'erin', isAdmin: true, privileges: [100, 101], isBot: false, enabled: true },
    );
    assert.match(created.json.userId, /^\d{10}$/);
    assert.equal('passwordHash' in created.json, false);

    const text = await cli(['user', 'create', ACCOUNT, 'frank', '--password', 'frank password one']);
    assert.match(text.stdout, /^created user frank \(userId \d+\) in account 424242\n$/);

    const key = await cli(['apikey', 'create', ACCOUNT]);
    assertSucceeded(key);
    assert.match(key.stdout, /appKey: +[0-9a-f]{32}\n +secret: +[0-9a-f]{64}\n +accessToken: +[0-9a-f]{32}\n +accessTokenSecret: +[0-9a-f]{64}\n/);
    assert.match(key.stdout, /shown only this once/);

    const users = await cli(['user', 'list', ACCOUNT]);
    assertSucceeded(users);
    const [header, ...rows] = users.stdout.trimEnd().split('\n');
    assert.match(header!, /^LOGIN NAME\s+USER ID\s+KIND\s+ADMIN\s+STATUS\s+LOCKED UNTIL\s+LAST LOGIN\s+PRIVILEGES\s+APP KEY\s+CREATED$/);
    assert.ok(rows.some((r) => /^erin\s+\d+\s+user\s+yes\s+enabled\s+-\s+-\s+100,101\s+-\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(r)), users.stdout);

    for (const args of [['account', 'list'], ['user', 'list', ACCOUNT], ['apikey', 'list', ACCOUNT], ['domain', 'list', ACCOUNT], ['session', 'list', ACCOUNT], ['events', 'list', ACCOUNT]]) {
      const r = await cli([...args, '--json']);
      assertSucceeded(r);
      assert.ok(Array.isArray(JSON.parse(r.stdout)), `${args.join(' ')} --json prints one JSON array`);
    }
    const empty = await cli(['session', 'list', ACCOUNT]);
    assert.equal(empty.stdout, 'no live sessions in account 424242\n');
  });

  test('account set keeps only what differs from the defaults; 0 turns a limit off', async () => {
    const set = await cli(['account', 'set', ACCOUNT, '--name', 'Beta Corp', '--password-max-age-days', '90', '--absolute-session-lifetime', '0', '--lockout-threshold', '0', '--json']);
    assertSucceeded(set);
    assert.equal(set.json.name, 'Beta Corp');
    assert.equal(set.json.settings.passwordMaxAgeMs, 90 * 86_400_000);
    assert.equal(set.json.settings.absoluteSessionLifetimeMs, 0);
    assert.equal(set.json.settings.lockoutThreshold, 0);

    const back = await cli(['account', 'set', ACCOUNT, '--password-max-age-days', '0', '--absolute-session-lifetime', '24h', '--lockout-threshold', '5']);
    assertSucceeded(back);
    assert.match(back.stdout, /updated account 424242 "Beta Corp"/);
    assert.match(back.stdout, /Password expires after: +never/);
    await withStores(async (stores) => {
      const account = (await stores.accounts.getAccount(ACCOUNT))!;
      assert.deepEqual(account.settings, {}, 'values back at their defaults are not stored');
      assert.equal(account.timeZone, 'America/New_York');
      const events = await stores.events.listEvents(ACCOUNT, { limit: 1 });
      assert.deepEqual(events[0]!.detail, { action: 'account_set', changes: { passwordMaxAgeMs: 0, absoluteSessionLifetimeMs: 86_400_000, lockoutThreshold: 5 }, via: 'cli', by: 'cli' });
    });
  });

  test('account set changes the lockout schedule, password size bound and common-password rule', async () => {
    const set = await cli(['account', 'set', ACCOUNT, '--lockout-base-ms', '30000', '--lockout-max-ms', '600000', '--password-max-bytes', '512', '--reject-common-passwords', 'false', '--json']);
    assertSucceeded(set);
    assert.deepEqual(
      { base: set.json.settings.lockoutBaseMs, max: set.json.settings.lockoutMaxMs, bytes: set.json.settings.passwordMaxBytes, common: set.json.settings.rejectCommonPasswords },
      { base: 30_000, max: 600_000, bytes: 512, common: false },
    );
    assertFailed(await cli(['account', 'set', ACCOUNT, '--reject-common-passwords', 'maybe']), 2, /--reject-common-passwords must be true or false/);
    const back = await cli(['account', 'set', ACCOUNT, '--lockout-base-ms', '60000', '--lockout-max-ms', '900000', '--password-max-bytes', '1024', '--reject-common-passwords', 'true']);
    assertSucceeded(back);
    assert.match(back.stdout, /Refuse common and leaked passwords: +yes/);
    await withStores(async (stores) => assert.deepEqual((await stores.accounts.getAccount(ACCOUNT))!.settings, {}));
  });

  test('user enable of an enabled user and unlock of an unlocked one succeed and say so', async () => {
    const enabled = await cli(['user', 'enable', ACCOUNT, 'alice']);
    assertSucceeded(enabled);
    assert.equal(enabled.stdout, 'alice was already enabled\n');
    const unlocked = await cli(['user', 'unlock', ACCOUNT, 'alice', '--json']);
    assertSucceeded(unlocked);
    assert.deepEqual({ wasLocked: unlocked.json.wasLocked, failuresCleared: unlocked.json.failuresCleared }, { wasLocked: false, failuresCleared: 0 });
  });

  test('admin changes are audited with what changed and never a password', async () => {
    assertSucceeded(await cli(['user', 'set-password', ACCOUNT, 'alice', '--password-stdin'], 'alice password two\n'));
    assertSucceeded(await cli(['domain', 'set', ACCOUNT, 'smt', 'smt.example.com']));
    assertSucceeded(await cli(['domain', 'set', ACCOUNT, 'smt', 'smt2.example.com']));
    await withStores(async (stores) => {
      const events = await stores.events.listEvents(ACCOUNT);
      const text = JSON.stringify(events);
      for (const password of ['alice password one', 'alice password two', 'erin password one']) assert.equal(text.includes(password), false);
      assert.ok(!/argon2/.test(text), 'no password hash');
      const passwordSet = events.find((e) => e.detail.action === 'password_set')!;
      assert.equal(passwordSet.type, 'admin_change');
      assert.equal(passwordSet.loginName, 'alice');
      const [latestDomain] = events.filter((e) => e.detail.action === 'domain_set');
      assert.deepEqual(latestDomain!.detail, { action: 'domain_set', service: 'smt', baseURI: 'smt2.example.com', previous: 'smt.example.com', via: 'cli', by: 'cli' });
      const created = events.find((e) => e.detail.action === 'user_create' && e.loginName === 'erin')!;
      const { profileIds, ...rest } = created.detail;
      assert.deepEqual(rest, { action: 'user_create', isBot: false, appKey: null, enabled: true, memberOf: -1, via: 'cli', by: 'cli' });
      // --admin --privileges 100,101: the Administrator profile and one carrying exactly those privileges.
      const profile = events.find((e) => e.detail.action === 'profile_create' && JSON.stringify(e.detail.permissions) === '[100,101]')!;
      assert.deepEqual(profileIds, [1, profile.detail.profileId]);
    });
  });

  test('a store that cannot be opened is one line naming it, without its password', async () => {
    // account create may create a store, so it tries to open this one; account list only reports that it is missing.
    assertFailed(await runInProcess(['account', 'create', '9', '--db', 'sqlite:/dev/null/store.db']), 1, /cannot open the store sqlite:\/dev\/null\/store.db: /);
    assertFailed(await runInProcess(['account', 'list', '--db', 'sqlite:/dev/null/store.db']), 1, /no database at \/dev\/null\/store.db/);
    const unreachable = await runInProcess(['account', 'list', '--db', 'postgres://admin:hunter2secret@127.0.0.1:1/login']);
    assertFailed(unreachable, 1, /cannot open the store postgres:\/\/\*\*\*@127.0.0.1:1\/login: .*ECONNREFUSED/);
    assert.equal(unreachable.stderr.includes('hunter2secret'), false);
  });

  test('migrate applies the schema once; a store without it is refused until then', async () => {
    // An empty file is an SQLite database without any table.
    writeFileSync(join(dir, 'fresh.db'), '');
    const fresh = `sqlite:${join(dir, 'fresh.db')}`;
    const before = await runInProcess(['account', 'list', '--db', fresh, '--auto-migrate', 'false']);
    assertFailed(before, 1, /no such table/);
    const first = await runInProcess(['migrate', '--db', fresh, '--json']);
    assertSucceeded(first);
    assert.ok(first.json.applied >= 1);
    const second = await runInProcess(['migrate', '--db', fresh]);
    assertSucceeded(second);
    assert.equal(second.stdout, 'schema is up to date: no migration to apply\n');
    const after = await runInProcess(['account', 'list', '--db', fresh, '--auto-migrate', 'false', '--json']);
    assertSucceeded(after);
    assert.deepEqual(after.json, []);
  });
});
