/**
 * Rights follow an administrator's change at once (docs/SECURITY.md): a change
 * of a user's profiles, login name or allowed app keys ends that user's
 * sessions, and a change of a profile's role type or permissions ends the
 * sessions of its holders. Over a real socket, on every backend that keeps
 * sessions: SQLite, PostgreSQL, SQLite + Redis.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { postJson, seedAccount, startTestServer, type TestServerOptions } from '../helpers/server.js';
import { createTestDatabase } from '../store/postgresDatabase.js';

const PASSWORD = 'a long enough passphrase';

const backends: Array<{ name: string; skip: string | false; start(): Promise<{ options: TestServerOptions; drop(): Promise<void> }> }> = [
  { name: 'SQLite', skip: false, start: async () => ({ options: {}, drop: async () => {} }) },
  {
    name: 'PostgreSQL',
    skip: process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set',
    start: async () => {
      const db = await createTestDatabase(process.env.TEST_DATABASE_URL!);
      return { options: { env: { DATABASE_URL: db.url } }, drop: () => db.drop() };
    },
  },
  {
    name: 'SQLite + Redis',
    skip: process.env.TEST_REDIS_URL ? false : 'TEST_REDIS_URL is not set',
    start: async () => ({ options: { env: { REDIS_URL: process.env.TEST_REDIS_URL!, REDIS_KEY_PREFIX: `test-rights-${randomBytes(4).toString('hex')}:` } }, drop: async () => {} }),
  },
];

for (const backend of backends) {
  describe(`rights follow an administrator's change at once (${backend.name})`, { skip: backend.skip }, () => {
    test('demote, rename, allowed app keys, profile permissions: the old sessions end; other changes keep them', async () => {
      const { options, drop } = await backend.start();
      const server = await startTestServer(options);
      try {
        const seeded = await seedAccount(server, '123456');
        const base = `${server.baseUrl}/api/account/123456`;
        const login = async (body: Record<string, unknown>) => {
          const res = await postJson(`${base}/login`, body);
          assert.equal(res.status, 200, res.text);
          return res.json.bearer as string;
        };
        const call = async (bearer: string, method: string, path: string, body?: unknown) => {
          const res = await fetch(`${base}/configuration${path}`, {
            method,
            headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          const text = await res.text();
          return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
        };
        const bearerStatus = async (bearer: string) => (await fetch(`${base}/session`, { headers: { authorization: `Bearer ${bearer}` } })).status;
        const admin = await login({ username: seeded.human.loginName, password: seeded.human.password });

        // A second administrator, demoted while logged in: refused at once, and cannot mint a key or promote itself back.
        const second = await call(admin, 'POST', '/le-users/users', { loginName: 'second.admin', password: PASSWORD, profileIds: [1] });
        assert.equal(second.status, 201, second.text);
        const secondBearer = await login({ username: 'second.admin', password: PASSWORD });
        assert.equal((await call(secondBearer, 'GET', '/le-users/users')).status, 200);
        const demoted = await call(admin, 'PUT', `/le-users/users/${second.json.id}`, { loginName: 'second.admin', profileIds: [2] });
        assert.equal(demoted.status, 200, demoted.text);
        assert.equal(await bearerStatus(secondBearer), 401, 'the demoted administrator\'s bearer is refused');
        assert.equal((await call(secondBearer, 'POST', '/app-keys', { name: 'sneaky' })).status, 401);
        assert.equal((await call(secondBearer, 'PUT', `/le-users/users/${second.json.id}`, { loginName: 'second.admin', profileIds: [1] })).status, 401);
        assert.equal((await call(admin, 'GET', `/le-users/users/${second.json.id}`)).json.profileIds.includes(1), false, 'still demoted');
        assert.equal(await bearerStatus(admin), 200, 'the acting administrator keeps their session');

        // A change that takes nothing away keeps the sessions.
        const agent = await call(admin, 'POST', '/le-users/users', { loginName: 'old.name', password: PASSWORD, fullName: 'Before' });
        let agentBearer = await login({ username: 'old.name', password: PASSWORD });
        assert.equal((await call(admin, 'PUT', `/le-users/users/${agent.json.id}`, { loginName: 'old.name', fullName: 'After' })).status, 200);
        assert.equal(await bearerStatus(agentBearer), 200, 'a new full name ends nothing');

        // Rename: the sessions that answer with the old name end.
        assert.equal((await call(admin, 'PUT', `/le-users/users/${agent.json.id}`, { loginName: 'new.name', fullName: 'After' })).status, 200);
        assert.equal(await bearerStatus(agentBearer), 401, 'the renamed user\'s old session ended');
        agentBearer = await login({ username: 'new.name', password: PASSWORD });
        assert.equal((await (await fetch(`${base}/session`, { headers: { authorization: `Bearer ${agentBearer}` } })).json()).loginName, 'new.name');

        // Allowed app keys: the bot's session made with a key it may no longer use ends.
        const next = await call(admin, 'POST', '/app-keys', { name: 'next key' });
        assert.equal(next.status, 201, next.text);
        const botBearer = await login({ username: seeded.bot.loginName, ...seeded.bot.key });
        const moved = await call(admin, 'PUT', `/le-users/users/${seeded.bot.user.userId}`, { loginName: seeded.bot.loginName, isApiUser: true, allowedAppKeys: next.json.appKey });
        assert.equal(moved.status, 200, moved.text);
        assert.equal(await bearerStatus(botBearer), 401, 'the bot\'s session ended');
        assert.equal((await postJson(`${base}/login`, { username: seeded.bot.loginName, ...seeded.bot.key })).status, 401);

        // Profile permissions: every holder's session ends; a user without the profile keeps theirs.
        const profile = await call(admin, 'POST', '/le-users/profiles', { name: 'Night shift', roleTypeId: 2, permissions: [7] });
        assert.equal(profile.status, 201, profile.text);
        const holder = await call(admin, 'POST', '/le-users/users', { loginName: 'night.holder', password: PASSWORD, profileIds: [2, profile.json.id] });
        assert.equal(holder.status, 201, holder.text);
        const holderBearer = await login({ username: 'night.holder', password: PASSWORD });
        const renamedOnly = await call(admin, 'PUT', `/le-users/profiles/${profile.json.id}`, { name: 'Night shift (renamed)', roleTypeId: 2, permissions: [7] });
        assert.equal(renamedOnly.status, 200, renamedOnly.text);
        assert.equal(await bearerStatus(holderBearer), 200, 'a profile\'s new name takes no right away');
        const widened = await call(admin, 'PUT', `/le-users/profiles/${profile.json.id}`, { name: 'Night shift (renamed)', roleTypeId: 2, permissions: [7, 8] });
        assert.equal(widened.status, 200, widened.text);
        assert.equal(await bearerStatus(holderBearer), 401, 'the holder\'s session ended');
        assert.equal(await bearerStatus(agentBearer), 200, 'a user without the profile keeps their session');
        const again = await postJson(`${base}/login`, { username: 'night.holder', password: PASSWORD });
        assert.deepEqual(again.json.config.userPrivileges, [7, 8], 'the next login carries the new rights');

        // Every ending is in the audit trail with how many sessions it ended.
        const events = await server.stores.events.listEvents('123456', {});
        const updates = events.filter((e) => e.detail.action === 'user_update' || e.detail.action === 'profile_update').map((e) => e.detail.sessionsEnded);
        assert.ok(updates.filter((n) => n === 1).length >= 4, JSON.stringify(updates));
      } finally {
        await server.close();
        await drop();
      }
    });
  });
}
