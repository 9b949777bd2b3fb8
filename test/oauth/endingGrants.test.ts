/**
 * Every way a person's or an installation's grants end reaches their tokens
 * at once: the user's own password change, an administrator's new password
 * or sessions revocation, an installation's grants ended by the
 * installations service (endClientTokens); and PKCE where it is required.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { revokeSessions } from '../../src/directory/sessions.js';
import { createUser, resetPassword } from '../../src/directory/users.js';
import { endClientTokens } from '../../src/oauth/grants.js';
import { actionContext } from '../helpers/actions.js';
import { postJson, seedAccount, sessionCookie, type SeededAccount, type TestServer } from '../helpers/server.js';
import { basic, install, issueCode, issuerOf, pkcePair, postForm, startOAuthServer, type TestInstallation } from './helpers.js';

const REDIRECT = 'https://app.example.com/cb';
let server: TestServer;
let seeded: SeededAccount;
let issuer: string;
let app: TestInstallation;

before(async () => {
  server = await startOAuthServer({ env: { LOGIN_FAILURES_PER_MINUTE: '0' } });
  seeded = await seedAccount(server);
  issuer = issuerOf(server, seeded.accountId);
  app = await install(server, seeded.accountId, { grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'], redirectUris: [REDIRECT], scope: 'users.read' });
});
after(async () => {
  await server.close();
});

const introspect = async (token: string) => (await postForm(`${issuer}/introspect`, { token }, { authorization: basic(app.clientId, app.secret) })).json;

async function grantFor(userId: string, client = app, challenge: { verifier: string; challenge: string } | null = pkcePair()) {
  const code = await issueCode(server, { accountId: seeded.accountId, clientId: client.clientId, userId, redirectUri: REDIRECT, scope: 'openid users.read', codeChallenge: challenge?.challenge ?? null });
  const auth: Record<string, string> = client.secret ? { authorization: basic(client.clientId, client.secret) } : {};
  return postForm(`${issuer}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...(challenge ? { code_verifier: challenge.verifier } : {}), ...(client.secret ? {} : { client_id: client.clientId }) }, auth);
}

async function newPerson(loginName: string) {
  const password = 'a long enough passphrase 1';
  const user = await createUser({ stores: server.stores, clock: server.clock, hasher: server.services.hasher }, { accountId: seeded.accountId, loginName, password, privileges: [100] });
  return { user, password };
}

test('the user changes their own password: their grants end, other users\' stay', async () => {
  const { user, password } = await newPerson('changes.password');
  const mine = (await grantFor(user.userId)).json;
  const others = (await grantFor(seeded.human.user.userId)).json;
  const login = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login`, { username: 'changes.password', password });
  assert.equal(login.status, 200);
  const change = await postJson(
    `${server.baseUrl}/api/account/${seeded.accountId}/password`,
    { oldPassword: password, newPassword: 'a brand new long passphrase', csrf: login.json.csrf },
    { cookie: `Session_id=${sessionCookie(login.headers)}` },
  );
  assert.equal(change.status, 200, change.text);
  assert.deepEqual(await introspect(mine.access_token), { active: false });
  assert.deepEqual(await introspect(mine.refresh_token), { active: false });
  assert.equal((await introspect(others.access_token)).active, true);
});

test('an administrator sets a new password, or revokes the sessions: the grants end', async () => {
  const ctx = actionContext(server.stores, server.clock, server.services.hasher);
  const { user } = await newPerson('reset.by.admin');
  const before = (await grantFor(user.userId)).json;
  await resetPassword(ctx, user, 'set by the administrator 42');
  assert.deepEqual(await introspect(before.access_token), { active: false });
  const again = (await grantFor(user.userId)).json;
  assert.equal((await introspect(again.refresh_token)).active, true);
  await revokeSessions(ctx, seeded.accountId, { loginName: 'reset.by.admin' });
  assert.deepEqual(await introspect(again.refresh_token), { active: false });
  assert.deepEqual(await introspect(again.access_token), { active: false });
});

test('endClientTokens: every grant of the installation ends', async () => {
  const other = await install(server, seeded.accountId, { grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT] });
  const granted = (await grantFor(seeded.human.user.userId, other)).json;
  assert.equal((await introspect(granted.refresh_token)).active, true);
  assert.ok((await endClientTokens({ stores: server.stores, clock: server.clock }, seeded.accountId, other.clientId)) >= 1);
  assert.deepEqual(await introspect(granted.refresh_token), { active: false });
  assert.deepEqual(await introspect(granted.access_token), { active: false });
});

test('PKCE: required of public clients and, with oauthRequirePkce, of everyone', async () => {
  const publicClient = await install(server, seeded.accountId, { grantTypes: ['authorization_code'], redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'none' });
  const withPkce = await grantFor(seeded.human.user.userId, { clientId: publicClient.clientId, secret: '' });
  assert.equal(withPkce.status, 200, withPkce.text);
  const without = await grantFor(seeded.human.user.userId, { clientId: publicClient.clientId, secret: '' }, null);
  assert.deepEqual([without.status, without.json.error], [400, 'invalid_grant']);
  assert.equal((await grantFor(seeded.human.user.userId, app, null)).status, 200, 'a confidential client may go without, by default');
  const account = (await server.stores.accounts.getAccount(seeded.accountId))!;
  await server.stores.accounts.updateAccount(seeded.accountId, { settings: { ...account.settings, oauthRequirePkce: true } });
  try {
    const refused = await grantFor(seeded.human.user.userId, app, null);
    assert.deepEqual([refused.status, refused.json.error], [400, 'invalid_grant']);
  } finally {
    await server.stores.accounts.updateAccount(seeded.accountId, { settings: account.settings });
  }
});
