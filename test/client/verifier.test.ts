import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LoginServiceClient, LoginServiceError, createBearerVerifier, type BearerVerifierOptions, type FetchLike } from '@login-service/client';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { startScriptedServer, type ScriptedServer } from './scriptedServer.js';

describe('createBearerVerifier against the real server', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let other: SeededAccount;

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
    other = await seedAccount(server, '654321');
  });
  after(async () => {
    await server.close();
  });

  async function login(accountId = seeded.accountId): Promise<LoginServiceClient> {
    const client = new LoginServiceClient({ accountId, domain: `127.0.0.1:${server.port}`, protocol: 'http' });
    const bot = accountId === seeded.accountId ? seeded.bot : other.bot;
    await client.login({ username: bot.loginName, ...bot.key });
    return client;
  }

  /** A verifier on the server's clock, counting the checks that reach the server. */
  function countingVerifier(extra: Partial<BearerVerifierOptions> = {}) {
    const calls = { count: 0 };
    const counting: FetchLike = (url, init) => {
      calls.count++;
      return fetch(url, init);
    };
    const verifier = createBearerVerifier({ baseUrl: server.baseUrl, accountId: seeded.accountId, fetch: counting, now: () => server.clock.now(), ...extra });
    return { verifier, calls };
  }

  test('a live bearer gives its session; an unknown one null', async () => {
    const client = await login();
    const { verifier } = countingVerifier();
    const session = await verifier.verify(client.bearer!);
    assert.ok(session);
    assert.equal(session.accountId, seeded.accountId);
    assert.equal(session.userId, seeded.bot.user.userId);
    assert.equal(session.loginName, 'bot-1');
    assert.deepEqual(session.userPrivileges, [1800]);
    assert.equal(session.appKey, seeded.bot.key.appKey);
    assert.equal(await verifier.verify('f'.repeat(64)), null);
  });

  test('a bearer of another account is null', async () => {
    const client = await login(other.accountId);
    const { verifier } = countingVerifier();
    assert.equal(await verifier.verify(client.bearer!), null);
  });

  test('answers, valid and invalid, are cached for cacheTtlMs', async () => {
    const client = await login();
    const { verifier, calls } = countingVerifier();
    for (let i = 0; i < 5; i++) assert.ok(await verifier.verify(client.bearer!));
    for (let i = 0; i < 5; i++) assert.equal(await verifier.verify('e'.repeat(64)), null);
    assert.equal(calls.count, 2);
    server.clock.advance(5001);
    assert.ok(await verifier.verify(client.bearer!));
    assert.equal(await verifier.verify('e'.repeat(64)), null);
    assert.equal(calls.count, 4, 'asked again once the TTL passed');
  });

  test('concurrent checks of one token make one request (single flight)', async () => {
    const client = await login();
    const { verifier, calls } = countingVerifier();
    const results = await Promise.all(Array.from({ length: 25 }, () => verifier.verify(client.bearer!)));
    assert.equal(calls.count, 1);
    assert.ok(results.every((r) => r !== null && r.userId === seeded.bot.user.userId));
  });

  test('logout is honoured once the cache TTL has passed', async () => {
    const client = await login();
    const bearer = client.bearer!;
    const { verifier } = countingVerifier({ cacheTtlMs: 5000 });
    assert.ok(await verifier.verify(bearer));
    await client.logout();
    assert.ok(await verifier.verify(bearer), 'still cached: the documented staleness');
    server.clock.advance(5000);
    assert.equal(await verifier.verify(bearer), null);
  });

  test('an answer is never kept past the session’s expiry', async () => {
    const client = await login();
    const { verifier, calls } = countingVerifier({ cacheTtlMs: 24 * 3_600_000 });
    const session = (await verifier.verify(client.bearer!))!;
    server.clock.set(session.expiresAt - 1);
    assert.ok(await verifier.verify(client.bearer!));
    assert.equal(calls.count, 1);
    server.clock.set(session.expiresAt);
    assert.equal(await verifier.verify(client.bearer!), null);
    assert.equal(calls.count, 2);
  });

  test('the cache is bounded and evicts the least recently used token', async () => {
    const { verifier, calls } = countingVerifier({ maxEntries: 3 });
    const tokens = ['1', '2', '3', '4'].map((c) => c.repeat(64));
    for (const t of tokens.slice(0, 3)) await verifier.verify(t);
    await verifier.verify(tokens[0]!); // now the most recently used
    await verifier.verify(tokens[3]!); // evicts tokens[1]
    assert.equal(calls.count, 4);
    await verifier.verify(tokens[0]!);
    assert.equal(calls.count, 4, 'tokens[0] survived');
    await verifier.verify(tokens[1]!);
    assert.equal(calls.count, 5, 'tokens[1] was evicted');
  });

  test('clear() forgets every answer', async () => {
    const client = await login();
    const { verifier, calls } = countingVerifier();
    await verifier.verify(client.bearer!);
    verifier.clear();
    await verifier.verify(client.bearer!);
    assert.equal(calls.count, 2);
  });

  test('malformed tokens are null without a request', async () => {
    const { verifier, calls } = countingVerifier();
    for (const token of ['', 'a b', 'abc\r\nX-Injected: 1', 'x'.repeat(4097), 'tok en', ' '.repeat(3)]) assert.equal(await verifier.verify(token), null);
    assert.equal(calls.count, 0);
  });
});

describe('createBearerVerifier when the service fails', () => {
  let scripted: ScriptedServer;
  before(async () => {
    scripted = await startScriptedServer();
  });
  after(async () => {
    await scripted.close();
  });

  test('5xx throws a LoginServiceError and is not cached', async () => {
    scripted.script.session = [500, 503];
    const verifier = createBearerVerifier({ baseUrl: scripted.baseUrl, accountId: '123456' });
    const token = 'a'.repeat(64);
    await assert.rejects(verifier.verify(token), (e: LoginServiceError) => e instanceof LoginServiceError && e.status === 500 && e.retryable);
    await assert.rejects(verifier.verify(token), (e: LoginServiceError) => e.status === 503);
    assert.equal(await verifier.verify(token), null);
    assert.equal(scripted.count('session'), 3);
    const check = scripted.requests.find((r) => r.route === 'session')!;
    assert.equal(check.url, '/api/account/123456/session');
    assert.equal(check.headers.authorization, `Bearer ${token}`);
  });

  test('a network error throws and concurrent callers all see it', async () => {
    const verifier = createBearerVerifier({ baseUrl: 'http://127.0.0.1:1', accountId: '123456' });
    const results = await Promise.allSettled([verifier.verify('b'.repeat(64)), verifier.verify('b'.repeat(64))]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok((r as PromiseRejectedResult).reason instanceof LoginServiceError);
      assert.equal(((r as PromiseRejectedResult).reason as LoginServiceError).status, null);
    }
  });
});
