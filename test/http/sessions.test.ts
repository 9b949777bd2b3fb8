import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { CSRF_INVALID_MESSAGE } from '../../src/http/errors.js';

const HOUR = 3600_000;

interface Login {
  csrf: string;
  bearer: string;
  sessionId: string;
}

describe('Refresh, logout and bearer check', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let login: Login;

  const url = (path: string, account = '123456') => `${server.baseUrl}/api/account/${account}/${path}`;
  const refresh = (l: Pick<Login, 'sessionId' | 'csrf'>, account?: string) =>
    postJson(url('refresh?v=1.3', account), { csrf: l.csrf }, { cookie: `Session_id=${l.sessionId}` });
  const logout = (l: Pick<Login, 'sessionId' | 'csrf'>, account?: string) =>
    postJson(url('logout?v=1.3', account), { csrf: l.csrf }, { cookie: `Session_id=${l.sessionId}` });
  const check = async (bearer: string, account?: string) => {
    const res = await fetch(url('session', account), { headers: { authorization: `Bearer ${bearer}` } });
    return { status: res.status, json: (await res.json()) as any };
  };
  const logIn = async (): Promise<Login> => {
    const res = await postJson(url('login?v=1.3'), { username: seeded.human.loginName, password: seeded.human.password });
    assert.equal(res.status, 200);
    return res.json;
  };

  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
    await seedAccount(server, '654321', 'America/New_York');
  });
  after(() => server.close());
  beforeEach(async () => {
    login = await logIn();
  });

  test('refresh answers 200 with an empty body and moves the expiry to now + TTL', async () => {
    const before = (await check(login.bearer)).json.expiresAt;
    server.clock.advance(HOUR);
    const res = await refresh(login);
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    assert.equal((await check(login.bearer)).json.expiresAt, before + HOUR);
  });

  test('a session ends after its TTL without refresh, and lives on with refreshes', async () => {
    const idle = await logIn();
    server.clock.advance(7 * HOUR);
    assert.equal((await refresh(login)).status, 200);
    server.clock.advance(7 * HOUR);
    assert.equal((await check(login.bearer)).status, 200, 'refreshed 7 h ago: alive');
    assert.equal((await check(idle.bearer)).status, 401, 'never refreshed, 14 h old: expired');
    const expired = await refresh(idle);
    assert.equal(expired.status, 401);
    assert.equal(expired.json.error.internalCode, 22);
    server.clock.advance(HOUR + 1);
    assert.equal((await refresh(login)).status, 401, '8 h and 1 ms after the last refresh');
  });

  test('the session expires exactly at TTL', async () => {
    server.clock.advance(8 * HOUR - 1);
    assert.equal((await check(login.bearer)).status, 200);
    server.clock.advance(1);
    assert.equal((await check(login.bearer)).status, 401);
  });

  test('a CSRF mismatch gets 401 with internalCode 10 and the original message, and changes nothing', async () => {
    const before = (await check(login.bearer)).json.expiresAt;
    server.clock.advance(HOUR);
    const res = await refresh({ sessionId: login.sessionId, csrf: 'a'.repeat(64) });
    assert.equal(res.status, 401);
    assert.equal(res.json.error.internalCode, 10);
    assert.equal(res.json.error.message, CSRF_INVALID_MESSAGE);
    assert.equal(res.json.error.responseStatus, 'UNAUTHORIZED');
    assert.equal((await check(login.bearer)).json.expiresAt, before, 'expiry not moved');
    const out = await logout({ sessionId: login.sessionId, csrf: 'b'.repeat(64) });
    assert.equal(out.json.error.internalCode, 10);
    assert.equal((await check(login.bearer)).status, 200, 'logout with a wrong csrf does not end the session');
  });

  test("another session's csrf does not match", async () => {
    const other = await logIn();
    const res = await refresh({ sessionId: login.sessionId, csrf: other.csrf });
    assert.equal(res.json.error.internalCode, 10);
  });

  test('refresh without a cookie, with an unknown or malformed cookie gets 401', async () => {
    const none = await postJson(url('refresh'), { csrf: login.csrf });
    assert.equal(none.status, 401);
    assert.equal(none.json.error.internalCode, 22);
    assert.equal((await refresh({ sessionId: 'f'.repeat(64), csrf: login.csrf })).status, 401);
    for (const cookie of ['Session_id=', 'Session_id=%', 'Session_id="unterminated', 'garbage', `Session_id=${login.sessionId}; Session_id=x`]) {
      const res = await postJson(url('refresh'), { csrf: login.csrf }, { cookie });
      assert.ok([200, 401].includes(res.status), `${cookie}: ${res.status}`);
      if (res.status !== 200) assert.equal(res.json.error.responseStatus, 'UNAUTHORIZED');
    }
  });

  test('logout ends the session: cookie cleared, and Session_id, csrf and bearer all refused after', async () => {
    const res = await logout(login);
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    const cleared = res.headers.getSetCookie().find((c) => c.startsWith('Session_id='))!;
    assert.match(cleared, /^Session_id=;/);
    assert.match(cleared, /Max-Age=0|Expires=Thu, 01 Jan 1970/i);
    assert.equal((await check(login.bearer)).status, 401);
    assert.equal((await refresh(login)).status, 401);
    const again = await logout(login);
    assert.equal(again.status, 401);
    assert.equal(again.json.error.internalCode, 22);
  });

  test('logout of one session leaves the user\'s other sessions alive', async () => {
    const second = await logIn();
    assert.equal((await logout(login)).status, 200);
    assert.equal((await check(second.bearer)).status, 200);
  });

  test('the bearer check reports the session and writes nothing', async () => {
    const res = await check(login.bearer);
    assert.equal(res.status, 200);
    assert.deepEqual(
      { ...res.json, createdAt: undefined, expiresAt: undefined },
      {
        accountId: '123456',
        userId: seeded.human.user.userId,
        loginName: 'Agent.Smith',
        userPrivileges: [100, 101, 1730],
        isAdmin: true,
        isLPA: false,
        appKey: null,
        amr: ['pwd'],
        createdAt: undefined,
        expiresAt: undefined,
      },
    );
    assert.equal(res.json.expiresAt, server.clock.now() + 8 * HOUR);
    server.clock.advance(HOUR);
    assert.equal((await check(login.bearer)).json.expiresAt, res.json.expiresAt, 'checking does not extend');
  });

  test('bearer check: missing, malformed, unknown bearer and wrong scheme get 401', async () => {
    const bare = await fetch(url('session'));
    assert.equal(bare.status, 401);
    assert.equal(((await bare.json()) as any).error.internalCode, 23);
    for (const authorization of ['Bearer', 'Bearer ', `Basic ${login.bearer}`, `Bearer ${'0'.repeat(64)}`, 'Bearer a b c', `Bearer ${'x'.repeat(5000)}`, 'Bearer ☃']) {
      const res = await fetch(url('session'), { headers: { authorization } }).catch(() => null);
      if (res === null) continue; // fetch refuses to send some header values at all
      assert.equal(res.status, 401, authorization.slice(0, 20));
    }
    const lower = await fetch(url('session'), { headers: { authorization: `bearer ${login.bearer}` } });
    assert.equal(lower.status, 200, 'the scheme is case-insensitive');
  });

  test("one account's session is refused on every other account's paths", async () => {
    assert.equal((await check(login.bearer, '654321')).status, 401);
    assert.equal((await refresh(login, '654321')).status, 401);
    assert.equal((await logout(login, '654321')).status, 401);
    assert.equal((await check(login.bearer, '123456')).status, 200, 'and still works on its own');
  });
});

describe('Sessions on a file store survive a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'login-service-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a session opened before the restart refreshes and checks after it', async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, 'store.db')}` };
    const first = await startTestServer({ env });
    const seeded = await seedAccount(first);
    const res = await postJson(`${first.baseUrl}/api/account/123456/login?v=1.3`, { username: seeded.human.loginName, password: seeded.human.password });
    assert.equal(res.status, 200);
    await first.close();

    const second = await startTestServer({ env, clock: first.clock });
    try {
      const check = await fetch(`${second.baseUrl}/api/account/123456/session`, { headers: { authorization: `Bearer ${res.json.bearer}` } });
      assert.equal(check.status, 200);
      const refreshed = await postJson(`${second.baseUrl}/api/account/123456/refresh`, { csrf: res.json.csrf }, { cookie: `Session_id=${res.json.sessionId}` });
      assert.equal(refreshed.status, 200);
    } finally {
      await second.close();
    }
  });
});
