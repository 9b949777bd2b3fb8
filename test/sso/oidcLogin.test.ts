/**
 * SSO login with an OpenID Connect ID token on the JSON login API, end to end
 * over real HTTP: the provider's discovery and JWKS are served on a free
 * loopback port, tokens are signed with keys from `jose`, and the attacks
 * signed tokens are known for are each refused with the same 401.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey, randomUUID } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { postJson, seedAccount, sessionCookie, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { createUser, requireUserByLoginName, setUserEnabled } from '../../src/directory/users.js';
import { actionContext } from '../helpers/actions.js';
import { setOidcConfig } from '../../src/sso/admin.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { ManualClock } from '../../src/clock.js';
import { createTestDatabase } from '../store/postgresDatabase.js';
import { makeKey, startJwksProvider, type JwksProvider } from './oidcKeys.js';

const CLIENT_ID = 'login-service-test';

describe('SSO login with an OpenID Connect ID token', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  let provider: JwksProvider;
  let loginUrl: string;

  const token = (o: Omit<Parameters<JwksProvider['idToken']>[0], 'clientId' | 'now'> & { clientId?: string } = {}) =>
    provider.idToken({ clientId: CLIENT_ID, now: server.clock.now(), claims: { preferred_username: 'alice@example.test' }, ...o });
  const oidcLogin = (jwt: string) => postJson(loginUrl, { jwt });

  async function lastFailureReason(): Promise<unknown> {
    const [event] = await server.stores.events.listEvents(seeded.accountId, { limit: 1 });
    assert.equal(event?.type, 'login_failure');
    assert.equal(event?.detail.method, 'sso');
    return event?.detail.reason;
  }

  async function assertRefused(res: Awaited<ReturnType<typeof postJson>>, reason: string) {
    assert.equal(res.status, 401, res.text);
    assert.equal(res.json.error.internalCode, 20);
    assert.equal(res.json.error.message, 'Bad authentication: invalid account, user or credentials');
    assert.equal(sessionCookie(res.headers), undefined);
    assert.equal(await lastFailureReason(), reason);
  }

  before(async () => {
    provider = await startJwksProvider();
    server = await startTestServer({ env: { LOGIN_FAILURES_PER_MINUTE: '1000' } });
    seeded = await seedAccount(server);
    const deps = { stores: server.stores, clock: server.clock, hasher: server.services.hasher };
    await createUser(deps, { accountId: seeded.accountId, loginName: 'alice@example.test', password: 'a long enough passphrase 1', privileges: [100] });
    await createUser(deps, { accountId: seeded.accountId, loginName: 'gone@example.test', password: 'a long enough passphrase 2' });
    await setUserEnabled(actionContext(server.stores, server.clock), await requireUserByLoginName(server, seeded.accountId, 'gone@example.test'), false);
    await setOidcConfig(server.stores, seeded.accountId, { issuer: provider.issuer, clientId: CLIENT_ID, displayName: 'Example IdP' });
    loginUrl = `${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`;
  });
  after(async () => {
    await server.close();
    await provider.close();
  });

  test('a valid ID token opens a normal session whose amr is oidc', async () => {
    const res = await oidcLogin(await token());
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.config.loginName, 'alice@example.test');
    assert.equal(res.json.sessionId, sessionCookie(res.headers));
    const check = await fetch(`${server.baseUrl}/api/account/${seeded.accountId}/session`, { headers: { authorization: `Bearer ${res.json.bearer}` } });
    assert.equal(check.status, 200);
    const info = (await check.json()) as { loginName: string; amr: string[] };
    assert.equal(info.loginName, 'alice@example.test');
    assert.deepEqual(info.amr, ['oidc']);
    const [event] = await server.stores.events.listEvents(seeded.accountId, { limit: 1 });
    assert.equal(event?.type, 'login_success');
  });

  test('the person is named by email when the token has no preferred_username, case aside', async () => {
    const res = await oidcLogin(await token({ claims: { email: 'ALICE@example.test' } }));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.config.loginName, 'alice@example.test');
  });

  test('discovery and keys are fetched once and cached, not per login', async () => {
    const before = provider.hits.get('/jwks') ?? 0;
    for (let i = 0; i < 3; i++) assert.equal((await oidcLogin(await token())).status, 200);
    assert.equal(provider.hits.get('/.well-known/openid-configuration'), 1);
    assert.equal(provider.hits.get('/jwks') ?? 0, before);
  });

  describe('attacks', () => {
    test('replay: the same token twice is refused the second time', async () => {
      const jwt = await token();
      assert.equal((await oidcLogin(jwt)).status, 200);
      await assertRefused(await oidcLogin(jwt), 'replayed');
    });

    test('replay with the signature re-encoded (same bytes, other base64url text) is still a replay', async () => {
      const jwt = await token();
      assert.equal((await oidcLogin(jwt)).status, 200);
      // An RS256 signature is 256 bytes: its last base64url character carries 4 unused bits.
      const last = jwt.at(-1)!;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
      await assertRefused(await oidcLogin(jwt.slice(0, -1) + sibling), 'replayed');
    });

    test('another audience', async () => {
      await assertRefused(await oidcLogin(await token({ clientId: 'some-other-client' })), 'wrong_audience');
    });

    test('several audiences without azp naming this client', async () => {
      await assertRefused(await oidcLogin(await token({ claims: { preferred_username: 'alice@example.test', aud: [CLIENT_ID, 'other'] } })), 'wrong_audience');
    });

    test('another issuer', async () => {
      await assertRefused(await oidcLogin(await token({ claims: { preferred_username: 'alice@example.test', iss: 'https://evil.example.test' } })), 'wrong_issuer');
    });

    test('expired, beyond the skew; within it accepted', async () => {
      const now = Math.floor(server.clock.now() / 1000);
      const claims = (exp: number) => ({ preferred_username: 'alice@example.test', iat: now - 600, exp });
      await assertRefused(await oidcLogin(await token({ claims: claims(now - 61) })), 'expired');
      assert.equal((await oidcLogin(await token({ claims: claims(now - 30) }))).status, 200);
    });

    test('issued in the future, or not yet valid', async () => {
      const now = Math.floor(server.clock.now() / 1000);
      await assertRefused(await oidcLogin(await token({ claims: { preferred_username: 'alice@example.test', iat: now + 300, exp: now + 900 } })), 'bad_time');
      await assertRefused(await oidcLogin(await token({ claims: { preferred_username: 'alice@example.test', nbf: now + 300 } })), 'not_yet_valid');
    });

    test('valid for longer than a day', async () => {
      await assertRefused(await oidcLogin(await token({ lifetimeMs: 2 * 24 * 3600_000 })), 'validity_too_long');
    });

    test("signed by another key under the provider's kid", async () => {
      const other = await makeKey(provider.key.kid);
      await assertRefused(await oidcLogin(await token({ key: other })), 'bad_signature');
    });

    test('signed by another key under an unknown kid', async () => {
      await assertRefused(await oidcLogin(await token({ key: await makeKey() })), 'unknown_key');
    });

    test('alg none, with and without a signature part', async () => {
      const payload = { preferred_username: 'alice@example.test', sub: 'x' };
      const now = Math.floor(server.clock.now() / 1000);
      const unsecured = new UnsecuredJWT(payload).setIssuer(provider.issuer).setAudience(CLIENT_ID).setIssuedAt(now).setExpirationTime(now + 300).encode();
      await assertRefused(await oidcLogin(unsecured), 'not_a_jwt');
      await assertRefused(await oidcLogin(`${unsecured}AAAA`), 'algorithm_not_allowed');
    });

    test('HS256 keyed with the public key, even when the provider advertises HS256 and none', async () => {
      provider.algorithms = ['RS256', 'HS256', 'none'];
      server.services.oidcProviders['metadataCache'].clear();
      try {
        const now = Math.floor(server.clock.now() / 1000);
        const publicPem = createPublicKey({ key: provider.key.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
        for (const secret of [String(publicPem), JSON.stringify(provider.key.publicJwk)]) {
          const forged = await new SignJWT({ preferred_username: 'alice@example.test', sub: 'x' })
            .setProtectedHeader({ alg: 'HS256', kid: provider.key.kid })
            .setIssuer(provider.issuer)
            .setAudience(CLIENT_ID)
            .setIssuedAt(now)
            .setExpirationTime(now + 300)
            .sign(new TextEncoder().encode(secret));
          await assertRefused(await oidcLogin(forged), 'algorithm_not_allowed');
        }
      } finally {
        provider.algorithms = ['RS256'];
        server.services.oidcProviders['metadataCache'].clear();
      }
    });

    test('an algorithm the provider does not advertise', async () => {
      provider.algorithms = ['ES256'];
      server.services.oidcProviders['metadataCache'].clear();
      try {
        await assertRefused(await oidcLogin(await token()), 'algorithm_not_allowed');
      } finally {
        provider.algorithms = ['RS256'];
        server.services.oidcProviders['metadataCache'].clear();
      }
    });

    test('not a JWT at all', async () => {
      await assertRefused(await oidcLogin('not.a-token'), 'not_a_jwt');
      await assertRefused(await oidcLogin('a.b.c'), 'not_a_jwt');
    });

    test('an unknown person, a disabled person, a bot, no name at all', async () => {
      await assertRefused(await oidcLogin(await token({ claims: { preferred_username: 'mallory@example.test' } })), 'unknown_user');
      await assertRefused(await oidcLogin(await token({ claims: { preferred_username: 'gone@example.test' } })), 'disabled');
      await assertRefused(await oidcLogin(await token({ claims: { preferred_username: seeded.bot.loginName } })), 'bot');
      await assertRefused(await oidcLogin(await token({ claims: {} })), 'no_login_name');
    });

    test('a name that only looks like the person (Cyrillic а) is an unknown user', async () => {
      await assertRefused(await oidcLogin(await token({ claims: { preferred_username: '\u0430lice@example.test' } })), 'unknown_user');
    });

    test('a token for another account of the same provider and client cannot cross accounts unless its person exists there', async () => {
      const res = await postJson(`${server.baseUrl}/api/account/999999/login?v=1.3`, { jwt: await token() });
      assert.equal(res.status, 401);
    });

    test('jwt beside a username or password is a 400 that changes nothing', async () => {
      const res = await postJson(loginUrl, { jwt: await token(), username: 'alice@example.test' });
      assert.equal(res.status, 400, res.text);
    });
  });

  test('the configured claim names the person, and no other claim does', async () => {
    await setOidcConfig(server.stores, seeded.accountId, { loginNameClaim: 'upn' });
    try {
      assert.equal((await oidcLogin(await token({ claims: { upn: 'alice@example.test' } }))).status, 200);
      await assertRefused(await oidcLogin(await token({ claims: { preferred_username: 'alice@example.test' } })), 'no_login_name');
    } finally {
      await setOidcConfig(server.stores, seeded.accountId, { loginNameClaim: null });
    }
  });

  test('enforce refuses password logins of people, not bots', async () => {
    await setOidcConfig(server.stores, seeded.accountId, { enforce: true });
    try {
      const res = await postJson(loginUrl, { username: seeded.human.loginName, password: seeded.human.password });
      assert.equal(res.status, 401);
      const [event] = await server.stores.events.listEvents(seeded.accountId, { limit: 1 });
      assert.equal(event?.detail.reason, 'sso_enforced');
      const { appKey, secret, accessToken, accessTokenSecret } = seeded.bot.key;
      const bot = await postJson(loginUrl, { username: seeded.bot.loginName, appKey, secret, accessToken, accessTokenSecret });
      assert.equal(bot.status, 200, bot.text);
      assert.equal((await oidcLogin(await token())).status, 200);
    } finally {
      await setOidcConfig(server.stores, seeded.accountId, { enforce: false });
    }
  });

  test('an account without an OpenID Connect provider refuses ID tokens', async () => {
    const other = await seedAccount(server, '222222');
    const res = await postJson(`${server.baseUrl}/api/account/${other.accountId}/login?v=1.3`, { jwt: await token() });
    assert.equal(res.status, 401);
    const [event] = await server.stores.events.listEvents(other.accountId, { limit: 1 });
    assert.equal(event?.detail.reason, 'oidc_not_configured');
  });
});

describe('OpenID Connect logins count against the per-address budget', () => {
  test('past LOGIN_FAILURES_PER_MINUTE refused tokens get 429', async () => {
    const provider = await startJwksProvider();
    const server = await startTestServer({ env: { LOGIN_FAILURES_PER_MINUTE: '3' } });
    try {
      const seeded = await seedAccount(server);
      await setOidcConfig(server.stores, seeded.accountId, { issuer: provider.issuer, clientId: CLIENT_ID });
      const url = `${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`;
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const jwt = await provider.idToken({ clientId: 'wrong', now: server.clock.now(), claims: { preferred_username: seeded.human.loginName } });
        statuses.push((await postJson(url, { jwt })).status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    } finally {
      await server.close();
      await provider.close();
    }
  });
});

describe('OpenID Connect replay across instances', () => {
  const backends: Array<{ name: string; open(): Promise<{ stores: () => Promise<Stores>; cleanup(): Promise<void> }> }> = [
    {
      name: 'sqlite',
      async open() {
        const dir = mkdtempSync(join(tmpdir(), 'oidc-replay-'));
        return { stores: () => openStores({ databaseUrl: `sqlite:${join(dir, 'store.db')}` }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
      },
    },
  ];
  if (process.env.TEST_DATABASE_URL) {
    backends.push({
      name: 'postgres',
      async open() {
        const db = await createTestDatabase(process.env.TEST_DATABASE_URL!);
        return { stores: () => openStores({ databaseUrl: db.url, poolSize: 2 }), cleanup: () => db.drop() };
      },
    });
  }
  if (process.env.TEST_REDIS_URL) {
    backends.push({
      name: 'sqlite+redis',
      async open() {
        const dir = mkdtempSync(join(tmpdir(), 'oidc-replay-'));
        const prefix = `test:oidc-replay:${randomUUID()}:`;
        return {
          stores: () => openStores({ databaseUrl: `sqlite:${join(dir, 'store.db')}`, redisUrl: process.env.TEST_REDIS_URL, redisKeyPrefix: prefix }),
          cleanup: async () => rmSync(dir, { recursive: true, force: true }),
        };
      },
    });
  }

  for (const backend of backends) {
    test(`${backend.name}: the second instance refuses what the first accepted`, async () => {
      const { stores, cleanup } = await backend.open();
      const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
      const provider = await startJwksProvider();
      const first = await startTestServer({ stores: await stores(), clock });
      const second = await startTestServer({ stores: await stores(), clock });
      try {
        const seeded = await seedAccount(first);
        await setOidcConfig(first.stores, seeded.accountId, { issuer: provider.issuer, clientId: CLIENT_ID });
        const jwt = await provider.idToken({ clientId: CLIENT_ID, now: clock.now(), claims: { preferred_username: seeded.human.loginName } });
        const path = `/api/account/${seeded.accountId}/login?v=1.3`;
        const [a, b] = await Promise.all([postJson(first.baseUrl + path, { jwt }), postJson(second.baseUrl + path, { jwt })]);
        assert.deepEqual([a.status, b.status].sort(), [200, 401], `${a.text} ${b.text}`);
        // And after both: neither accepts it again.
        assert.equal((await postJson(first.baseUrl + path, { jwt })).status, 401);
        assert.equal((await postJson(second.baseUrl + path, { jwt })).status, 401);
      } finally {
        await first.close();
        await second.close();
        await first.stores.close();
        await second.stores.close();
        await provider.close();
        await cleanup();
      }
    });
  }
});
