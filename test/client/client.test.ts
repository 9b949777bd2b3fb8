import { once } from './events.js';
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LoginServiceClient, LoginServiceError } from '@login-service/client';
import { hashToken } from '../../src/security/tokens.js';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { drivenTimers } from './fakeTimers.js';

const HOUR = 3_600_000;
const HEX64 = /^[0-9a-f]{64}$/;

describe('LoginServiceClient against the real server', () => {
  let server: TestServer;
  let seeded: SeededAccount;

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
  });
  after(async () => {
    await server.close();
  });

  const clientFor = (extra: Partial<ConstructorParameters<typeof LoginServiceClient>[0]> = {}) =>
    new LoginServiceClient({ accountId: seeded.accountId, domain: `127.0.0.1:${server.port}`, protocol: 'http', ...extra });
  const human = () => ({ username: seeded.human.loginName, password: seeded.human.password });
  const bot = () => ({ username: seeded.bot.loginName, ...seeded.bot.key });

  async function bearerStatus(bearer: string, accountId = seeded.accountId): Promise<number> {
    const res = await fetch(`${server.baseUrl}/api/account/${accountId}/session`, { headers: { authorization: `Bearer ${bearer}` } });
    await res.arrayBuffer();
    return res.status;
  }

  test('User Login returns the login response and exposes bearer, csrf and sessionId', async () => {
    const client = clientFor();
    const response = await client.login(human());
    assert.equal(response.config.loginName, 'Agent.Smith');
    assert.equal(response.config.userId, seeded.human.user.userId);
    assert.equal(response.sessionTTl, '28800000');
    assert.match(client.bearer!, HEX64);
    assert.equal(client.bearer, response.bearer);
    assert.equal(client.csrf, response.csrf);
    assert.equal(client.sessionId, response.sessionId);
    assert.equal(client.loginResponse, response);
    assert.equal(await bearerStatus(client.bearer!), 200);
  });

  test('Application Login with an API key', async () => {
    const client = clientFor();
    const response = await client.login(bot());
    assert.equal(response.config.loginName, 'bot-1');
    assert.equal(await bearerStatus(client.bearer!), 200);
  });

  test('finds the Login Service through the Domain API when given csdsDomain', async () => {
    await server.stores.accounts.setServiceBaseURI(seeded.accountId, 'agentVep', `127.0.0.1:${server.port}`);
    let domainCalls = 0;
    const client = new LoginServiceClient({
      accountId: seeded.accountId,
      csdsDomain: `127.0.0.1:${server.port}`,
      protocol: 'http',
      fetch: (url, init) => {
        if (url.includes('/service/agentVep/baseURI.json?version=1.0')) domainCalls++;
        return fetch(url, init);
      },
    });
    await client.login(human());
    await client.refresh();
    assert.equal(domainCalls, 1, 'the base URI is looked up once');
    assert.equal(await bearerStatus(client.bearer!), 200);
  });

  test('refresh moves the expiry forward and emits refreshed', async () => {
    const client = clientFor();
    await client.login(human());
    server.clock.advance(7 * HOUR);
    const refreshed = once(client, 'refreshed');
    await client.refresh();
    await refreshed;
    server.clock.advance(7 * HOUR);
    assert.equal(await bearerStatus(client.bearer!), 200, '14 h after login, alive thanks to the refresh');
  });

  test('logout ends the session on the server and forgets it', async () => {
    const client = clientFor();
    await client.login(human());
    const bearer = client.bearer!;
    await client.logout();
    assert.equal(await bearerStatus(bearer), 401);
    assert.equal(client.bearer, null);
    assert.equal(client.csrf, null);
    await assert.rejects(client.refresh(), (e: LoginServiceError) => e instanceof LoginServiceError && e.retryable === false);
  });

  test('wrong password: LoginServiceError 401, internalCode 20, not retryable', async () => {
    const client = clientFor();
    await assert.rejects(client.login({ username: seeded.human.loginName, password: 'wrong' }), (e: unknown) => {
      assert.ok(e instanceof LoginServiceError);
      assert.equal(e.status, 401);
      assert.equal(e.internalCode, 20);
      assert.equal(e.retryable, false);
      assert.match(e.message, /Bad authentication/);
      return true;
    });
    assert.equal(client.bearer, null);
  });

  test('refresh with a csrf that is not the session’s: internalCode 10 and sessionExpired', async () => {
    const owner = clientFor();
    await owner.login(human());
    const client = clientFor();
    client.resumeSession({ sessionId: owner.sessionId!, csrf: '0'.repeat(64), bearer: owner.bearer });
    const expired = once(client, 'sessionExpired');
    await assert.rejects(client.refresh(), (e: LoginServiceError) => e.status === 401 && e.internalCode === 10 && !e.retryable);
    const [error] = await expired;
    assert.equal(error.internalCode, 10);
    assert.equal(client.sessionId, null);
  });

  test('refresh after the TTL: internalCode 22 and sessionExpired', async () => {
    const client = clientFor();
    await client.login(human());
    server.clock.advance(8 * HOUR + 1);
    const expired = once(client, 'sessionExpired');
    await assert.rejects(client.refresh(), (e: LoginServiceError) => e.status === 401 && e.internalCode === 22);
    assert.equal((await expired)[0].internalCode, 22);
  });

  test('keep-alive refreshes every 5 minutes by default', async () => {
    const driven = drivenTimers();
    const client = clientFor({ timers: driven.timers });
    await client.login(bot());
    const idHash = hashToken(client.sessionId!);
    const loginExpiry = (await server.stores.sessions.findSessionById(idHash))!.expiresAt;
    client.startKeepAlive();
    let refreshes = 0;
    client.on('refreshed', () => refreshes++);
    for (let i = 1; i <= 2; i++) {
      server.clock.advance(5 * 60_000);
      const refreshed = once(client, 'refreshed');
      assert.equal(await driven.runNext(), 5 * 60_000);
      await refreshed;
      assert.equal(refreshes, i);
    }
    const expiry = (await server.stores.sessions.findSessionById(idHash))!.expiresAt;
    assert.equal(expiry, loginExpiry + 10 * 60_000, 'each refresh moved the expiry to now + TTL');
    client.stopKeepAlive();
    assert.equal(driven.pending(), 0, 'stopping cancels the pending pause');
    assert.equal(client.keepAliveRunning, false);
    await client.logout();
  });

  test('keep-alive honours a custom interval', async () => {
    const driven = drivenTimers();
    const client = clientFor({ timers: driven.timers });
    await client.login(bot());
    client.startKeepAlive({ intervalMs: 60_000 });
    const refreshed = once(client, 'refreshed');
    assert.equal(await driven.runNext(), 60_000);
    await refreshed;
    await client.logout();
    assert.equal(driven.pending(), 0, 'logout stops the keep-alive');
  });

  test('keep-alive: session expired on the server → sessionExpired, then relogin with the stored credentials', async () => {
    const driven = drivenTimers();
    const client = clientFor({ timers: driven.timers });
    await client.login(bot());
    const oldBearer = client.bearer!;
    client.startKeepAlive();
    server.clock.advance(8 * HOUR + 1);
    const expired = once(client, 'sessionExpired');
    const relogin = once(client, 'relogin');
    await driven.runNext();
    assert.equal((await expired)[0].internalCode, 22);
    const [response] = await relogin;
    assert.equal(client.bearer, response.bearer);
    assert.notEqual(client.bearer, oldBearer);
    assert.equal(await bearerStatus(client.bearer!), 200);
    assert.equal(await bearerStatus(oldBearer), 401);
    // The keep-alive goes on with the new session.
    const refreshed = once(client, 'refreshed');
    assert.equal(await driven.runNext(), 5 * 60_000);
    await refreshed;
    await client.logout();
  });

  test('keep-alive stops with keepAliveFailed when the stored credentials are refused', async () => {
    const driven = drivenTimers();
    const client = clientFor({ timers: driven.timers });
    await client.login(human());
    client.startKeepAlive();
    // The password is changed elsewhere: the session ends and logging in again answers 401. (Disabling would not do:
    // this user is the account's only administrator, whom the directory keeps.)
    await server.stores.users.updateUser(seeded.accountId, seeded.human.user.userId, { passwordHash: await server.services.hasher.hash('another password entirely') });
    after(() => server.stores.users.updateUser(seeded.accountId, seeded.human.user.userId, { passwordHash: seeded.human.user.passwordHash! }));
    await server.stores.sessions.deleteUserSessions(seeded.accountId, seeded.human.user.userId);
    const failed = once(client, 'keepAliveFailed');
    await driven.runNext();
    const [error] = await failed;
    assert.ok(error instanceof LoginServiceError);
    assert.equal(error.internalCode, 20);
    assert.equal(client.keepAliveRunning, false);
    assert.equal(driven.pending(), 0);
  });

  test('sends JSON with Accept: application/json and ?v=1.3', async () => {
    const seen: Array<{ url: string; headers: Headers }> = [];
    const client = clientFor({
      fetch: (url, init) => {
        seen.push({ url, headers: new Headers(init.headers) });
        return fetch(url, init);
      },
    });
    await client.login(human());
    await client.refresh();
    await client.logout();
    assert.deepEqual(seen.map((s) => new URL(s.url).pathname.split('/').pop() + new URL(s.url).search), ['login?v=1.3', 'refresh?v=1.3', 'logout?v=1.3']);
    for (const { headers } of seen) {
      assert.equal(headers.get('content-type'), 'application/json');
      assert.equal(headers.get('accept'), 'application/json');
    }
    assert.match(seen[1]!.headers.get('cookie')!, /^Session_id=[0-9a-f]{64}$/);
  });

  test('rejects bad options at construction', () => {
    assert.throws(() => new LoginServiceClient({ accountId: '123456' }), TypeError);
    assert.throws(() => new LoginServiceClient({ accountId: '123456', domain: 'a', csdsDomain: 'b' }), TypeError);
    assert.throws(() => new LoginServiceClient({ accountId: '123456', domain: 'host/path' }), TypeError);
    assert.throws(() => new LoginServiceClient({ accountId: 'abc', domain: 'host' }), TypeError);
  });
});
