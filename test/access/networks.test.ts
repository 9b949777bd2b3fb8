/**
 * Allowed networks end to end, over real HTTP behind a trusted proxy
 * (TRUST_PROXY, X-Forwarded-For): the resource, the 409 and force, people's
 * logins and refreshes refused from outside, bots exempt; on SQLite,
 * PostgreSQL and SQLite + Redis (sessions, so refresh, in Redis).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJson, seedAccount, sessionCookie, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { createTestDatabase, type TestDatabase } from '../store/postgresDatabase.js';

const ADDRESS_NOT_ALLOWED = 12;
const HQ = { from: '10.0.0.0', to: '10.0.0.255', description: 'HQ' };
const V6 = { cidr: '2001:db8::/32', description: 'VPN' };
const from = (ip: string) => ({ 'x-forwarded-for': ip });

interface Backend {
  name: string;
  skip: string | false;
  env(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'SQLite',
    skip: false,
    async env() {
      const dir = mkdtempSync(join(tmpdir(), 'ls-access-'));
      return { env: { DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}` }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    skip: process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set',
    async env() {
      const db: TestDatabase = await createTestDatabase(process.env.TEST_DATABASE_URL!);
      return { env: { DATABASE_URL: db.url }, cleanup: () => db.drop() };
    },
  },
  {
    name: 'SQLite + Redis',
    skip: process.env.TEST_REDIS_URL ? false : 'TEST_REDIS_URL is not set',
    async env() {
      return { env: { REDIS_URL: process.env.TEST_REDIS_URL!, REDIS_KEY_PREFIX: `test-access-${randomBytes(4).toString('hex')}:` }, cleanup: async () => {} };
    },
  },
];

for (const backend of backends) {
  describe(`allowed networks (${backend.name})`, { skip: backend.skip }, () => {
    let server: TestServer;
    let seeded: SeededAccount;
    let cleanup: () => Promise<void>;
    let bearer: string;

    before(async () => {
      const setup = await backend.env();
      cleanup = setup.cleanup;
      server = await startTestServer({ env: { ...setup.env, TRUST_PROXY: '127.0.0.1' } });
      seeded = await seedAccount(server, '123456');
      const admin = await login('10.0.0.5');
      assert.equal(admin.status, 200, admin.text);
      bearer = admin.json.bearer;
    });
    after(async () => {
      await server?.close();
      await cleanup?.();
    });

    const url = (path: string) => `${server.baseUrl}/api/account/123456/${path}`;
    const login = (ip: string) => postJson(url('login'), { username: seeded.human.loginName, password: seeded.human.password }, from(ip));
    const botLogin = (ip: string) => postJson(url('login'), { username: seeded.bot.loginName, appKey: seeded.bot.key.appKey, secret: seeded.bot.key.secret, accessToken: seeded.bot.key.accessToken, accessTokenSecret: seeded.bot.key.accessTokenSecret }, from(ip));
    const call = async (method: string, path: string, body?: unknown, ip = '10.0.0.5') => {
      const res = await fetch(url(`configuration/${path}`), {
        method,
        headers: { authorization: `Bearer ${bearer}`, ...from(ip), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
    };
    const events = async (type: string) => (await call('GET', `events?type=${type}`)).json as Array<{ detail: Record<string, any>; clientIp: string; loginName: string }>;
    const settings = (ranges: unknown[], enabled = true) => ({ mfa: 'off', mfaForSso: false, ipRestrictions: { enabled, ranges }, deactivateAfterDays: 0 });

    test('defaults, then a change that would shut the administrator out is refused with 409 and changes nothing', async () => {
      assert.deepEqual((await call('GET', 'access-control')).json, settings([], false));
      const refused = await call('PUT', 'access-control', settings([{ from: '192.168.1.0', to: '192.168.1.255' }]));
      assert.equal(refused.status, 409, refused.text);
      assert.equal(refused.json.error.internalCode, 32);
      assert.match(refused.json.error.message, /10\.0\.0\.5.*force=true/);
      assert.deepEqual((await call('GET', 'access-control')).json, settings([], false));
      assert.equal((await login('192.168.7.7')).status, 200, 'nothing was enabled');
    });

    test('bad ranges are refused with 400 naming the field, and change nothing', async () => {
      for (const [ranges, message] of [
        [[{ from: '10.0.0.1', to: '2001:db8::1' }], /ranges\[0\]: from and to must be of one family/],
        [[HQ, { from: '10.0.0.9', to: '10.0.0.1' }], /ranges\[1\]: from must not come after to/],
        [[{ cidr: '10.0.0.0/40' }], /not a CIDR block/],
        [[{ from: '10.0.0.1' }], /either from and to, or cidr/],
      ] as const) {
        const res = await call('PUT', 'access-control', settings([...ranges]));
        assert.equal(res.status, 400, res.text);
        assert.match(res.json.error.message, message);
      }
      assert.equal((await call('PUT', 'access-control', settings(Array(101).fill(HQ)))).status, 400);
      assert.deepEqual((await call('GET', 'access-control')).json, settings([], false));
    });

    test("ranges holding the administrator's address are saved; people log in only from inside them, IPv4 and IPv6; bots are exempt", async () => {
      const saved = await call('PUT', 'access-control', settings([HQ, V6]));
      assert.equal(saved.status, 200, saved.text);
      assert.deepEqual(saved.json, settings([HQ, V6]));
      assert.deepEqual((await call('GET', 'access-control')).json, settings([HQ, V6]));

      for (const ip of ['10.0.0.77', '10.0.0.255', '2001:db8:1::9']) assert.equal((await login(ip)).status, 200, ip);
      for (const ip of ['10.0.1.0', '203.0.113.9', '2001:db9::1']) {
        const refused = await login(ip);
        assert.equal(refused.status, 403, ip);
        assert.equal(refused.json.error.internalCode, ADDRESS_NOT_ALLOWED);
        assert.equal(refused.json.error.responseStatus, 'FORBIDDEN');
        assert.equal(refused.json.bearer, undefined);
      }
      // Refused before the password is looked at: a wrong one from outside gets the same 403.
      const wrong = await postJson(url('login'), { username: seeded.human.loginName, password: 'not the password' }, from('203.0.113.9'));
      assert.equal(wrong.status, 403);

      const bot = await botLogin('203.0.113.9');
      assert.equal(bot.status, 200, `bots are governed by their keys' allowlists: ${bot.text}`);

      const failures = (await events('login_failure')).filter((e) => e.detail.reason === 'address_not_allowed');
      assert.deepEqual(failures.map((e) => e.clientIp).sort(), ['10.0.1.0', '2001:db9::1', '203.0.113.9', '203.0.113.9']);
      assert.ok(failures.every((e) => e.loginName === seeded.human.loginName && e.detail.method === 'password'));
    });

    test('a session opened inside is refreshed inside, and refused from outside', async () => {
      const inside = await login('10.0.0.80');
      const cookie = `Session_id=${sessionCookie(inside.headers)}`;
      const refresh = (ip: string) => postJson(url('refresh'), { csrf: inside.json.csrf }, { cookie, ...from(ip) });
      assert.equal((await refresh('10.0.0.80')).status, 200);
      const outside = await refresh('198.51.100.1');
      assert.equal(outside.status, 403);
      assert.equal(outside.json.error.internalCode, ADDRESS_NOT_ALLOWED);
      const audited = (await events('refresh_failure')).find((e) => e.detail.reason === 'address_not_allowed');
      assert.equal(audited?.clientIp, '198.51.100.1');
      assert.equal(audited?.loginName, seeded.human.loginName);
      assert.equal((await refresh('10.0.0.81')).status, 200, 'the session itself lives on');
    });

    test('force=true saves a change that shuts the administrator out; the event keeps before, after and forced', async () => {
      const blocked = settings([{ cidr: '192.168.0.0/16', description: 'elsewhere' }]);
      assert.equal((await call('PUT', 'access-control', blocked)).status, 409);
      const forced = await fetch(url('configuration/access-control?force=true'), {
        method: 'PUT',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', ...from('10.0.0.5') },
        body: JSON.stringify(blocked),
      });
      assert.equal(forced.status, 200);
      assert.equal((await login('10.0.0.5')).status, 403, 'the administrator is outside now');
      const changes = (await events('admin_change')).filter((e) => e.detail.action === 'access_control_set');
      assert.equal(changes.length, 2);
      assert.equal(changes[0]!.detail.forced, true);
      assert.deepEqual(changes[0]!.detail.before.ipRestrictions, { enabled: true, ranges: [HQ, V6] });
      assert.deepEqual(changes[0]!.detail.after.ipRestrictions, blocked.ipRestrictions);
      assert.equal(changes[1]!.detail.forced, undefined);

      // Turning them off lets everyone in again, and needs no force.
      assert.equal((await call('PUT', 'access-control', settings(blocked.ipRestrictions.ranges, false))).status, 200);
      assert.equal((await login('10.0.0.5')).status, 200);
    });

    test('a write of the account settings leaves access control alone', async () => {
      const before = (await call('GET', 'access-control')).json;
      const res = await call('PUT', 'settings', { name: 'Renamed', timeZone: 'UTC' });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.accessControl, undefined);
      assert.deepEqual((await call('GET', 'access-control')).json, before);
    });
  });
}
