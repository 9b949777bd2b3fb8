/**
 * The administration API for daily work, over a real socket, on SQLite and
 * PostgreSQL: users' lock state and last login, unlock's honest answer, one
 * session ended by its id, events by type and cursor, and the account's last
 * enabled administrator kept.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sessionRef } from '../../src/directory/sessions.js';
import { hashToken } from '../../src/security/tokens.js';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { createTestDatabase, type TestDatabase } from '../store/postgresDatabase.js';

const PASSWORD = 'a long enough passphrase';
const LAST_ADMIN = "the account's last enabled administrator cannot be disabled, deleted or demoted";

function dailySuite(backend: string, env: () => Promise<{ env: Record<string, string>; drop?: () => Promise<void> }>) {
  describe(`administration for daily work (${backend})`, () => {
    let server: TestServer;
    let seeded: SeededAccount;
    let bearer: string;
    let api: string;
    let drop: (() => Promise<void>) | undefined;

    async function call(method: string, path: string, body?: unknown, as = bearer) {
      const res = await fetch(`${api}${path}`, {
        method,
        headers: { authorization: `Bearer ${as}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
    }
    const login = (username: string, password: string) => postJson(`${server.baseUrl}/api/account/123456/login`, { username, password });
    const bearerWorks = async (token: string) => (await fetch(`${server.baseUrl}/api/account/123456/session`, { headers: { authorization: `Bearer ${token}` } })).status === 200;
    const userNamed = async (loginName: string) => ((await call('GET', '/le-users/users')).json as any[]).find((u) => u.loginName === loginName);

    before(async () => {
      const setup = await env();
      drop = setup.drop;
      server = await startTestServer({ env: { LOGIN_FAILURES_PER_MINUTE: '0', ...setup.env } });
      seeded = await seedAccount(server, '123456');
      const res = await login(seeded.human.loginName, seeded.human.password);
      assert.equal(res.status, 200, res.text);
      bearer = res.json.bearer;
      api = `${server.baseUrl}/api/account/123456/configuration`;
    });
    after(async () => {
      await server?.close();
      await drop?.();
    });

    test('users carry lockedUntil and lastLoginAt; select works with them; unlock says whether there was a lock', async () => {
      const created = await call('POST', '/le-users/users', { loginName: 'lena.koch', password: PASSWORD });
      assert.equal(created.status, 201);
      assert.equal(created.json.lockedUntil, null);
      assert.equal(created.json.lastLoginAt, null);

      assert.equal((await login('lena.koch', PASSWORD)).status, 200);
      const loggedIn = server.clock.now();
      assert.equal((await userNamed('lena.koch')).lastLoginAt, new Date(loggedIn).toISOString());

      // Nothing locked: unlock says so and forgets nothing.
      assert.deepEqual((await call('PUT', `/le-users/users/${created.json.id}/unlock`, {})).json, { id: created.json.id, wasLocked: false, failuresCleared: 0 });

      for (let i = 0; i < 5; i++) assert.equal((await login('lena.koch', `wrong guess ${i}`)).status, 401);
      const listed = await userNamed('lena.koch');
      assert.equal(typeof listed.lockedUntil, 'string');
      assert.ok(Date.parse(listed.lockedUntil) > server.clock.now(), 'the lock ends in the future');
      assert.equal((await userNamed(seeded.human.loginName)).lockedUntil, null, 'others are not locked');
      assert.equal((await call('GET', `/le-users/users/${created.json.id}`)).json.lockedUntil, listed.lockedUntil);

      const selected = (await call('GET', '/le-users/users?select=loginName,lockedUntil,lastLoginAt')).json.find((u: any) => u.loginName === 'lena.koch');
      assert.deepEqual(Object.keys(selected).sort(), ['id', 'lastLoginAt', 'lockedUntil', 'loginName']);
      assert.equal(selected.lockedUntil, listed.lockedUntil);
      const without = (await call('GET', '/le-users/users?select=loginName')).json.find((u: any) => u.loginName === 'lena.koch');
      assert.deepEqual(Object.keys(without).sort(), ['id', 'loginName']);

      // A user read can be sent back: the read-only fields are ignored.
      const { status: putStatus, json: replaced } = await call('PUT', `/le-users/users/${created.json.id}`, { ...listed, lockedUntil: '2000-01-01T00:00:00.000Z', lastLoginAt: null, fullName: 'Lena Koch' });
      assert.equal(putStatus, 200);
      assert.equal(replaced.fullName, 'Lena Koch');
      assert.equal(replaced.lockedUntil, listed.lockedUntil, 'still locked: lockedUntil is not written');
      assert.equal(replaced.lastLoginAt, new Date(loggedIn).toISOString());

      const unlocked = await call('PUT', `/le-users/users/${created.json.id}/unlock`, {});
      assert.deepEqual(unlocked.json, { id: created.json.id, wasLocked: true, failuresCleared: 5 });
      assert.equal((await userNamed('lena.koch')).lockedUntil, null);
      assert.equal((await call('PUT', `/le-users/users/${created.json.id}/unlock`, {})).json.wasLocked, false);
      assert.equal((await login('lena.koch', PASSWORD)).status, 200);
    });

    test("sessions carry an opaque id and the caller's own is current; DELETE sessions/{id} ends that one session", async () => {
      await call('POST', '/le-users/users', { loginName: 'nils.berg', password: PASSWORD });
      const first = await login('nils.berg', PASSWORD);
      server.clock.advance(1000);
      const second = await login('nils.berg', PASSWORD);
      const sessions = (await call('GET', '/sessions')).json as any[];
      for (const s of sessions) {
        assert.match(s.id, /^[0-9a-f]{32}$/);
        for (const token of [bearer, first.json.bearer, second.json.bearer]) {
          assert.notEqual(s.id, token);
          assert.ok(!hashToken(token).startsWith(s.id), 'not a prefix of a token digest');
        }
      }
      assert.equal(new Set(sessions.map((s) => s.id)).size, sessions.length, 'ids are distinct');
      const current = sessions.filter((s) => s.current === true);
      assert.equal(current.length, 1);
      assert.equal(current[0].loginName, seeded.human.loginName);
      assert.ok(sessions.filter((s) => s.loginName === 'nils.berg').every((s) => s.current === undefined));

      const nils = (await call('GET', '/sessions?user=nils.berg')).json as any[];
      assert.equal(nils.length, 2);
      // Oldest first: the first login's session.
      const ended = await call('DELETE', `/sessions/${nils[0].id}`);
      assert.equal(ended.status, 200);
      assert.deepEqual(ended.json, { id: nils[0].id, sessionsEnded: 1 });
      assert.equal(await bearerWorks(first.json.bearer), false, 'that session ended');
      assert.equal(await bearerWorks(second.json.bearer), true, 'the other goes on');
      assert.deepEqual(((await call('GET', '/sessions?user=nils.berg')).json as any[]).map((s) => s.id), [nils[1].id]);

      const again = await call('DELETE', `/sessions/${nils[0].id}`);
      assert.equal(again.status, 404);
      assert.equal(typeof again.json.error.message, 'string');
      assert.equal((await call('DELETE', `/sessions/${'0'.repeat(32)}`)).status, 404);
      assert.equal((await call('DELETE', `/sessions/${'x'.repeat(65)}`)).status, 400);
      assert.equal(await bearerWorks(second.json.bearer), true, 'refused deletes change nothing');

      // Another account's session is not found through this one.
      const other = await seedAccount(server, '777');
      await postJson(`${server.baseUrl}/api/account/777/login`, { username: other.human.loginName, password: other.human.password });
      const otherIds = (await server.stores.sessions.listSessions('777', server.clock.now())).map((s) => s.idHash);
      assert.equal((await call('DELETE', `/sessions/${sessionRef({ idHash: otherIds[0]! })}`)).status, 404);

      const revoked = (await call('GET', '/events?type=session_revoked&user=nils.berg')).json as any[];
      assert.equal(revoked.length, 1);
      assert.deepEqual({ scope: revoked[0].detail.scope, sessionsEnded: revoked[0].detail.sessionsEnded, by: revoked[0].detail.by }, { scope: 'session', sessionsEnded: 1, by: seeded.human.loginName });
    });

    test('events: an exact type filter and a cursor that pages exactly, even within one millisecond', async () => {
      const time = server.clock.now() + 3_600_000;
      for (let i = 0; i < 7; i++) {
        await server.stores.events.appendEvent({ time, accountId: '123456', type: 'paging_probe', userId: null, loginName: `probe.${i}`, clientIp: null, userAgent: null, detail: { i } });
      }
      await server.stores.events.appendEvent({ time, accountId: '123456', type: 'paging_probe_other', userId: null, loginName: 'other', clientIp: null, userAgent: null, detail: {} });

      const seen: string[] = [];
      let after: string | null = null;
      const pages: number[] = [];
      do {
        const page = await call('GET', `/events?type=paging_probe&limit=3${after ? `&after=${encodeURIComponent(after)}` : ''}`);
        assert.equal(page.status, 200);
        for (const e of page.json) {
          assert.equal(e.type, 'paging_probe');
          assert.equal(typeof e.id, 'number');
          seen.push(e.loginName);
        }
        pages.push(page.json.length);
        after = page.headers.get('ac-next-cursor');
      } while (after !== null);
      assert.deepEqual(pages, [3, 3, 1], 'the last, partial page carries no cursor');
      assert.deepEqual(seen, ['probe.6', 'probe.5', 'probe.4', 'probe.3', 'probe.2', 'probe.1', 'probe.0'], 'newest first, none skipped or repeated');

      const all = (await call('GET', '/events?limit=1000')).json as any[];
      assert.ok(all.some((e) => e.type === 'paging_probe_other') && all.some((e) => e.type === 'login_success'), 'no type: every type');
      assert.deepEqual((await call('GET', '/events?type=no_such_type')).json, []);
      for (const bad of ['abc', '1.2.3', '-1.5', `${'9'.repeat(16)}.1`]) {
        const refused = await call('GET', `/events?after=${encodeURIComponent(bad)}`);
        assert.equal(refused.status, 400, bad);
        assert.equal(typeof refused.json.error.message, 'string');
      }
    });

    test("the account's last enabled administrator cannot be disabled, demoted or deleted; with a second one it works", async () => {
      const me = await userNamed(seeded.human.loginName);
      const revision = (await call('GET', '/le-users/users')).headers.get('ac-revision');
      for (const [method, path, body] of [
        ['PUT', `/le-users/users/${me.id}`, { ...me, isEnabled: false }],
        ['PUT', `/le-users/users/${me.id}`, { ...me, profileIds: [2] }],
        ['DELETE', `/le-users/users/${me.id}`, undefined],
        ['DELETE', '/le-users/users', [me.id]],
      ] as const) {
        const refused = await call(method, path, body);
        assert.equal(refused.status, 409, `${method} ${path}`);
        assert.ok(refused.json.error.message.endsWith(LAST_ADMIN), refused.json.error.message);
      }
      assert.deepEqual(await userNamed(seeded.human.loginName), me, 'nothing changed');
      assert.equal((await call('GET', '/le-users/users')).headers.get('ac-revision'), revision, 'no write counted');
      assert.equal(await bearerWorks(bearer), true, 'the session goes on');

      const second = await call('POST', '/le-users/users', { loginName: 'second.admin', password: PASSWORD, profileIds: [1] });
      assert.equal(second.status, 201);
      const disabled = await call('PUT', `/le-users/users/${second.json.id}`, { ...second.json, isEnabled: false });
      assert.equal(disabled.status, 200, JSON.stringify(disabled.json));
      assert.equal(disabled.json.isEnabled, false);
      // A disabled administrator does not count: the caller is the last again.
      assert.equal((await call('PUT', `/le-users/users/${me.id}`, { ...me, profileIds: [2] })).status, 409);
      assert.equal((await call('PUT', `/le-users/users/${second.json.id}`, { ...second.json, isEnabled: true })).status, 200);
      const demoted = await call('PUT', `/le-users/users/${second.json.id}`, { ...second.json, profileIds: [2] });
      assert.equal(demoted.status, 200);
      assert.deepEqual(demoted.json.profileIds, [2]);
      await call('PUT', `/le-users/users/${second.json.id}`, { ...second.json, profileIds: [1] });
      assert.equal((await call('DELETE', `/le-users/users/${second.json.id}`)).status, 200);
      assert.equal((await call('DELETE', `/le-users/users/${me.id}`)).status, 409);
    });
  });
}

dailySuite('SQLite', async () => ({ env: {} }));

const serverUrl = process.env.TEST_DATABASE_URL;
if (serverUrl) {
  dailySuite('PostgreSQL', async () => {
    const db: TestDatabase = await createTestDatabase(serverUrl);
    return { env: { DATABASE_URL: db.url }, drop: () => db.drop() };
  });
}
