/**
 * API keys' address allowlists (Application Login refuses other addresses
 * with the usual 401, audited), over real HTTP behind a trusted proxy; and
 * the CLI's `apikey create --ip-allow` and `access set|show`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { createUser } from '../../src/directory/users.js';
import { assertFailed, assertSucceeded, runInProcess } from '../cli/cliRunner.js';

describe('API key allowlists and the access commands', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let dir: string;
  let db: string;
  let bearer: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ls-keys-'));
    db = `sqlite:${join(dir, 'db.sqlite')}`;
    server = await startTestServer({ env: { DATABASE_URL: db, TRUST_PROXY: '127.0.0.1' } });
    seeded = await seedAccount(server, '123456');
    bearer = (await postJson(url('login'), { username: seeded.human.loginName, password: seeded.human.password })).json.bearer;
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const url = (path: string) => `${server.baseUrl}/api/account/123456/${path}`;
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(url(`configuration/${path}`), { method, headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const cli = (args: string[]) => runInProcess([...args, '--db', db]);

  test('app-keys: ipAllowlist accepted, checked and listed; Application Login only from the listed addresses', async () => {
    const bad = await admin('POST', 'app-keys', { name: 'bad', ipAllowlist: ['10.0.0.9-10.0.0.1'] });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error.message, /ipAllowlist\[0\]: from must not come after to/);
    const mixed = await admin('POST', 'app-keys', { name: 'bad', ipAllowlist: ['10.0.0.1-2001:db8::1'] });
    assert.equal(mixed.status, 400);
    assert.equal(((await (await admin('GET', 'app-keys')).json()) as unknown[]).length, 1, 'no key was made by the refused requests');

    const created = await admin('POST', 'app-keys', { name: 'office bot', ipAllowlist: ['198.51.100.7', '10.1.0.0-10.1.0.255', '2001:db8:5::/48'] });
    assert.equal(created.status, 201);
    const key = await created.json();
    assert.deepEqual(key.ipAllowlist, ['198.51.100.7', '10.1.0.0-10.1.0.255', '2001:db8:5::/48']);
    const listed = ((await (await admin('GET', 'app-keys')).json()) as Array<{ appKey: string; ipAllowlist: string[] }>).find((k) => k.appKey === key.appKey)!;
    assert.deepEqual(listed.ipAllowlist, key.ipAllowlist);

    await createUser({ stores: server.stores, clock: server.clock, hasher: server.services.hasher }, { accountId: '123456', loginName: 'office-bot', bot: true, appKey: key.appKey, privileges: [1800] });
    const appLogin = (ip: string) =>
      postJson(url('login'), { username: 'office-bot', appKey: key.appKey, secret: key.secret, accessToken: key.accessToken, accessTokenSecret: key.accessTokenSecret }, { 'x-forwarded-for': ip });
    for (const ip of ['198.51.100.7', '10.1.0.200', '2001:db8:5:1::2']) assert.equal((await appLogin(ip)).status, 200, ip);
    for (const ip of ['198.51.100.8', '10.1.1.0', '2001:db8:6::1']) {
      const refused = await appLogin(ip);
      assert.equal(refused.status, 401, ip);
      assert.equal(refused.json.error.internalCode, 20, 'the usual login failure');
    }
    // The seeded bot's key has no allowlist: from anywhere.
    const k = seeded.bot.key;
    assert.equal((await postJson(url('login'), { username: seeded.bot.loginName, appKey: k.appKey, secret: k.secret, accessToken: k.accessToken, accessTokenSecret: k.accessTokenSecret }, { 'x-forwarded-for': '192.0.2.1' })).status, 200);

    const events = (await (await admin('GET', 'events?type=login_failure')).json()) as Array<{ loginName: string; clientIp: string; detail: Record<string, unknown> }>;
    const refusals = events.filter((e) => e.detail.reason === 'address_not_allowed');
    assert.deepEqual(refusals.map((e) => e.clientIp).sort(), ['10.1.1.0', '198.51.100.8', '2001:db8:6::1']);
    assert.equal(refusals.length, 3);
    assert.ok(refusals.every((e) => e.loginName === 'office-bot' && e.detail.method === 'apikey'));
    // Refusals by address are not the bot's failures: past the lockout threshold (5) of them, it still logs in from its address.
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) assert.equal((await appLogin(ip)).status, 401);
    assert.equal((await appLogin('198.51.100.7')).status, 200);
  });

  test('CLI: apikey create --ip-allow (repeatable), refused when an entry does not parse', async () => {
    const made = await cli(['apikey', 'create', '123456', '--name', 'cli bot', '--ip-allow', '203.0.113.0/24', '--ip-allow', '192.0.2.5', '--json']);
    assertSucceeded(made);
    assert.deepEqual(made.json.ipAllowlist, ['203.0.113.0/24', '192.0.2.5']);
    assertFailed(await cli(['apikey', 'create', '123456', '--ip-allow', '300.1.1.1']), 1, /ipAllowlist\[0\]/);
    const list = await cli(['apikey', 'list', '123456']);
    assertSucceeded(list);
    assert.match(list.stdout, /203\.0\.113\.0\/24,192\.0\.2\.5/);
  });

  test('CLI: access set changes what it names, keeps the rest, and is audited; access show prints it', async () => {
    const set = await cli(['access', 'set', '123456', '--ip-restrictions', 'on', '--ip-range', '10.0.0.0-10.0.0.255', '--ip-range', '2001:db8::/32', '--deactivate-after-days', '45', '--json']);
    assertSucceeded(set);
    assert.deepEqual(set.json, { accountId: '123456', mfa: 'off', mfaForSso: false, ipRestrictions: { enabled: true, ranges: [{ from: '10.0.0.0', to: '10.0.0.255' }, { cidr: '2001:db8::/32' }] }, deactivateAfterDays: 45 });
    assertSucceeded(await cli(['access', 'set', '123456', '--mfa', 'optional']));
    const shown = await cli(['access', 'show', '123456']);
    assertSucceeded(shown);
    assert.match(shown.stdout, /second factor: +optional/);
    assert.match(shown.stdout, /10\.0\.0\.0-10\.0\.0\.255/);
    assert.match(shown.stdout, /after 45 days/);
    const api = await (await admin('GET', 'access-control')).json();
    assert.equal(api.mfa, 'optional');
    assert.equal(api.deactivateAfterDays, 45);

    assertFailed(await cli(['access', 'set', '123456', '--mfa', 'sometimes']), 2, /--mfa must be off, optional, required/);
    assertFailed(await cli(['access', 'set', '123456', '--ip-range', '10.0.0.9-10.0.0.1']), 1, /from must not come after to/);
    assertFailed(await cli(['access', 'set', '123456']), 2, /needs at least one/);
    const events = (await (await admin('GET', 'events?type=admin_change')).json()) as Array<{ detail: Record<string, any> }>;
    const changes = events.filter((e) => e.detail.action === 'access_control_set');
    assert.equal(changes.length, 2);
    assert.equal(changes[0]!.detail.by, 'cli');
    assert.equal(changes[0]!.detail.before.mfa, 'off');
    assert.equal(changes[0]!.detail.after.mfa, 'optional');
  });
});
