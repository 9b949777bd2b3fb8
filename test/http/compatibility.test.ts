/**
 * What the original's published clients send beyond the page the contract
 * was written from: API version 1.2, the older Domain API path, a lower-case
 * session cookie name, and OAuth 2.0 client credentials for bots.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { issueApiKey, type IssuedClientCredentials } from '../../src/directory/apiKeys.js';
import { createUser } from '../../src/directory/users.js';
import { actionContext } from '../helpers/actions.js';
import { defaultInstallation } from '../../src/oauth/model.js';
import { hashToken } from '../../src/security/tokens.js';

describe('compatibility with the original\'s clients', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let base: string;

  before(async () => {
    server = await startTestServer({ env: { PUBLIC_HOST: 'va.login.example.test' } });
    seeded = await seedAccount(server);
    await server.stores.accounts.setServiceBaseURI(seeded.accountId, 'smt', 'va.smt.example.test');
    base = `${server.baseUrl}/api/account/${seeded.accountId}`;
  });
  after(() => server.close());

  const passwordLogin = (v: string) => postJson(`${base}/login?v=${v}`, { username: seeded.human.loginName, password: seeded.human.password });

  test('v=1.2 is accepted on login, refresh and logout, with the same contract as 1.3', async () => {
    const login = await passwordLogin('1.2');
    assert.equal(login.status, 200, login.text);
    assert.match(login.json.bearer, /^[0-9a-f]{64}$/);
    assert.deepEqual(Object.keys(login.json).sort(), Object.keys((await passwordLogin('1.3')).json).sort());
    const cookie = { cookie: `Session_id=${login.json.sessionId}` };
    assert.equal((await postJson(`${base}/refresh?v=1.2`, { csrf: login.json.csrf }, cookie)).status, 200);
    assert.equal((await postJson(`${base}/logout?v=1.2`, { csrf: login.json.csrf }, cookie)).status, 200);
    assert.equal((await postJson(`${base}/refresh?v=1.3`, { csrf: login.json.csrf }, cookie)).status, 401, 'logged out');
  });

  test('other versions stay a 400 in the error shape', async () => {
    for (const v of ['1.1', '1.4', '2.0', '1.2.0', '']) {
      const res = await passwordLogin(v);
      assert.equal(res.status, 400, `v=${v}`);
      assert.equal(res.json.error.internalCode, 2);
    }
  });

  test('the older Domain API paths /csdr/… answer like /api/…', async () => {
    for (const query of ['?version=1.0', '']) {
      const one = await fetch(`${server.baseUrl}/csdr/account/${seeded.accountId}/service/smt/baseURI.json${query}`);
      assert.equal(one.status, 200);
      assert.deepEqual(await one.json(), { service: 'smt', account: seeded.accountId, baseURI: 'va.smt.example.test' });
      const all = await fetch(`${server.baseUrl}/csdr/account/${seeded.accountId}/service/baseURI.json${query}`);
      assert.equal(all.status, 200);
      const modern = await fetch(`${server.baseUrl}/api/account/${seeded.accountId}/service/baseURI.json${query}`);
      assert.deepEqual(await all.json(), await modern.json());
    }
    assert.equal((await fetch(`${server.baseUrl}/csdr/account/${seeded.accountId}/service/nope/baseURI.json`)).status, 404);
    assert.equal((await fetch(`${server.baseUrl}/csdr/account/999999/service/baseURI.json`)).status, 401);
    assert.equal((await fetch(`${server.baseUrl}/csdr/account/${seeded.accountId}/service/baseURI.json?version=2.0`)).status, 400);
  });

  test('the session cookie name is matched case-insensitively; the cookie set stays Session_id', async () => {
    const login = await passwordLogin('1.3');
    assert.ok(login.headers.getSetCookie().some((c) => c.startsWith('Session_id=')));
    for (const name of ['session_id', 'SESSION_ID', 'Session_Id']) {
      const res = await postJson(`${base}/refresh`, { csrf: login.json.csrf }, { cookie: `${name}=${login.json.sessionId}` });
      assert.equal(res.status, 200, name);
    }
    // The exact name wins over a look-alike.
    const both = await postJson(`${base}/refresh`, { csrf: login.json.csrf }, { cookie: `session_id=wrong; Session_id=${login.json.sessionId}` });
    assert.equal(both.status, 200);
    const logout = await postJson(`${base}/logout`, { csrf: login.json.csrf }, { cookie: `session_id=${login.json.sessionId}` });
    assert.equal(logout.status, 200);
    assert.ok(logout.headers.getSetCookie().some((c) => c.startsWith('Session_id=;')), 'the cookie cleared is Session_id');
    assert.equal((await postJson(`${base}/refresh`, { csrf: login.json.csrf }, { cookie: `session_id=${login.json.sessionId}` })).status, 401);
  });

  describe('OAuth 2.0 app keys', () => {
    let client: IssuedClientCredentials;

    before(async () => {
      ({ issued: client } = await issueApiKey(actionContext(server.stores, server.clock), seeded.accountId, 'oauth2 bot', 'oauth2'));
      const deps = { stores: server.stores, clock: server.clock, hasher: server.services.hasher };
      await createUser(deps, { accountId: seeded.accountId, loginName: 'bot-2', bot: true, appKey: client.appKey });
    });

    test('an oauth2 key is client id and secret only; the store keeps no access token', async () => {
      assert.deepEqual(Object.keys(client).sort(), ['appKey', 'secret']);
      const key = await server.stores.apiKeys.getApiKey(seeded.accountId, client.appKey);
      assert.equal(key?.type, 'oauth2');
      assert.equal(key?.accessTokenHash, null);
      assert.equal(key?.accessTokenSecretHash, null);
      assert.equal(key?.secretHash, hashToken(client.secret));
    });

    test('Application Login with an oauth2 key checks appKey and secret and ignores the placeholders', async () => {
      const placeholders = await postJson(`${base}/login`, { username: 'bot-2', appKey: client.appKey, secret: client.secret, accessToken: 'dummy', accessTokenSecret: 'dummy' });
      assert.equal(placeholders.status, 200, placeholders.text);
      assert.equal(placeholders.json.config.loginName, 'bot-2');
      const without = await postJson(`${base}/login`, { username: 'bot-2', appKey: client.appKey, secret: client.secret });
      assert.equal(without.status, 200, without.text);
      const wrongSecret = await postJson(`${base}/login`, { username: 'bot-2', appKey: client.appKey, secret: 'f'.repeat(64), accessToken: 'dummy', accessTokenSecret: 'dummy' });
      assert.equal(wrongSecret.status, 401);
      assert.equal((await postJson(`${base}/login`, { username: 'bot-2', appKey: client.appKey })).status, 400, 'no secret');
    });

    test('a public OAuth client (no secret, an empty digest) cannot use Application Login with any secret', async () => {
      const { key, issued } = await issueApiKey(actionContext(server.stores, server.clock), seeded.accountId, 'public app', 'oauth2');
      const deps = { stores: server.stores, clock: server.clock, hasher: server.services.hasher };
      await createUser(deps, { accountId: seeded.accountId, loginName: 'public-bot', bot: true, appKey: issued.appKey });
      const login = (secret: string) => postJson(`${base}/login`, { username: 'public-bot', appKey: issued.appKey, secret });
      assert.equal((await login(issued.secret)).status, 200, 'with its secret, before it became public');
      const installation = { ...defaultInstallation(key.name, server.clock.now()), tokenEndpointAuthMethod: 'none' as const };
      assert.equal(await server.stores.apiKeys.updateApiKey(seeded.accountId, issued.appKey, { secretHash: '', installation }), true);
      assert.equal((await login(issued.secret)).status, 401, 'its former secret');
      for (const guess of ['', ' ', hashToken(''), 'f'.repeat(64)]) {
        const answer = await login(guess);
        assert.ok(answer.status === 400 || answer.status === 401, `${JSON.stringify(guess)}: ${answer.status}`);
      }
    });

    test('an oauth1 key still needs all four values', async () => {
      const { appKey, secret, accessToken, accessTokenSecret } = seeded.bot.key;
      const bot = seeded.bot.loginName;
      assert.equal((await postJson(`${base}/login`, { username: bot, appKey, secret, accessToken, accessTokenSecret })).status, 200);
      assert.equal((await postJson(`${base}/login`, { username: bot, appKey, secret, accessToken: 'dummy', accessTokenSecret: 'dummy' })).status, 401);
      assert.equal((await postJson(`${base}/login`, { username: bot, appKey, secret, accessToken, accessTokenSecret: 'dummy' })).status, 401);
      assert.equal((await postJson(`${base}/login`, { username: bot, appKey, secret })).status, 401);
    });

    test('the access token of an oauth1 key is kept as a digest, never in clear', async () => {
      const key = await server.stores.apiKeys.getApiKey(seeded.accountId, seeded.bot.key.appKey);
      assert.equal(key?.type, 'oauth1');
      assert.equal(key?.accessTokenHash, hashToken(seeded.bot.key.accessToken));
      assert.ok(!JSON.stringify(key).includes(seeded.bot.key.accessToken));
    });
  });

  test('too many Application Logins for one bot: 429 with Retry-After: 5, per bot, until the window ends', async () => {
    const { issued } = await issueApiKey(actionContext(server.stores, server.clock), seeded.accountId, 'busy', 'oauth2');
    const deps = { stores: server.stores, clock: server.clock, hasher: server.services.hasher };
    await createUser(deps, { accountId: seeded.accountId, loginName: 'busy-bot', bot: true, appKey: issued.appKey });
    const login = () => postJson(`${base}/login`, { username: 'busy-bot', appKey: issued.appKey, secret: issued.secret, accessToken: 'dummy', accessTokenSecret: 'dummy' });
    for (let i = 0; i < 10; i++) assert.equal((await login()).status, 200, `login ${i + 1}`);
    const limited = await login();
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '5');
    assert.equal(limited.json.error.internalCode, 40);
    const [event] = await server.stores.events.listEvents(seeded.accountId, { limit: 1 });
    assert.equal(event?.type, 'login_rate_limited');
    assert.equal(event?.detail.reason, 'application_login_limit');
    // Another bot is not held back; nor is a wrong secret counted for this one.
    const { appKey, secret, accessToken, accessTokenSecret } = seeded.bot.key;
    assert.equal((await postJson(`${base}/login`, { username: seeded.bot.loginName, appKey, secret, accessToken, accessTokenSecret })).status, 200);
    server.clock.advance(5_000);
    assert.equal((await login()).status, 200, 'after Retry-After');
  });

  test('the limit is an account setting; 0 turns it off', async () => {
    const account = (await server.stores.accounts.getAccount(seeded.accountId))!;
    await server.stores.accounts.updateAccount(seeded.accountId, { settings: { ...account.settings, applicationLoginLimit: 0 } });
    try {
      const { appKey, secret, accessToken, accessTokenSecret } = seeded.bot.key;
      for (let i = 0; i < 15; i++) {
        assert.equal((await postJson(`${base}/login`, { username: seeded.bot.loginName, appKey, secret, accessToken, accessTokenSecret })).status, 200);
      }
    } finally {
      await server.stores.accounts.updateAccount(seeded.accountId, { settings: account.settings });
    }
  });
});
