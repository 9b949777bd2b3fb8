/**
 * The administration API over a real socket: who may call, users, agent
 * groups, profiles, revisions, select, bad input, all-or-nothing lists, 409s,
 * and our own resources.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount } from '../../src/accounts/service.js';
import { createUser } from '../../src/directory/users.js';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { assertionXml, base64, makeIdp, sign } from '../sso/idp.js';

let server: TestServer;
let seeded: SeededAccount;
let bearer: string;
let api: string;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, as = bearer) {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { ...(as ? { authorization: `Bearer ${as}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {}
  return { status: res.status, json, text, headers: res.headers };
}

async function login(accountId: string, username: string, password: string) {
  const res = await postJson(`${server.baseUrl}/api/account/${accountId}/login`, { username, password });
  return res;
}

const bearerWorks = async (accountId: string, token: string) =>
  (await fetch(`${server.baseUrl}/api/account/${accountId}/session`, { headers: { authorization: `Bearer ${token}` } })).status === 200;

const PASSWORD = 'a long enough passphrase';

before(async () => {
  server = await startTestServer();
  seeded = await seedAccount(server, '123456');
  const res = await login('123456', seeded.human.loginName, seeded.human.password);
  assert.equal(res.status, 200, res.text);
  bearer = res.json.bearer;
  api = `${server.baseUrl}/api/account/123456/configuration`;
});
after(async () => {
  await server?.close();
});

describe('who may call', () => {
  test('no bearer, an unknown one or an ended one: 401', async () => {
    assert.equal((await call('GET', '/le-users/users', undefined, {}, '')).status, 401);
    const unknown = await call('GET', '/le-users/users', undefined, {}, 'f'.repeat(64));
    assert.equal(unknown.status, 401);
    assert.equal(unknown.json.error.responseStatus, 'UNAUTHORIZED');
  });

  test('a user who is not an administrator, or an administrator of another account: 403', async () => {
    const botLogin = await postJson(`${server.baseUrl}/api/account/123456/login`, {
      username: seeded.bot.loginName,
      appKey: seeded.bot.key.appKey,
      secret: seeded.bot.key.secret,
      accessToken: seeded.bot.key.accessToken,
      accessTokenSecret: seeded.bot.key.accessTokenSecret,
    });
    assert.equal(botLogin.status, 200, botLogin.text);
    const asBot = await call('GET', '/le-users/users', undefined, {}, botLogin.json.bearer);
    assert.equal(asBot.status, 403);
    assert.equal(asBot.json.error.internalCode, 27);

    const other = await seedAccount(server, '777');
    const otherAdmin = await login('777', other.human.loginName, other.human.password);
    assert.equal((await call('GET', '/le-users/users', undefined, {}, otherAdmin.json.bearer)).status, 403);
    assert.equal((await call('GET', '/settings', undefined, {}, otherAdmin.json.bearer)).status, 403);
  });
});

describe('users', () => {
  test('create an agent in a group with a profile; the profile decides what the login gets', async () => {
    const group = await call('POST', '/le-users/agentGroups', { name: 'Sales' });
    assert.equal(group.status, 201, group.text);
    const profile = await call('POST', '/le-users/profiles', { name: 'Sales agent', roleTypeId: 2, permissions: [1730, 100, 100] });
    assert.equal(profile.status, 201, profile.text);
    assert.deepEqual(profile.json.permissions, [100, 1730]);

    const created = await call('POST', '/le-users/users', {
      loginName: 'jane.doe',
      password: PASSWORD,
      fullName: 'Jane Doe',
      email: 'jane@example.com',
      memberOf: { agentGroupId: group.json.id, assignmentDate: '2026-01-02 03:04:05' },
      profileIds: [profile.json.id],
      maxChats: 4,
    });
    assert.equal(created.status, 201, created.text);
    assert.match(created.json.id, /^\d+$/);
    assert.equal(created.json.userTypeId, 1);
    assert.equal(created.json.password, undefined, 'write-only');
    assert.deepEqual(created.json.memberOf, { agentGroupId: group.json.id, assignmentDate: '2026-01-02 03:04:05' });
    assert.equal(created.json.nickname, '');
    assert.equal(created.json.isEnabled, true);
    assert.equal(created.headers.get('etag'), `"${created.headers.get('ac-revision')}"`);

    const jane = await login('123456', 'jane.doe', PASSWORD);
    assert.equal(jane.status, 200, jane.text);
    assert.deepEqual(jane.json.config.userPrivileges, [100, 1730]);
    assert.equal(jane.json.config.isAdmin, false);
    assert.ok(jane.json.accountData.agentGroupsData.items.some((g: { name: string }) => g.name === 'Sales'));

    const events = await call('GET', '/events?user=jane.doe');
    const create = events.json.find((e: { detail: { action?: string } }) => e.detail.action === 'user_create');
    assert.equal(create.detail.by, seeded.human.loginName, 'the event names the acting administrator');
    assert.equal(create.detail.via, 'api');
    assert.ok(!JSON.stringify(events.json).includes(PASSWORD));
  });

  test('an administrator profile makes isAdmin, and the new admin may call the API', async () => {
    const created = await call('POST', '/le-users/users', { loginName: 'second.admin', password: PASSWORD, profileIds: [1] });
    assert.equal(created.status, 201, created.text);
    const res = await login('123456', 'second.admin', PASSWORD);
    assert.equal(res.json.config.isAdmin, true);
    assert.equal((await call('GET', '/le-users/profiles', undefined, {}, res.json.bearer)).status, 200);
  });

  test('revisions: ETag and ac-revision, If-None-Match gives 304, a stale If-Match gives 412 and changes nothing', async () => {
    const list = await call('GET', '/le-users/users');
    assert.equal(list.status, 200);
    const revision = Number(list.headers.get('ac-revision'));
    assert.ok(revision > 0);
    assert.equal(list.headers.get('etag'), `"${revision}"`);
    assert.equal((await call('GET', '/le-users/users', undefined, { 'if-none-match': `"${revision}"` })).status, 304);
    assert.equal((await call('GET', '/le-users/users', undefined, { 'if-none-match': `"${revision - 1}"` })).status, 200);

    const stale = await call('POST', '/le-users/users', { loginName: 'late', password: PASSWORD }, { 'if-match': String(revision - 1) });
    assert.equal(stale.status, 412);
    assert.equal(stale.json.error.internalCode, 33);
    assert.equal(stale.headers.get('ac-revision'), String(revision));
    assert.equal((await call('GET', '/le-users/users?select=loginName')).json.some((u: { loginName: string }) => u.loginName === 'late'), false);

    const fresh = await call('POST', '/le-users/users', { loginName: 'on.time', password: PASSWORD }, { 'if-match': `"${revision}"` });
    assert.equal(fresh.status, 201, fresh.text);
    assert.equal(fresh.headers.get('ac-revision'), String(revision + 1));
  });

  test('select keeps id and the fields named; an unknown field or version is a 400', async () => {
    const res = await call('GET', '/le-users/users?select=loginName,email');
    assert.equal(res.status, 200);
    for (const u of res.json) assert.deepEqual(Object.keys(u).sort(), ['email', 'id', 'loginName']);
    const bad = await call('GET', '/le-users/users?select=loginName,password');
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /unknown field "password"/);
    assert.equal((await call('GET', '/le-users/users?v=4.0')).status, 200);
    assert.equal((await call('GET', '/le-users/users?v=6.0')).status, 200);
    const version = await call('GET', '/le-users/users?v=3.0');
    assert.equal(version.status, 400);
    assert.equal(version.json.error.internalCode, 2);
    assert.equal((await call('GET', '/le-users/agentGroups?v=1.0&select=name')).status, 200);
    assert.equal((await call('GET', '/le-users/profiles?v=2.0')).status, 400);
  });

  test('a list is created whole or not at all; bad input is a 400 that changes nothing', async () => {
    const before = await call('GET', '/le-users/users?select=loginName');
    const revision = before.headers.get('ac-revision');
    const good = { loginName: 'bulk.one', password: PASSWORD };
    const cases: Array<[unknown, number, RegExp]> = [
      [[good, { loginName: 'bulk.two', password: 'password1234' }], 400, /too common/],
      [[good, { loginName: 'bulk.two', password: 'short' }], 400, /at least 10/],
      [[good, { loginName: 'bulk.two', password: PASSWORD, profileIds: [999] }], 400, /profile 999 does not exist/],
      [[good, { loginName: 'bulk.two', password: PASSWORD, memberOf: { agentGroupId: 999 } }], 400, /agent group 999 does not exist/],
      [[good, { loginName: 'bulk.two', password: PASSWORD, email: 'not an address' }], 400, /email/],
      [[good, { loginName: 'bulk.two', password: PASSWORD, maxChats: 'four' }], 400, /maxChats|must/],
      [[good, { loginName: 'bulk.two', password: PASSWORD, colour: 'blue' }], 400, /additional|must/],
      [[good, { loginName: 'bulk.two', password: PASSWORD, profileIds: [] }], 400, /profileIds|must/],
      [[good, { loginName: 'BULK.ONE', password: PASSWORD }], 400, /twice/],
      [[good, { loginName: 'jane.doe', password: PASSWORD }], 409, /already exists/],
      [[good, { loginName: 'bulk.two' }], 400, /needs a password/],
      [[good, { loginName: 'bulk.bot', isApiUser: true, allowedAppKeys: 'nope' }], 400, /not an active key/],
      [{ loginName: 'x', password: PASSWORD, memberOf: { agentGroupId: -1, assignmentDate: 'yesterday' } }, 400, /pattern|must/],
    ];
    for (const [body, status, message] of cases) {
      const res = await call('POST', '/le-users/users', body);
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
      assert.match(res.json.error.message, message, JSON.stringify(body));
      assert.ok(res.json.error.time && res.json.error.responseStatus, 'the error shape');
    }
    const afterwards = await call('GET', '/le-users/users?select=loginName');
    assert.deepEqual(afterwards.json, before.json);
    assert.equal(afterwards.headers.get('ac-revision'), revision);

    const both = await call('POST', '/le-users/users', [good, { loginName: 'bulk.two', password: PASSWORD }]);
    assert.equal(both.status, 201, both.text);
    assert.equal(both.json.length, 2);
    assert.equal(both.headers.get('ac-revision'), String(Number(revision) + 1), 'one revision for the list');
  });

  test('PUT replaces the whole user; disabling ends the sessions and refuses logins', async () => {
    const created = await call('POST', '/le-users/users', { loginName: 'to.disable', password: PASSWORD, nickname: 'Dee', maxChats: 3 });
    const session = await login('123456', 'to.disable', PASSWORD);
    assert.ok(await bearerWorks('123456', session.json.bearer));
    const replaced = await call('PUT', `/le-users/users/${created.json.id}`, { loginName: 'to.disable', isEnabled: false });
    assert.equal(replaced.status, 200, replaced.text);
    assert.equal(replaced.json.nickname, '', 'left out: back to the default');
    assert.equal(replaced.json.maxChats, 0);
    assert.equal(replaced.json.isEnabled, false);
    assert.equal(await bearerWorks('123456', session.json.bearer), false);
    assert.equal((await login('123456', 'to.disable', PASSWORD)).status, 401);
    assert.equal((await call('PUT', '/le-users/users/404404', { loginName: 'ghost' })).status, 404);
  });

  test('DELETE is soft: sessions end, logins are refused, the name is free; include_deleted shows it', async () => {
    const created = await call('POST', '/le-users/users', { loginName: 'leaver', password: PASSWORD });
    const session = await login('123456', 'leaver', PASSWORD);
    const deleted = await call('DELETE', `/le-users/users/${created.json.id}`);
    assert.equal(deleted.status, 200, deleted.text);
    assert.deepEqual(deleted.json, { id: created.json.id, deleted: true });
    assert.equal(await bearerWorks('123456', session.json.bearer), false);
    assert.equal((await login('123456', 'leaver', PASSWORD)).status, 401);
    assert.equal((await call('GET', `/le-users/users/${created.json.id}`)).status, 404);
    const shown = await call('GET', `/le-users/users/${created.json.id}?include_deleted=true`);
    assert.equal(shown.json.deleted, true);
    assert.ok((await call('GET', '/le-users/users?include_deleted=true&select=deleted')).json.some((u: { id: string }) => u.id === created.json.id));
    assert.equal((await call('GET', '/le-users/users?select=deleted')).json.some((u: { id: string }) => u.id === created.json.id), false);
    assert.equal((await call('POST', '/le-users/users', { loginName: 'Leaver', password: PASSWORD })).status, 201, 'the name is free again');
  });

  test('DELETE of a list is all or nothing', async () => {
    const a = await call('POST', '/le-users/users', { loginName: 'del.a', password: PASSWORD });
    const b = await call('POST', '/le-users/users', { loginName: 'del.b', password: PASSWORD });
    const refused = await call('DELETE', '/le-users/users', [a.json.id, '404404']);
    assert.equal(refused.status, 404);
    assert.equal((await call('GET', `/le-users/users/${a.json.id}`)).status, 200, 'nothing deleted');
    const res = await call('DELETE', '/le-users/users', [a.json.id, b.json.id]);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, [{ id: a.json.id, deleted: true }, { id: b.json.id, deleted: true }]);
  });

  test('resetPassword applies the policy and ends the sessions', async () => {
    const created = await call('POST', '/le-users/users', { loginName: 'forgetful', password: PASSWORD });
    const session = await login('123456', 'forgetful', PASSWORD);
    const weak = await call('PUT', `/le-users/users/${created.json.id}/resetPassword`, { newPassword: 'short' });
    assert.equal(weak.status, 400);
    assert.equal(weak.json.error.internalCode, 26);
    assert.ok(await bearerWorks('123456', session.json.bearer));
    const res = await call('PUT', `/le-users/users/${created.json.id}/resetPassword`, { newPassword: 'a fresh new passphrase' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { id: created.json.id });
    assert.equal(await bearerWorks('123456', session.json.bearer), false);
    assert.equal((await login('123456', 'forgetful', 'a fresh new passphrase')).status, 200);
  });

  test('unlock lifts a brute-force lockout; the user logs in again', async () => {
    const created = await call('POST', '/le-users/users', { loginName: 'locked.out', password: PASSWORD, profileIds: [2] });
    assert.equal(created.status, 201, created.text);
    for (let i = 0; i < 5; i++) assert.equal((await login('123456', 'locked.out', 'wrong password guess')).status, 401);
    assert.equal((await login('123456', 'locked.out', PASSWORD)).status, 401, 'locked');
    const unlocked = await call('PUT', `/le-users/users/${created.json.id}/unlock`);
    assert.equal(unlocked.status, 200, unlocked.text);
    assert.deepEqual(unlocked.json, { id: created.json.id, wasLocked: true, failuresCleared: 5 });
    assert.equal((await login('123456', 'locked.out', PASSWORD)).status, 200);
    assert.equal((await call('PUT', '/le-users/users/99999999/unlock')).status, 404);
    const events = (await call('GET', '/events?user=locked.out&limit=50')).json as Array<{ type: string; detail: Record<string, unknown> }>;
    assert.ok(events.some((e) => e.type === 'unlock' && e.detail.by === seeded.human.loginName), 'the event names the administrator');
  });

  test('changePwdNextLogin: the next password login gets the password-expired answer', async () => {
    await call('POST', '/le-users/users', { loginName: 'must.change', password: PASSWORD, changePwdNextLogin: true });
    const res = await login('123456', 'must.change', PASSWORD);
    assert.equal(res.status, 401);
    assert.equal(res.json.error.internalCode, 21);
  });
});

describe('agent groups and profiles', () => {
  test('a group with members or child groups, and the main group, cannot be deleted (409); an unused one is deleted softly', async () => {
    const parent = await call('POST', '/le-users/agentGroups', [{ name: 'Support' }, { name: 'Empty' }]);
    assert.equal(parent.status, 201, parent.text);
    const [support, empty] = parent.json;
    const child = await call('POST', '/le-users/agentGroups', { name: 'Tier 2', parentGroupId: support.id });
    assert.equal(child.json.parentGroupId, support.id);
    assert.equal((await call('DELETE', `/le-users/agentGroups/${support.id}`)).status, 409);
    assert.equal((await call('DELETE', '/le-users/agentGroups/-1')).status, 409);
    await call('POST', '/le-users/users', { loginName: 'tier2.agent', password: PASSWORD, memberOf: { agentGroupId: child.json.id } });
    const inUse = await call('DELETE', `/le-users/agentGroups/${child.json.id}`);
    assert.equal(inUse.status, 409);
    assert.match(inUse.json.error.message, /members/);
    assert.equal((await call('POST', '/le-users/agentGroups', { name: 'support' })).status, 409, 'names are unique among siblings');
    assert.equal((await call('POST', '/le-users/agentGroups', { name: 'Lost', parentGroupId: 4242 })).status, 400);

    assert.equal((await call('DELETE', `/le-users/agentGroups/${empty.id}`)).status, 200);
    assert.equal((await call('GET', `/le-users/agentGroups/${empty.id}`)).status, 404);
    assert.equal((await call('GET', `/le-users/agentGroups/${empty.id}?include_deleted=true`)).json.deleted, true);
    const listed = await call('GET', '/le-users/agentGroups');
    assert.equal(listed.json[0].id, -1);
    assert.equal(listed.json.some((g: { id: number }) => g.id === empty.id), false);
    assert.equal((await call('GET', '/le-users/agentGroups', undefined, { 'if-none-match': listed.headers.get('etag')! })).status, 304);
  });

  test('a profile assigned to users cannot be deleted (409); built-in ones neither; numOfAssignedUsers counts', async () => {
    const profile = await call('POST', '/le-users/profiles', { name: 'Night', roleTypeId: 3, permissions: [5] });
    const user = await call('POST', '/le-users/users', { loginName: 'night.owl', password: PASSWORD, profileIds: [2, profile.json.id] });
    assert.equal((await call('GET', `/le-users/profiles/${profile.json.id}`)).json.numOfAssignedUsers, 1);
    assert.equal((await call('DELETE', `/le-users/profiles/${profile.json.id}`)).status, 409);
    assert.equal((await call('DELETE', '/le-users/profiles/1')).status, 409);
    assert.equal((await call('POST', '/le-users/profiles', { name: 'NIGHT', roleTypeId: 2 })).status, 409);
    assert.equal((await call('POST', '/le-users/profiles', { name: 'Odd', roleTypeId: 7 })).status, 400);
    await call('PUT', `/le-users/users/${user.json.id}`, { loginName: 'night.owl' });
    assert.equal((await call('DELETE', `/le-users/profiles/${profile.json.id}`)).status, 200);
    const profiles = await call('GET', '/le-users/profiles?select=name,roleTypeId');
    assert.deepEqual(profiles.json.slice(0, 4), [
      { id: 1, name: 'Administrator', roleTypeId: 1 },
      { id: 2, name: 'Agent', roleTypeId: 2 },
      { id: 3, name: 'Agent Manager', roleTypeId: 3 },
      { id: 4, name: 'Campaign Manager', roleTypeId: 4 },
    ]);
  });
});

describe('our own resources', () => {
  test('app keys: issued with their secrets once, listed without, revoked (ending the bots\' sessions); a bot rotates onto a new key', async () => {
    const issued = await call('POST', '/app-keys', { name: 'rotation' });
    assert.equal(issued.status, 201, issued.text);
    for (const k of ['appKey', 'secret', 'accessToken', 'accessTokenSecret']) assert.equal(typeof issued.json[k], 'string');
    const bot = await call('POST', '/le-users/users', { loginName: 'rotating.bot', isApiUser: true, allowedAppKeys: issued.json.appKey });
    assert.equal(bot.status, 201, bot.text);
    assert.equal(bot.json.userTypeId, 2);
    const listed = await call('GET', '/app-keys');
    assert.ok(!listed.text.includes(issued.json.secret) && !listed.text.includes(issued.json.accessTokenSecret));
    assert.deepEqual(listed.json.find((k: { appKey: string }) => k.appKey === issued.json.appKey).bots, ['rotating.bot']);

    // Rotation: a second key, the bot allowed both, then the first revoked.
    const next = await call('POST', '/app-keys', { name: 'rotation 2' });
    const both = await call('PUT', `/le-users/users/${bot.json.id}`, { loginName: 'rotating.bot', isApiUser: true, allowedAppKeys: `${issued.json.appKey},${next.json.appKey}` });
    assert.equal(both.status, 200, both.text);
    const botLogin = (k: any) =>
      postJson(`${server.baseUrl}/api/account/123456/login`, { username: 'rotating.bot', appKey: k.appKey, secret: k.secret, accessToken: k.accessToken, accessTokenSecret: k.accessTokenSecret });
    const old = await botLogin(issued.json);
    assert.equal(old.status, 200, old.text);
    const revoked = await call('DELETE', `/app-keys/${issued.json.appKey}`);
    assert.deepEqual(revoked.json, { appKey: issued.json.appKey, sessionsEnded: 1 });
    assert.equal((await botLogin(issued.json)).status, 401);
    assert.equal((await botLogin(next.json)).status, 200);
    assert.equal((await call('DELETE', `/app-keys/${issued.json.appKey}`)).status, 404);
    assert.equal((await call('POST', '/app-keys', { name: 'x', secret: 'mine' })).status, 400);
  });

  test('base URIs: set, listed with agentVep, deleted; agentVep cannot be deleted', async () => {
    const set = await call('PUT', '/base-uris/msgHist', { baseURI: 'msghist.example.com:8443' });
    assert.deepEqual(set.json, { service: 'msgHist', baseURI: 'msghist.example.com:8443', previous: null });
    const listed = await call('GET', '/base-uris');
    assert.deepEqual(listed.json.map((u: { service: string }) => u.service), ['agentVep', 'msgHist', 'sentinel']);
    assert.equal((await call('PUT', '/base-uris/msgHist', { baseURI: 'https://nope/' })).status, 400);
    assert.equal((await call('DELETE', '/base-uris/agentVep')).status, 400);
    const sentinel = await call('DELETE', '/base-uris/sentinel');
    assert.equal(sentinel.status, 404);
    assert.match(sentinel.json.error.message, /sentinel has no base URI of its own .*: it points at this server/);
    assert.equal((await call('PUT', '/base-uris/sentinel', { baseURI: 'auth.example.com' })).status, 200);
    assert.equal((await call('GET', '/base-uris')).json.find((u: { service: string }) => u.service === 'sentinel').baseURI, 'auth.example.com');
    assert.equal((await call('DELETE', '/base-uris/sentinel')).status, 200);
    assert.notEqual((await call('GET', '/base-uris')).json.find((u: { service: string }) => u.service === 'sentinel').baseURI, 'auth.example.com', 'back at this server');
    assert.equal((await call('DELETE', '/base-uris/msgHist')).status, 200);
    assert.equal((await call('DELETE', '/base-uris/msgHist')).status, 404);
  });

  test('sessions: listed without tokens, ended for one user or all', async () => {
    await createUser({ stores: server.stores, clock: server.clock, hasher: server.services.hasher }, { accountId: '123456', loginName: 'sessioned', password: PASSWORD });
    const s = await login('123456', 'sessioned', PASSWORD);
    const listed = await call('GET', '/sessions?user=sessioned');
    assert.equal(listed.json.length, 1);
    assert.ok(!listed.text.includes(s.json.bearer));
    assert.equal((await call('DELETE', '/sessions')).status, 400);
    assert.deepEqual((await call('DELETE', '/sessions?user=sessioned')).json, { sessionsEnded: 1 });
    assert.equal(await bearerWorks('123456', s.json.bearer), false);
    assert.equal((await call('GET', '/sessions?user=nobody.here')).status, 404);
  });

  test('settings: read, replaced (left-out policy back to defaults), bad values refused', async () => {
    const before = await call('GET', '/settings');
    assert.equal(before.json.timeZone, 'Europe/Athens');
    const put = await call('PUT', '/settings', { name: 'Renamed', timeZone: 'UTC', sessionTtlMs: 3_600_000 });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.sessionTtlMs, 3_600_000);
    assert.equal(put.json.passwordMinLength, 10);
    assert.equal((await call('PUT', '/settings', { name: 'x', timeZone: 'Mars/Base' })).status, 400);
    assert.equal((await call('PUT', '/settings', { name: 'x', timeZone: 'UTC', sessionTtlMs: 5 })).status, 400);
    assert.equal((await call('PUT', '/settings', { name: 'x', timeZone: 'UTC', colour: 1 })).status, 400);
    assert.equal((await call('GET', '/settings')).json.name, 'Renamed', 'a refused write changed nothing');
  });

  test('settings: the bot login limit; sso: the identity provider; an SSO login follows what the API set', async () => {
    const idp = await makeIdp();
    const current = (await call('GET', '/settings')).json;
    assert.equal(current.sso, undefined, 'single sign-on is its own resource');
    const put = await call('PUT', '/settings', { ...current, applicationLoginLimit: 3 });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.applicationLoginLimit, 3);

    const sso = await call('PUT', '/sso', { saml: { idpIssuer: idp.issuer, idpCerts: [idp.cert], audience: 'urn:test:admin-api' } });
    assert.equal(sso.status, 200, sso.text);
    assert.equal(sso.json.saml.idpIssuer, idp.issuer);
    assert.equal(sso.json.saml.loginNameAttribute, 'loginName', 'defaults filled in');
    assert.equal(sso.json.saml.enforce, false);

    const now = server.clock.now();
    const assertion = base64(sign(assertionXml({ issuer: idp.issuer, audience: 'urn:test:admin-api', attributes: { loginName: seeded.human.loginName }, now }), idp));
    const sso1 = await postJson(`${server.baseUrl}/api/account/123456/login`, { jwt: 'x', assertion });
    assert.equal(sso1.status, 200, sso1.text);

    const bad = await call('PUT', '/sso', { saml: { idpIssuer: idp.issuer, idpCerts: ['not a certificate'] } });
    assert.equal(bad.status, 400, bad.text);
    assert.equal((await call('GET', '/sso')).json.saml.idpIssuer, idp.issuer, 'a refused write changed nothing');
    assert.equal((await call('PUT', '/settings', put.json)).status, 200);
    assert.equal((await call('GET', '/sso')).json.saml.idpIssuer, idp.issuer, 'a settings write leaves it alone');

    const cleared = await call('DELETE', '/sso');
    assert.equal(cleared.status, 200, cleared.text);
    assert.deepEqual((await call('GET', '/sso')).json, { saml: null, oidc: null });
    const again = base64(sign(assertionXml({ issuer: idp.issuer, audience: 'urn:test:admin-api', attributes: { loginName: seeded.human.loginName }, now }), idp));
    assert.equal((await postJson(`${server.baseUrl}/api/account/123456/login`, { jwt: 'x', assertion: again })).status, 401);
  });

  test('app keys of type oauth2: appKey and secret only', async () => {
    const created = await call('POST', '/app-keys', { name: 'client credentials', type: 'oauth2' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.type, 'oauth2');
    assert.ok(created.json.secret);
    assert.equal(created.json.accessToken, undefined);
    const listed = (await call('GET', '/app-keys')).json.find((k: { appKey: string }) => k.appKey === created.json.appKey);
    assert.equal(listed.type, 'oauth2');
    assert.equal((await call('POST', '/app-keys', { type: 'oauth3' })).status, 400);
  });

  test('events: newest first, filtered by user, limited', async () => {
    const res = await call('GET', '/events?limit=2');
    assert.equal(res.json.length, 2);
    assert.ok(res.json[0].time >= res.json[1].time);
    assert.equal((await call('GET', '/events?limit=0')).status, 400);
    assert.equal((await call('GET', '/events?since=yesterday')).status, 400);
  });
});

test('an account that does not exist: 401 for its bearer-less callers, 403 for another account\'s administrator', async () => {
  await createAccount(server.stores, server.clock, { accountId: '999' });
  assert.equal((await call('GET', '/le-users/users'.replace('', ''), undefined, {}, '')).status, 401);
  const res = await fetch(`${server.baseUrl}/api/account/555/configuration/le-users/users`, { headers: { authorization: `Bearer ${bearer}` } });
  assert.equal(res.status, 403);
});
