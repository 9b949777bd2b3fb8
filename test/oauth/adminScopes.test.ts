/**
 * OAuth access tokens at the administration API: the scope decides the
 * resource and the method; a client acts as itself in the audit log; a
 * person's token is limited by their rights as well.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createUser } from '../../src/directory/users.js';
import { seedAccount, type SeededAccount, type TestServer } from '../helpers/server.js';
import { basic, install, issueCode, issuerOf, pkcePair, postForm, startOAuthServer } from './helpers.js';

let server: TestServer;
let seeded: SeededAccount;
let issuer: string;
let api: string;

before(async () => {
  server = await startOAuthServer();
  seeded = await seedAccount(server);
  issuer = issuerOf(server, seeded.accountId);
  api = `${server.baseUrl}/api/account/${seeded.accountId}/configuration`;
});
after(async () => {
  await server.close();
});

async function clientToken(scope: string, asked?: string): Promise<string> {
  const app = await install(server, seeded.accountId, { scope });
  const res = await postForm(`${issuer}/app/token?v=1.0`, { grant_type: 'client_credentials', ...(asked !== undefined ? { scope: asked } : {}) }, { authorization: basic(app.clientId, app.secret) });
  assert.equal(res.status, 200, res.text);
  return res.json.access_token;
}

const call = (token: string, method: string, path: string, body?: unknown) =>
  fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

test('users.read: GET users, not PUT them, not other resources', async () => {
  const token = await clientToken('users.read');
  const list = await call(token, 'GET', '/le-users/users');
  assert.equal(list.status, 200);
  assert.ok((await list.json()).some((u: { loginName: string }) => u.loginName === 'Agent.Smith'));
  const put = await call(token, 'PUT', `/le-users/users/${seeded.human.user.userId}`, { loginName: 'Agent.Smith' });
  assert.equal(put.status, 403);
  assert.equal((await call(token, 'GET', '/le-users/profiles')).status, 403);
  assert.equal((await call(token, 'GET', '/settings')).status, 403);
});

test('no scope: 403 everywhere; a made-up token: 401', async () => {
  const token = await clientToken('', undefined);
  for (const path of ['/le-users/users', '/events', '/app-keys', '/sessions']) assert.equal((await call(token, 'GET', path)).status, 403, path);
  const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  assert.equal((await call(forged, 'GET', '/le-users/users')).status, 401);
});

test('a client\'s write is recorded as client:<client_id>', async () => {
  const app = await install(server, seeded.accountId, { scope: 'agentGroups.write agentGroups.read events.read' });
  const token = (await postForm(`${issuer}/app/token?v=1.0`, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.secret) })).json.access_token;
  const created = await call(token, 'POST', '/le-users/agentGroups', { name: 'Made by an application' });
  assert.equal(created.status, 201, await created.clone().text());
  const events = await (await call(token, 'GET', '/events')).json();
  const event = events.find((e: any) => e.detail?.action === 'group_create' || e.detail?.name === 'Made by an application');
  assert.ok(event, JSON.stringify(events.slice(0, 3)));
  assert.equal(event.detail.by, `client:${app.clientId}`);
});

test('a person\'s token: limited by the scope and by the person\'s rights', async () => {
  const app = await install(server, seeded.accountId, { grantTypes: ['authorization_code'], redirectUris: ['https://app.example.com/cb'], scope: 'users.read' });
  const agent = await createUser({ stores: server.stores, clock: server.clock, hasher: server.services.hasher }, { accountId: seeded.accountId, loginName: 'plain.agent', password: 'another long passphrase', privileges: [100] });
  const tokenFor = async (userId: string) => {
    const pkce = pkcePair();
    const code = await issueCode(server, { accountId: seeded.accountId, clientId: app.clientId, userId, redirectUri: 'https://app.example.com/cb', scope: 'users.read', codeChallenge: pkce.challenge });
    const res = await postForm(`${issuer}/token`, { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example.com/cb', code_verifier: pkce.verifier }, { authorization: basic(app.clientId, app.secret) });
    assert.equal(res.status, 200, res.text);
    return res.json.access_token as string;
  };
  const admin = await tokenFor(seeded.human.user.userId);
  assert.equal((await call(admin, 'GET', '/le-users/users')).status, 200);
  assert.equal((await call(admin, 'DELETE', `/le-users/users/${agent.userId}`)).status, 403, 'the administrator, but the token only reads');
  const notAdmin = await tokenFor(agent.userId);
  assert.equal((await call(notAdmin, 'GET', '/le-users/users')).status, 403, 'the scope, but not the person\'s rights');
});
