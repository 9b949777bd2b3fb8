/**
 * The table of account settings is the one description every adapter uses:
 * the administration API, `account set`, import and export accept the same
 * values, and a value set through one reads back the same through the others.
 * Each test walks the table, so a setting added there is covered here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accountSettings, type AccountSettings } from '../../src/accounts/model.js';
import { createAccount } from '../../src/accounts/service.js';
import {
  ACCOUNT_SETTINGS,
  DEFAULT_POLICY_SETTINGS,
  formatDuration,
  parseDuration,
  parseSettingsInput,
  type AccountSettingSpec,
  type PolicySettingKey,
} from '../../src/accounts/settings.js';
import { ManualClock } from '../../src/clock.js';
import { openStores } from '../../src/store/index.js';
import { exportInstallation, importInstallation } from '../../src/store/transfer.js';
import { createUser } from '../../src/directory/users.js';
import { runInProcess } from '../cli/cliRunner.js';
import { postJson, startTestServer, type TestServer } from '../helpers/server.js';

const ACCOUNT = '246810';

/** For each setting: values that must be accepted, and values that must be refused. */
function boundaries(spec: AccountSettingSpec): { accepted: unknown[]; refused: unknown[] } {
  if (spec.type === 'boolean') return { accepted: [true, false], refused: [1, 'true', null] };
  const accepted = [spec.min, spec.max, ...(spec.zero === undefined ? [] : [0])];
  const refused = [spec.max + 1, ...(spec.min - 1 > 0 || spec.zero === undefined ? [spec.min - 1] : []), spec.min + 0.5, String(spec.min)];
  return { accepted, refused };
}

/** A value other than the default, in range. */
function otherValue(spec: AccountSettingSpec): number | boolean {
  if (spec.type === 'boolean') return !spec.default;
  return spec.default === spec.max ? spec.min : spec.max;
}

/** How the CLI flag writes `value` (durations in the flag's bare unit when whole, else in ms with its suffix). */
function flagText(spec: AccountSettingSpec, value: number | boolean): string {
  if (spec.type !== 'duration' || spec.flagUnit === 'ms') return String(value);
  return `${value}ms`;
}

describe('the table', () => {
  test('every setting has a key, a flag, a label, a description and a default in its own range', () => {
    const keys = new Set<string>();
    const flags = new Set<string>();
    for (const spec of ACCOUNT_SETTINGS as readonly AccountSettingSpec[]) {
      assert.ok(!keys.has(spec.key) && !flags.has(spec.flag), `${spec.key}: key and flag are unique`);
      keys.add(spec.key);
      flags.add(spec.flag);
      assert.ok(spec.label.length > 0 && spec.description.length > 0, spec.key);
      if (spec.type === 'duration') assert.match(spec.key, /Ms$/, 'durations are milliseconds, and their keys say so');
      assert.deepEqual(parseSettingsInput({ [spec.key]: spec.default }), { [spec.key]: spec.default }, `${spec.key}: its default is accepted`);
    }
    assert.deepEqual(Object.keys(DEFAULT_POLICY_SETTINGS).sort(), [...keys].sort());
  });

  test('new accounts hold sessions at most a day and ten per user', () => {
    assert.equal(DEFAULT_POLICY_SETTINGS.absoluteSessionLifetimeMs, 24 * 3_600_000);
    assert.equal(DEFAULT_POLICY_SETTINGS.maxSessionsPerUser, 10);
    assert.equal(accountSettings({ settings: {} }).absoluteSessionLifetimeMs, 24 * 3_600_000);
  });

  test('parseSettingsInput names the field and what it accepts; unknown fields are refused', () => {
    assert.throws(() => parseSettingsInput({ applicationLoginLimit: 100_001 }), /^InvalidInputError: applicationLoginLimit must be between 1 and 100000, or 0 \(no limit\)$/);
    assert.throws(() => parseSettingsInput({ sessionTtlMs: 1.5 }, { path: 'accounts[0].settings' }), /accounts\[0\]\.settings\.sessionTtlMs must be a whole number between 60000 and 2592000000 ms \(1 minute to 30 days\)/);
    assert.throws(() => parseSettingsInput({ rejectCommonPasswords: 0 }), /rejectCommonPasswords must be true or false/);
    assert.throws(() => parseSettingsInput({ colour: 1 }), /unknown setting colour/);
    assert.throws(() => parseSettingsInput([]), /settings must be an object/);
  });

  test('durations are written and read with their units', () => {
    assert.equal(formatDuration(7_200_000), '2 hours');
    assert.equal(formatDuration(86_400_000, 'hours'), '24 hours');
    assert.equal(formatDuration(60_000), '1 minute');
    assert.equal(formatDuration(1500), '1.5 seconds');
    assert.equal(parseDuration('90d', 'ms'), 90 * 86_400_000);
    assert.equal(parseDuration('2h', 'ms'), 7_200_000);
    assert.equal(parseDuration('30min', 'ms'), 1_800_000);
    assert.equal(parseDuration('1500ms', 'days'), 1500);
    assert.equal(parseDuration('90', 'days'), 90 * 86_400_000);
    assert.equal(parseDuration('600000', 'ms'), 600_000);
    for (const bad of ['', 'h', '-5', '5 weeks', '1e9', '2 h h']) assert.equal(parseDuration(bad, 'ms'), null, bad);
  });
});

