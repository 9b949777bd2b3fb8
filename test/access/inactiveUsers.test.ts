/**
 * Inactive people are disabled by housekeeping, with the manual clock: after
 * deactivateAfterDays without a login (or since creation), their sessions end
 * and one event by `system` says so; bots and the account's last
 * administrator are left alone; an administrator enables a person again and
 * the count starts afresh; lastLoginAt is served by the API and the CLI. On
 * SQLite (a file) and PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { createTestDatabase } from '../store/postgresDatabase.js';
import { sweep } from '../../src/housekeeping.js';
import { createUser } from '../../src/directory/users.js';
import { assertSucceeded, runInProcess } from '../cli/cliRunner.js';

const DAY = 86_400_000;

const backends = [
  {
    name: 'SQLite',
    skip: false as const,
    async env() {
      const dir = mkdtempSync(join(tmpdir(), 'ls-inactive-'));
      const url = `sqlite:${join(dir, 'db.sqlite')}`;
      return { url, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    skip: process.env.TEST_DATABASE_URL ? (false as const) : 'TEST_DATABASE_URL is not set',
    async env() {
      const db = await createTestDatabase(process.env.TEST_DATABASE_URL!);
      return { url: db.url, cleanup: () => db.drop() };
    },
  },
];

for (const backend of backends) {
  describe(`inactive people (${backend.name})`, { skip: backend.skip }, () => {
    let server: TestServer;
    let seeded: SeededAccount;
    let dbUrl: string;
    let cleanup: () => Promise<void>;
    const jane = { loginName: 'jane.doe', password: 'another long passphrase' };
    const sam = { loginName: 'sam.never', password: 'yet another passphrase' };

    before(async () => {
      const setup = await backend.env();
      dbUrl = setup.url;
      cleanup = setup.cleanup;
      server = await startTestServer({ env: { DATABASE_URL: dbUrl } });
      seeded = await seedAccount(server, '123456');
      const deps = { stores: server.stores, clock: server.clock, hasher: server.services.hasher };
      await createUser(deps, { accountId: '123456', loginName: jane.loginName, password: jane.password, privileges: [100] });
      await createUser(deps, { accountId: '123456', loginName: sam.loginName, password: sam.password, privileges: [100] });
    });
    after(async () => {
      await server?.close();
      await cleanup?.();
    });

    const url = (path: string) => `${server.baseUrl}/api/account/123456/${path}`;
    const login = (who: { loginName: string; password: string }) => postJson(url('login'), { username: who.loginName, password: who.password });
    let adminBearer = '';
    const adminLogin = async () => {
      const res = await login({ loginName: seeded.human.loginName, password: seeded.human.password });
      assert.equal(res.status, 200, res.text);
      adminBearer = res.json.bearer;
    };
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(url(`configuration/${path}`), {
        method,
        headers: { authorization: `Bearer ${adminBearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
    };
    const housekeeping = () => sweep(server.stores, server.clock.now(), 90, { audit: server.services.audit, clock: server.clock });
    const user = async (loginName: string) => (await server.stores.users.getUserByLoginName('123456', loginName))!;
    const bearerLive = async (bearer: string) => (await fetch(url('session'), { headers: { authorization: `Bearer ${bearer}` } })).status === 200;

    test('deactivateAfterDays 0 (the default) disables nobody, however long', async () => {
      server.clock.advance(400 * DAY);
      assert.equal((await housekeeping()).usersDeactivated, 0);
      for (const name of [jane.loginName, sam.loginName, seeded.bot.loginName]) assert.equal((await user(name)).enabled, true, name);
    });

    test('after N days without a login: disabled, sessions ended, one event by system; bots untouched; lastLoginAt served', async () => {
      await adminLogin();
      const put = await call('PUT', 'access-control', { mfa: 'off', mfaForSso: false, ipRestrictions: { enabled: false, ranges: [] }, deactivateAfterDays: 30 });
      assert.equal(put.status, 200, put.text);

      const janeLogin = await login(jane);
      assert.equal(janeLogin.status, 200);
      const loggedInAt = server.clock.now();
      const listed = (await call('GET', 'le-users/users')).json as Array<{ loginName: string; lastLoginAt: string | null; isEnabled: boolean }>;
      assert.equal(listed.find((u) => u.loginName === jane.loginName)!.lastLoginAt, new Date(loggedInAt).toISOString());
      assert.equal(listed.find((u) => u.loginName === seeded.bot.loginName)!.lastLoginAt, null);

      // Sam never logged in and was created 400 days ago: disabled at the first sweep. Jane logged in just now: not.
      let result = await housekeeping();
      assert.equal(result.usersDeactivated, 1);
      assert.equal((await user(sam.loginName)).enabled, false);
      assert.equal((await user(jane.loginName)).enabled, true);

      server.clock.advance(30 * DAY - 1);
      await adminLogin();
      assert.equal((await housekeeping()).usersDeactivated, 0, 'one millisecond short of 30 days');
      assert.equal(await bearerLive(janeLogin.json.bearer), false, 'her session ended by its own lifetime meanwhile');
      const again = await login(jane);
      assert.equal(again.status, 200);
      const session = again.json.bearer as string;

      server.clock.advance(30 * DAY);
      assert.equal(await bearerLive(session), false, 'sessions end long before 30 days (24 h at most by default)');
      await adminLogin();
      result = await housekeeping();
      assert.equal(result.usersDeactivated, 1);
      assert.equal((await user(jane.loginName)).enabled, false);
      assert.equal((await user(seeded.bot.loginName)).enabled, true, 'bots are exempt');
      assert.equal((await user(seeded.human.loginName)).enabled, true, 'the administrator logged in');
      assert.equal((await login(jane)).status, 401);

      const events = ((await call('GET', 'events?type=admin_change')).json as Array<{ loginName: string; detail: Record<string, any> }>).filter((e) => e.detail.action === 'user_deactivated');
      assert.deepEqual(events.map((e) => e.loginName).sort(), [jane.loginName, sam.loginName]);
      const janeEvent = events.find((e) => e.loginName === jane.loginName)!;
      assert.equal(janeEvent.detail.by, 'system');
      assert.equal(janeEvent.detail.via, 'system');
      assert.equal(janeEvent.detail.deactivateAfterDays, 30);
      assert.equal(janeEvent.detail.reason, 'inactive');
      assert.equal((await housekeeping()).usersDeactivated, 0, 'idempotent');
    });

    test('an administrator enables a person again: the count starts afresh from then', async () => {
      const item = (await call('GET', `le-users/users/${(await user(jane.loginName)).userId}`)).json;
      const enabled = await call('PUT', `le-users/users/${item.id}`, { ...item, isEnabled: true });
      assert.equal(enabled.status, 200, enabled.text);
      assert.equal((await housekeeping()).usersDeactivated, 0, 'her last login is old, but she was just enabled');
      server.clock.advance(29 * DAY);
      await adminLogin();
      assert.equal((await housekeeping()).usersDeactivated, 0);
      server.clock.advance(2 * DAY);
      await adminLogin();
      assert.equal((await housekeeping()).usersDeactivated, 1, 'she did not log in within the 30 days she was given');
      assert.equal((await user(jane.loginName)).enabled, false);
    });

    test('a session still open when its holder is deactivated ends with it', async () => {
      const deps = { stores: server.stores, clock: server.clock, hasher: server.services.hasher };
      const kim = { loginName: 'kim.open', password: 'a passphrase for kim' };
      await createUser(deps, { accountId: '123456', loginName: kim.loginName, password: kim.password, privileges: [100] });
      const open = await login(kim);
      assert.equal(open.status, 200);
      // Her last login as the store recorded it, 31 days ago (as after a month of refreshes, where sessions live that long).
      await server.stores.users.recordLogin('123456', (await user(kim.loginName)).userId, server.clock.now() - 31 * DAY);
      assert.equal(await bearerLive(open.json.bearer), true);
      await adminLogin();
      assert.equal((await housekeeping()).usersDeactivated, 1);
      assert.equal(await bearerLive(open.json.bearer), false);
      const event = ((await call('GET', 'events?type=admin_change')).json as Array<{ loginName: string; detail: Record<string, any> }>).find((e) => e.loginName === kim.loginName)!;
      assert.equal(event.detail.action, 'user_deactivated');
      assert.equal(event.detail.sessionsEnded, 1);
    });

    test("the account's last administrator is never disabled, even inactive", async () => {
      server.clock.advance(60 * DAY);
      await housekeeping();
      assert.equal((await user(seeded.human.loginName)).enabled, true);
    });

    test('the CLI shows lastLoginAt in user list and the settings in access show', async () => {
      const list = await runInProcess(['user', 'list', '123456', '--json', '--db', dbUrl]);
      assertSucceeded(list);
      const admin = (list.json as Array<{ loginName: string; lastLoginAt: string | null }>).find((u) => u.loginName === seeded.human.loginName)!;
      assert.equal(admin.lastLoginAt, new Date((await user(seeded.human.loginName)).lastLoginAt!).toISOString());
      const text = await runInProcess(['user', 'list', '123456', '--db', dbUrl]);
      assert.match(text.stdout, /LAST LOGIN/i);
      const shown = await runInProcess(['access', 'show', '123456', '--json', '--db', dbUrl]);
      assertSucceeded(shown);
      assert.equal(shown.json.deactivateAfterDays, 30);
    });
  });
}
