/** The administration API on PostgreSQL: the same answers as on SQLite for the main paths. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, seedAccount, startTestServer, type TestServer } from '../helpers/server.js';
import { createTestDatabase, type TestDatabase } from '../store/postgresDatabase.js';

const serverUrl = process.env.TEST_DATABASE_URL;

if (serverUrl) {
  let db: TestDatabase;
  let server: TestServer;
  before(async () => {
    db = await createTestDatabase(serverUrl);
    server = await startTestServer({ env: { DATABASE_URL: db.url } });
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  test('PostgreSQL: users, groups and profiles over HTTP, with revisions, 409s and profiles deciding the login', async () => {
    assert.equal(server.stores.backend, 'postgres');
    const seeded = await seedAccount(server, '123456');
    const admin = await postJson(`${server.baseUrl}/api/account/123456/login`, { username: seeded.human.loginName, password: seeded.human.password });
    assert.equal(admin.json.config.isAdmin, true);
    assert.deepEqual(admin.json.config.userPrivileges, [100, 101, 1730]);
    const api = `${server.baseUrl}/api/account/123456/configuration`;
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${api}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin.json.bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
    };
    const group = await call('POST', '/le-users/agentGroups', { name: 'Sales' });
    const profile = await call('POST', '/le-users/profiles', { name: 'Sales agent', roleTypeId: 2, permissions: [7] });
    const list = await call('GET', '/le-users/users');
    const revision = list.headers.get('ac-revision')!;
    const user = await call('POST', '/le-users/users', { loginName: 'pg.agent', password: 'a long enough passphrase', memberOf: { agentGroupId: group.json.id }, profileIds: [profile.json.id] }, { 'if-match': revision });
    assert.equal(user.status, 201);
    assert.equal(user.headers.get('ac-revision'), String(Number(revision) + 1));
    assert.equal((await call('POST', '/le-users/users', { loginName: 'late', password: 'a long enough passphrase' }, { 'if-match': revision })).status, 412);
    assert.equal((await call('DELETE', `/le-users/agentGroups/${group.json.id}`)).status, 409);
    assert.equal((await call('DELETE', `/le-users/profiles/${profile.json.id}`)).status, 409);
    const login = await postJson(`${server.baseUrl}/api/account/123456/login`, { username: 'pg.agent', password: 'a long enough passphrase' });
    assert.deepEqual(login.json.config.userPrivileges, [7]);
    assert.ok(login.json.accountData.agentGroupsData.items.some((g: { name: string }) => g.name === 'Sales'));
    assert.equal((await call('DELETE', `/le-users/users/${user.json.id}`)).status, 200);
    assert.equal((await call('GET', `/le-users/users/${user.json.id}?include_deleted=true`)).json.deleted, true);
    assert.equal((await call('DELETE', `/le-users/profiles/${profile.json.id}`)).status, 200);
  });
}
