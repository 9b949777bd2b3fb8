import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { createUser, requireUserByLoginName, setUserEnabled } from '../../src/directory/users.js';
import { actionContext } from '../helpers/actions.js';
import { errorWithoutTime, loginUrl, passwordLogin } from './support.js';

describe('no user enumeration through login answers', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  const password = 'a perfectly fine password';

  before(async () => {
    // No per-address limit: this suite fails many logins on purpose.
    server = await startTestServer({ env: { LOGIN_FAILURES_PER_MINUTE: '0' } });
    seeded = await seedAccount(server);
    const deps = { stores: server.stores, clock: server.services.clock, hasher: server.services.hasher };
    await createUser(deps, { accountId: seeded.accountId, loginName: 'Gone.User', password });
    await setUserEnabled(actionContext(server.stores, server.services.clock), await requireUserByLoginName(server, seeded.accountId, 'Gone.User'), false);
    await createUser(deps, { accountId: seeded.accountId, loginName: 'Locked.User', password });
    for (let i = 0; i < 5; i++) await passwordLogin(server, seeded.accountId, 'Locked.User', 'wrong password');
  });
  after(() => server.close());

  test('every way a login can fail gives the same status and the same body apart from its time', async () => {
    const { accountId, human, bot } = seeded;
    const url = loginUrl(server, accountId);
    const apiKey = { appKey: bot.key.appKey, secret: bot.key.secret, accessToken: bot.key.accessToken, accessTokenSecret: bot.key.accessTokenSecret };
    const attempts: Record<string, Promise<{ status: number; json: any; headers: Headers }>> = {
      'unknown account': postJson(loginUrl(server, '999999'), { username: human.loginName, password: human.password }),
      'unknown user': postJson(url, { username: 'No.Such.User', password: human.password }),
      'wrong password': postJson(url, { username: human.loginName, password: 'not the password' }),
      'disabled user, right password': postJson(url, { username: 'Gone.User', password }),
      'locked user, right password': postJson(url, { username: 'Locked.User', password }),
      'bot with a password': postJson(url, { username: bot.loginName, password: human.password }),
      'human with an API key': postJson(url, { username: human.loginName, ...apiKey }),
      'unknown user with an API key': postJson(url, { username: 'No.Such.Bot', ...apiKey }),
      'bot with a wrong secret': postJson(url, { username: bot.loginName, ...apiKey, secret: 'f'.repeat(64) }),
      'password over the size limit': postJson(url, { username: human.loginName, password: 'x'.repeat(1025) }),
    };
    const reference = await attempts['wrong password']!;
    assert.equal(reference.status, 401);
    assert.equal(reference.json.error.internalCode, 20);
    for (const [name, pending] of Object.entries(attempts)) {
      const res = await pending;
      assert.equal(res.status, 401, name);
      assert.deepEqual(errorWithoutTime(res.json), errorWithoutTime(reference.json), name);
      assert.deepEqual(Object.keys(res.json), ['error'], name);
      assert.equal(res.headers.get('set-cookie'), null, name);
      assert.equal(res.headers.get('retry-after'), null, name);
    }
  });

  test('an application login reads the same from the store for an unknown user as for a known one', async () => {
    const apiKeys = server.stores.apiKeys;
    const getApiKey = apiKeys.getApiKey;
    let reads = 0;
    apiKeys.getApiKey = (accountId, appKey) => {
      reads++;
      return getApiKey.call(apiKeys, accountId, appKey);
    };
    try {
      const { bot } = seeded;
      const readsFor = async (username: string) => {
        const before = reads;
        const res = await postJson(loginUrl(server, seeded.accountId), { username, ...bot.key, secret: '0'.repeat(64) });
        assert.equal(res.status, 401);
        return reads - before;
      };
      const known = await readsFor(bot.loginName);
      assert.equal(known, 1);
      assert.equal(await readsFor('No.Such.Bot'), known);
      assert.equal(await readsFor(seeded.human.loginName), known);
    } finally {
      apiKeys.getApiKey = getApiKey;
    }
  });

  test('unknown users and wrong passwords take the same time to refuse (medians within a factor of 2)', async (t) => {
    // Lockout would change nothing about the timing, but keeps the trail small.
    await server.stores.accounts.updateAccount(seeded.accountId, { settings: { lockoutThreshold: 0 } });
    const kinds = {
      'unknown user': { username: 'No.Such.User', password: 'Winter2026!' },
      'wrong password': { username: seeded.human.loginName, password: 'Winter2026!' },
      'locked user': { username: 'Locked.User', password: 'Winter2026!' },
      'bot with a password': { username: seeded.bot.loginName, password: 'Winter2026!' },
    };
    const url = loginUrl(server, seeded.accountId);
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
    const rounds = 40;
    // Interleaved, so load from elsewhere on the machine falls on every kind alike; the first rounds warm up.
    for (let round = -5; round < rounds; round++) {
      for (const [kind, body] of Object.entries(kinds)) {
        const started = performance.now();
        const res = await postJson(url, body);
        const elapsed = performance.now() - started;
        assert.equal(res.status, 401);
        if (round >= 0) samples[kind]!.push(elapsed);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const reference = median(samples['wrong password']!);
    t.diagnostic(Object.entries(samples).map(([kind, xs]) => `${kind}: median ${median(xs).toFixed(2)} ms`).join('; '));
    for (const kind of Object.keys(kinds)) {
      const ratio = median(samples[kind]!) / reference;
      assert.ok(ratio > 0.5 && ratio < 2, `${kind}: median ${median(samples[kind]!).toFixed(2)} ms vs wrong password ${reference.toFixed(2)} ms`);
    }
    await server.stores.accounts.updateAccount(seeded.accountId, { settings: {} });
  });
});