describe('the API, the CLI and import accept the same values', { timeout: 120_000 }, () => {
  let server: TestServer;
  let bearer: string;
  let dir: string;
  let db: string;

  before(async () => {
    server = await startTestServer();
    const clock = server.services.clock;
    await createAccount(server.stores, clock, { accountId: ACCOUNT, name: 'Settings' });
    const password = 'a long enough passphrase';
    await createUser({ stores: server.stores, clock, hasher: server.services.hasher }, { accountId: ACCOUNT, loginName: 'admin', password, isAdmin: true });
    const login = await postJson(`${server.baseUrl}/api/account/${ACCOUNT}/login`, { username: 'admin', password });
    assert.equal(login.status, 200, login.text);
    bearer = login.json.bearer;
    dir = mkdtempSync(join(tmpdir(), 'login-service-settings-'));
    db = `sqlite:${join(dir, 'store.db')}`;
    const created = await runInProcess(['account', 'create', ACCOUNT, '--name', 'Settings', '--db', db]);
    assert.equal(created.code, 0, created.stderr);
  });
  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const putSettings = async (settings: Record<string, unknown>) => {
    const res = await fetch(`${server.baseUrl}/api/account/${ACCOUNT}/configuration/settings?v=1.0`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Settings', timeZone: 'UTC', ...settings }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const cliSet = (spec: AccountSettingSpec, text: string) => runInProcess(['account', 'set', ACCOUNT, `--${spec.flag}`, text, '--json', '--db', db]);
  const imported = async (settings: Record<string, unknown>) => {
    const source = await openStores({ databaseUrl: 'sqlite::memory:' });
    const target = await openStores({ databaseUrl: 'sqlite::memory:' });
    try {
      await createAccount(source, new ManualClock(), { accountId: ACCOUNT, name: 'Settings' });
      const dump = await exportInstallation(source);
      dump.accounts[0]!.settings = settings as Partial<AccountSettings>;
      await importInstallation(target, dump);
      return accountSettings((await target.accounts.getAccount(ACCOUNT))!);
    } finally {
      await source.close();
      await target.close();
    }
  };

  for (const spec of ACCOUNT_SETTINGS as readonly AccountSettingSpec[]) {
    test(`${spec.key}: min, max (and 0 where it means off) accepted, max + 1 and below min refused, everywhere`, async () => {
      const { accepted, refused } = boundaries(spec);
      for (const value of accepted) {
        const api = await putSettings({ [spec.key]: value });
        assert.equal(api.status, 200, `API ${spec.key}=${String(value)}: ${JSON.stringify(api.json)}`);
        assert.equal(api.json[spec.key], value);
        const cli = await cliSet(spec, flagText(spec, value as number | boolean));
        assert.equal(cli.code, 0, `CLI --${spec.flag} ${String(value)}: ${cli.stderr}`);
        assert.equal(cli.json.settings[spec.key], value);
        assert.equal((await imported({ [spec.key]: value }))[spec.key as PolicySettingKey], value, `import ${spec.key}=${String(value)}`);
      }
      for (const value of refused) {
        const api = await putSettings({ [spec.key]: value });
        assert.equal(api.status, 400, `API ${spec.key}=${JSON.stringify(value)} refused`);
        await assert.rejects(imported({ [spec.key]: value }), new RegExp(`invalid installation dump: accounts\\[0\\]\\.settings\\.${spec.key} must be`), `import ${spec.key}=${JSON.stringify(value)}`);
        if (typeof value === 'number' && Number.isInteger(value)) {
          const cli = await cliSet(spec, flagText(spec, value));
          assert.equal(cli.code, 2, `CLI --${spec.flag} ${value} refused`);
          assert.match(cli.stderr, new RegExp(`--${spec.flag} must be`));
        }
      }
    });
  }

  test('every setting round-trips: API → export → import → CLI', async () => {
    const chosen = Object.fromEntries(ACCOUNT_SETTINGS.map((s: AccountSettingSpec) => [s.key, otherValue(s)]));
    const put = await putSettings(chosen);
    assert.equal(put.status, 200, JSON.stringify(put.json));
    const dump = await exportInstallation(server.stores);
    const path = join(dir, 'moved.db');
    const target = await openStores({ databaseUrl: `sqlite:${path}` });
    try {
      const theirs = { ...dump, accounts: dump.accounts.filter((a) => a.accountId === ACCOUNT), users: [], apiKeys: [] };
      await importInstallation(target, JSON.parse(JSON.stringify(theirs)));
    } finally {
      await target.close();
    }
    const shown = await runInProcess(['account', 'list', '--json', '--db', `sqlite:${path}`]);
    assert.equal(shown.code, 0, shown.stderr);
    const settings = shown.json.find((a: { accountId: string }) => a.accountId === ACCOUNT).settings;
    for (const spec of ACCOUNT_SETTINGS) assert.equal(settings[spec.key], chosen[spec.key], spec.key);
  });

  test('applicationLoginLimit above 10 000 is accepted by the CLI as by the API (they had drifted)', async () => {
    const cli = await runInProcess(['account', 'set', ACCOUNT, '--application-login-limit', '50000', '--json', '--db', db]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.json.settings.applicationLoginLimit, 50_000);
  });

  test('an account with rejectCommonPasswords false exports and imports again (the import refused it)', async () => {
    assert.equal((await putSettings({ rejectCommonPasswords: false })).status, 200);
    const dump = JSON.parse(JSON.stringify(await exportInstallation(server.stores)));
    const target = await openStores({ databaseUrl: 'sqlite::memory:' });
    try {
      await importInstallation(target, dump);
      assert.equal(accountSettings((await target.accounts.getAccount(ACCOUNT))!).rejectCommonPasswords, false);
    } finally {
      await target.close();
    }
  });

  test('account set shows durations in their units and each flag in its help', async () => {
    const res = await runInProcess(['account', 'set', ACCOUNT, '--session-ttl', '2h', '--password-max-age-days', '90', '--db', db]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /Session idle lifetime: +2 hours/);
    assert.match(res.stdout, /Password expires after: +90 days/);
    const help = await runInProcess(['account', 'set', '--help']);
    for (const spec of ACCOUNT_SETTINGS) assert.match(help.stdout + help.stderr, new RegExp(`--${spec.flag}\\b`));
  });
});

describe('docs/ADMIN-API.md', () => {
  test('documents every setting with its unit, range and default', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'ADMIN-API.md'), 'utf8');
    for (const spec of ACCOUNT_SETTINGS as readonly AccountSettingSpec[]) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${spec.key}\` |`));
      assert.ok(row, `${spec.key} has a row`);
      const cells = row.split('|').map((c) => c.trim());
      if (spec.type === 'boolean') {
        assert.equal(cells[2], 'boolean', spec.key);
        assert.equal(cells[5], `\`${spec.default}\``, spec.key);
        continue;
      }
      assert.equal(cells[2], 'integer', spec.key);
      assert.equal(cells[3], spec.type === 'duration' ? 'ms' : spec.unit, spec.key);
      assert.equal(cells[4], `${spec.min}–${spec.max}${spec.zero === undefined ? '' : `, or 0 (${spec.zero})`}`, spec.key);
      assert.equal(cells[5], spec.type === 'duration' && spec.default !== 0 ? `\`${spec.default}\` (${formatDuration(spec.default)})` : `\`${spec.default}\``, spec.key);
    }
  });
});
