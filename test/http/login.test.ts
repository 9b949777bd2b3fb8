import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, seedAccount, sessionCookie, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { zoneOffsetMs } from '../../src/timezones.js';
import { issueApiKey, revokeKey } from '../../src/directory/apiKeys.js';
import { createUser, requireUserByLoginName, setUserEnabled } from '../../src/directory/users.js';
import { actionContext } from '../helpers/actions.js';

const HEX64 = /^[0-9a-f]{64}$/;

describe('User Login and Application Login', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let loginUrl: string;

  before(async () => {
    server = await startTestServer({ env: { PUBLIC_HOST: 'login.example.test:8443' } });
    seeded = await seedAccount(server);
    await server.stores.accounts.setServiceBaseURI(seeded.accountId, 'smt', 'smt.example.test');
    loginUrl = `${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`;
  });
  after(() => server.close());

  test('a user logs in with a password and gets every field of the contract', async () => {
    const res = await postJson(loginUrl, { username: seeded.human.loginName, password: seeded.human.password });
    assert.equal(res.status, 200);
    const body = res.json;
    assert.match(body.csrf, HEX64);
    assert.match(body.bearer, HEX64);
    assert.match(body.wsuk, /^\d+$/);
    assert.equal(typeof body.sessionId, 'string');
    assert.equal(body.sessionId, sessionCookie(res.headers));
    assert.notEqual(body.csrf, body.bearer);

    const now = server.clock.now();
    const c = body.config;
    assert.equal(c.loginName, 'Agent.Smith');
    assert.equal(c.userId, seeded.human.user.userId);
    assert.match(c.userId, /^\d+$/);
    assert.equal(c.userPid, seeded.human.user.userPid);
    assert.deepEqual(c.userPrivileges, [100, 101, 1730]);
    assert.equal(c.serverCurrentTime, now);
    assert.equal(c.serverTimeZoneName, 'UTC');
    assert.equal(c.serverTimeGMTDiff, 0);
    assert.equal(c.accountTimeZoneId, 'Europe/Athens');
    // June: Athens is on summer time, UTC+3; the server is on UTC.
    assert.equal(c.timeDiff, 3 * 3600_000);
    assert.equal(c.timeDiff, zoneOffsetMs('Europe/Athens', now));
    assert.equal(c.isLPA, false);
    assert.equal(c.isAdmin, true);

    assert.deepEqual(body.csdsCollectionResponse.baseURIs, [
      { account: '123456', baseURI: 'login.example.test:8443', service: 'agentVep' },
      { account: '123456', baseURI: 'login.example.test:8443', service: 'sentinel' },
      { account: '123456', baseURI: 'smt.example.test', service: 'smt' },
    ]);
    assert.deepEqual(body.accountData, { agentGroupsData: { items: [{ id: -1, deleted: false, name: 'Main Group' }], revision: 1 } });
    assert.equal(body.sessionTTl, '28800000');
  });

  test('the Session_id cookie is HttpOnly, Path=/, SameSite=Lax and not Secure over plain HTTP', async () => {
    const res = await postJson(loginUrl, { username: seeded.human.loginName, password: seeded.human.password });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('Session_id='))!;
    const attributes = cookie.split(';').map((a) => a.trim().toLowerCase());
    assert.ok(attributes.includes('httponly'));
    assert.ok(attributes.includes('path=/'));
    assert.ok(attributes.includes('samesite=lax'));
    assert.ok(!attributes.includes('secure'));
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  test('each login opens a new session with new tokens', async () => {
    const a = (await postJson(loginUrl, { username: seeded.human.loginName, password: seeded.human.password })).json;
    const b = (await postJson(loginUrl, { username: seeded.human.loginName, password: seeded.human.password })).json;
    for (const field of ['csrf', 'bearer', 'sessionId', 'wsuk']) assert.notEqual(a[field], b[field], field);
  });

  test('login names compare case-insensitively; the response keeps the stored spelling', async () => {
    const res = await postJson(loginUrl, { username: 'agent.SMITH', password: seeded.human.password });
    assert.equal(res.status, 200);
    assert.equal(res.json.config.loginName, 'Agent.Smith');
  });

  test('v is optional and defaults to 1.3', async () => {
    const res = await postJson(`${server.baseUrl}/api/account/123456/login`, { username: seeded.human.loginName, password: seeded.human.password });
    assert.equal(res.status, 200);
  });

  test('the session TTL is per account', async () => {
    const account = (await server.stores.accounts.getAccount('123456'))!;
    await server.stores.accounts.updateAccount('123456', { settings: { ...account.settings, sessionTtlMs: 600_000 } });
    try {
      const res = await postJson(loginUrl, { username: seeded.human.loginName, password: seeded.human.password });
      assert.equal(res.json.sessionTTl, '600000');
    } finally {
      await server.stores.accounts.updateAccount('123456', { settings: account.settings });
    }
  });

  test('a bot logs in with its API key and gets the same response shape', async () => {
    const { key } = seeded.bot;
    const res = await postJson(loginUrl, { username: 'bot-1', ...key });
    assert.equal(res.status, 200);
    assert.equal(res.json.config.loginName, 'bot-1');
    assert.equal(res.json.config.isAdmin, false);
    assert.deepEqual(res.json.config.userPrivileges, [1800]);
    assert.match(res.json.bearer, HEX64);
    assert.equal(res.json.sessionId, sessionCookie(res.headers));
    const check = await fetch(`${server.baseUrl}/api/account/123456/session`, { headers: { authorization: `Bearer ${res.json.bearer}` } });
    assert.equal((await check.json()).appKey, key.appKey);
  });

  test('every wrong API-key value is refused with the same 401', async () => {
    const { key } = seeded.bot;
    const variants = [
      { ...key, secret: key.secret.replace(/.$/, (c) => (c === '0' ? '1' : '0')) },
      { ...key, accessToken: 'nope' },
      { ...key, accessTokenSecret: 'x'.repeat(64) },
      { ...key, appKey: 'f'.repeat(32) },
    ];
    const bodies = [];
    for (const v of variants) {
      const res = await postJson(loginUrl, { username: 'bot-1', ...v });
      assert.equal(res.status, 401);
      bodies.push({ ...res.json.error, time: undefined });
    }
    for (const b of bodies) assert.deepEqual(b, bodies[0]);
    assert.equal(bodies[0]!.internalCode, 20);
  });

  test('a human cannot use an API key, a bot cannot use a password, a bot cannot use another key', async () => {
    const { key } = seeded.bot;
    assert.equal((await postJson(loginUrl, { username: seeded.human.loginName, ...key })).status, 401);
    assert.equal((await postJson(loginUrl, { username: 'bot-1', password: key.secret })).status, 401);
    const other = await issueApiKey(actionContext(server.stores, server.clock), '123456', 'other');
    assert.equal((await postJson(loginUrl, { username: 'bot-1', ...other.issued })).status, 401);
  });

  test('a revoked API key no longer logs its bot in', async () => {
    const { issued } = await issueApiKey(actionContext(server.stores, server.clock), '123456', 'short-lived');
    await createUser({ stores: server.stores, clock: server.clock, hasher: server.services.hasher }, { accountId: '123456', loginName: 'bot-2', bot: true, appKey: issued.appKey });
    const first = await postJson(loginUrl, { username: 'bot-2', ...issued });
    assert.equal(first.status, 200);
    await revokeKey(actionContext(server.stores, server.clock), '123456', issued.appKey);
    assert.equal((await postJson(loginUrl, { username: 'bot-2', ...issued })).status, 401);
    const check = await fetch(`${server.baseUrl}/api/account/123456/session`, { headers: { authorization: `Bearer ${first.json.bearer}` } });
    assert.equal(check.status, 401, 'revoking the key ended the bot session');
  });

  test('unknown account, unknown user, wrong password and disabled user get the same 401', async () => {
    await createUser({ stores: server.stores, clock: server.clock, hasher: server.services.hasher }, { accountId: '123456', loginName: 'leaver', password: 'a perfectly fine password' });
    await setUserEnabled(actionContext(server.stores, server.clock), await requireUserByLoginName(server, '123456', 'leaver'), false);
    const attempts = [
      [`${server.baseUrl}/api/account/999999/login?v=1.3`, { username: seeded.human.loginName, password: seeded.human.password }],
      [loginUrl, { username: 'nobody', password: seeded.human.password }],
      [loginUrl, { username: seeded.human.loginName, password: 'wrong password!' }],
      [loginUrl, { username: 'leaver', password: 'a perfectly fine password' }],
    ] as const;
    const seen = [];
    for (const [url, body] of attempts) {
      const res = await postJson(url, body);
      assert.equal(res.status, 401);
      assert.equal(res.headers.getSetCookie().length, 0);
      seen.push({ ...res.json.error, time: undefined });
    }
    for (const s of seen) assert.deepEqual(s, seen[0]);
    assert.deepEqual(Object.keys(seen[0]!).sort(), ['internalCode', 'message', 'responseStatus', 'time']);
    assert.equal(seen[0]!.responseStatus, 'UNAUTHORIZED');
  });

  test('the error body has the original shape and time format', async () => {
    const res = await postJson(loginUrl, { username: 'nobody', password: 'whatever it is' });
    assert.match(res.json.error.time, /^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} (AM|PM)$/);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  });
});
