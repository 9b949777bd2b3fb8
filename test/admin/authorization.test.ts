/**
 * Rights follow the directory, not the session: an administrator demoted,
 * disabled or deleted loses the administration API with their next request,
 * on every backend (SQLite, PostgreSQL, SQLite + Redis sessions).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { postJson, seedAccount, startTestServer, type TestServer } from '../helpers/server.js';
import { createTestDatabase } from '../store/postgresDatabase.js';

const PASSWORD = 'a long enough passphrase';
const ADMINISTRATOR = 1;
const AGENT = 2;

async function scenario(server: TestServer) {
  const seeded = await seedAccount(server, '123456');
  const api = `${server.baseUrl}/api/account/123456/configuration`;
  const login = async (username: string) => {
    const res = await postJson(`${server.baseUrl}/api/account/123456/login`, { username, password: PASSWORD });
    assert.equal(res.status, 200, res.text);
    return res.json.bearer as string;
  };
  const call = async (bearer: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  const first = (await postJson(`${server.baseUrl}/api/account/123456/login`, { username: seeded.human.loginName, password: seeded.human.password })).json.bearer as string;
  const newAdmin = async (loginName: string) => {
    const created = await call(first, 'POST', '/le-users/users', { loginName, password: PASSWORD, profileIds: [ADMINISTRATOR] });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const bearer = await login(loginName);
    assert.equal((await call(bearer, 'GET', '/le-users/users')).status, 200, 'an administrator may call');
    return { id: created.json.id as string, bearer };
  };

  // Demoted over the API by another administrator: the demotion ends the user's sessions (docs/SECURITY.md), so
  // the same bearer is refused from the next request on.
  const demoted = await newAdmin('demoted.admin');
  const demotion = await call(first, 'PUT', `/le-users/users/${demoted.id}`, { loginName: 'demoted.admin', profileIds: [AGENT] });
  assert.equal(demotion.status, 200);
  const read = await call(demoted.bearer, 'GET', '/le-users/users');
  assert.equal(read.status, 401);
  assert.equal((await call(demoted.bearer, 'PUT', `/le-users/users/${demoted.id}`, { loginName: 'demoted.admin', profileIds: [ADMINISTRATOR] })).status, 401, 'cannot set the profile back');
  assert.equal((await call(demoted.bearer, 'POST', '/app-keys', { name: 'escape hatch' })).status, 401, 'cannot mint an API key');
  // Logged in again as the agent it now is: refused as one, with the administrator-only code.
  const again = await call(await login('demoted.admin'), 'GET', '/le-users/users');
  assert.equal(again.status, 403);
  assert.equal(again.json.error.internalCode, 27);
  assert.deepEqual((await call(first, 'GET', `/le-users/users/${demoted.id}`)).json.profileIds, [AGENT], 'nothing changed');
  assert.equal((await call(first, 'GET', '/app-keys')).json.some((k: { name: string }) => k.name === 'escape hatch'), false);

  // Demoted directly in the store (another server, the CLI): the same.
  const storeDemoted = await newAdmin('store.demoted');
  const user = (await server.stores.users.getUserById('123456', storeDemoted.id))!;
  await server.stores.users.writeUsers('123456', { replace: [{ ...user, profileIds: [AGENT] }] });
  assert.equal((await call(storeDemoted.bearer, 'GET', '/settings')).status, 403);

  // Promoted again: the rights come back with the same bearer, as they are read at each request.
  await server.stores.users.writeUsers('123456', { replace: [{ ...user, profileIds: [ADMINISTRATOR] }] });
  assert.equal((await call(storeDemoted.bearer, 'GET', '/settings')).status, 200);

  // Disabled behind the session's back (the session still exists): 401.
  const disabled = await newAdmin('disabled.admin');
  assert.equal(await server.stores.users.updateUser('123456', disabled.id, { enabled: false }), true);
  assert.equal((await call(disabled.bearer, 'GET', '/le-users/users')).status, 401);
  // Disabled over the API: the sessions end, 401.
  const disabledByApi = await newAdmin('disabled.by.api');
  assert.equal((await call(first, 'PUT', `/le-users/users/${disabledByApi.id}`, { loginName: 'disabled.by.api', profileIds: [ADMINISTRATOR], isEnabled: false })).status, 200);
  assert.equal((await call(disabledByApi.bearer, 'GET', '/le-users/users')).status, 401);

  // The first administrator still may.
  assert.equal((await call(first, 'GET', '/le-users/users')).status, 200);
}

test('SQLite: a demoted or disabled administrator loses the administration API at the next request', async () => {
  const server = await startTestServer();
  try {
    await scenario(server);
  } finally {
    await server.close();
  }
});

test('PostgreSQL: the same', { skip: process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set' }, async () => {
  const db = await createTestDatabase(process.env.TEST_DATABASE_URL!);
  const server = await startTestServer({ env: { DATABASE_URL: db.url } });
  try {
    assert.equal(server.stores.backend, 'postgres');
    await scenario(server);
  } finally {
    await server.close();
    await db.drop();
  }
});

test('SQLite + Redis sessions: the same', { skip: process.env.TEST_REDIS_URL ? false : 'TEST_REDIS_URL is not set' }, async () => {
  const server = await startTestServer({ env: { REDIS_URL: process.env.TEST_REDIS_URL!, REDIS_KEY_PREFIX: `test-authz-${randomBytes(4).toString('hex')}:` } });
  try {
    assert.equal(server.stores.backend, 'sqlite+redis');
    await scenario(server);
  } finally {
    await server.close();
  }
});
