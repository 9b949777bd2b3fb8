/**
 * Export from one installation, import into another (a second SQLite, and
 * PostgreSQL when TEST_DATABASE_URL is set), then log in over HTTP on the
 * target with the same password and the same API key.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { privilegesOf } from '../../src/directory/profiles.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../../src/errors.js';
import { DuplicateError } from '../../src/errors.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { openPostgresStores } from '../../src/store/postgres/index.js';
import { openSqliteStores } from '../../src/store/sqlite/index.js';
import { exportInstallation, importInstallation, type InstallationDump } from '../../src/store/transfer.js';
import { issueApiKey, revokeKey } from '../../src/directory/apiKeys.js';
import { actionContext } from '../helpers/actions.js';
import { createAccount } from '../../src/accounts/service.js';
import { ManualClock } from '../../src/clock.js';
import { defaultInstallation } from '../../src/oauth/model.js';
import { postJson, seedAccount, startTestServer, type SeededAccount } from '../helpers/server.js';
import { createTestDatabase, type TestDatabase } from './postgresDatabase.js';

const AGENT_GROUPS = [
  { id: -1, name: 'Main Group', deleted: false },
  { id: 1, name: 'Night shift', deleted: false },
];

let dump: InstallationDump;
let main: SeededAccount;
let other: SeededAccount;

before(async () => {
  const source = await startTestServer();
  try {
    main = await seedAccount(source, '123456');
    other = await seedAccount(source, '777', 'UTC');
    await source.stores.accounts.setServiceBaseURI('123456', 'msgHist', 'msghist.example.com:8443');
    await source.stores.accounts.updateAccount('123456', { settings: { sessionTtlMs: 3_600_000, lockoutThreshold: 3 } });
    await source.stores.directory.writeAgentGroups('123456', {
      create: [{ name: 'Night shift', description: '', parentGroupId: -1, isEnabled: true, deleted: false, updatedAt: source.clock.now() }],
    });
    const { issued } = await issueApiKey(actionContext(source.stores, source.clock), '123456', 'retired key');
    await revokeKey(actionContext(source.stores, source.clock), '123456', issued.appKey);
    // Through JSON, as the CLI writes and reads it.
    dump = JSON.parse(JSON.stringify(await exportInstallation(source.stores)));
  } finally {
    await source.close();
  }
});

test('the export holds every account, user (with password hash) and API key (digests only)', () => {
  assert.equal(dump.format, 'login-service-installation');
  assert.equal(dump.version, 3);
  assert.deepEqual(
    dump.accounts.map((a) => a.accountId),
    ['123456', '777'],
  );
  const account = dump.accounts[0]!;
  assert.deepEqual(account.agentGroups.map(({ id, name, deleted }) => ({ id, name, deleted })), AGENT_GROUPS);
  assert.deepEqual(account.profiles.map((p) => p.name).slice(0, 4), ['Administrator', 'Agent', 'Agent Manager', 'Campaign Manager']);
  assert.deepEqual(account.settings, { sessionTtlMs: 3_600_000, lockoutThreshold: 3 });
  assert.deepEqual(account.serviceBaseURIs, [{ service: 'msgHist', baseURI: 'msghist.example.com:8443' }]);
  assert.equal(dump.users.length, 4);
  assert.ok(dump.users.find((u) => u.userId === main.human.user.userId)?.passwordHash?.startsWith('$argon2id$'));
  assert.equal(dump.apiKeys.length, 3);
  assert.equal(dump.apiKeys.filter((k) => k.revokedAt !== null).length, 1);
  const text = JSON.stringify(dump);
  assert.ok(!text.includes(main.human.password), 'no password');
  assert.ok(!text.includes(main.bot.key.secret) && !text.includes(main.bot.key.accessTokenSecret), 'no API secret');
  assert.ok(!text.includes(main.bot.key.accessToken), 'no access token: only its digest');
});

/** Registers the move into one kind of target. `open` gives empty stores. */
function moveInto(label: string, open: () => Promise<Stores>, cleanUp: () => Promise<void> = async () => {}) {
  describe(`import into ${label}`, () => {
    let target: Stores;
    before(async () => {
      target = await open();
    });
    after(async () => {
      await target?.close();
      await cleanUp();
    });

    test('imports everything and the re-export matches', async () => {
      assert.deepEqual(await importInstallation(target, dump), { accounts: 2, users: 4, apiKeys: 3 });
      const again = await exportInstallation(target);
      assert.deepEqual({ ...again, exportedAt: '' }, { ...dump, exportedAt: '' });
    });

    test('people and bots log in on the target with the same password and API key', async () => {
      const server = await startTestServer({ stores: target });
      try {
        const base = `${server.baseUrl}/api/account/123456`;
        const login = await postJson(`${base}/login`, { username: 'agent.smith', password: main.human.password });
        assert.equal(login.status, 200, login.text);
        assert.equal(login.json.config.userId, main.human.user.userId);
        assert.equal(login.json.config.userPid, main.human.user.userPid);
        assert.equal(login.json.sessionTTl, '3600000', 'the account settings came along');
        assert.deepEqual(login.json.accountData.agentGroupsData, { items: AGENT_GROUPS, revision: 2 });
        assert.ok(login.json.csdsCollectionResponse.baseURIs.some((b: { service: string; baseURI: string }) => b.service === 'msgHist' && b.baseURI === 'msghist.example.com:8443'));

        const check = await fetch(`${base}/session`, { headers: { authorization: `Bearer ${login.json.bearer}` } });
        assert.equal(check.status, 200);
        assert.equal((await check.json()).loginName, 'Agent.Smith');

        const wrong = await postJson(`${base}/login`, { username: 'Agent.Smith', password: `${main.human.password}!` });
        assert.equal(wrong.status, 401, 'the hash is checked, not bypassed');

        const { appKey, secret, accessToken, accessTokenSecret } = main.bot.key;
        const botLogin = await postJson(`${base}/login`, { username: 'bot-1', appKey, secret, accessToken, accessTokenSecret });
        assert.equal(botLogin.status, 200, botLogin.text);
        assert.equal(botLogin.json.config.userId, main.bot.user.userId);

        const otherLogin = await postJson(`${server.baseUrl}/api/account/777/login`, { username: 'Agent.Smith', password: other.human.password });
        assert.equal(otherLogin.status, 200, otherLogin.text);
        assert.equal(otherLogin.json.config.userId, other.human.user.userId);
      } finally {
        await server.close();
      }
    });

    test('an account the target already has stops the import before anything is written', async () => {
      await assert.rejects(importInstallation(target, dump), DuplicateError);
      const newcomer = { ...dump.accounts[0]!, accountId: '999', serviceBaseURIs: [] };
      const mixed: InstallationDump = { ...dump, accounts: [newcomer, ...dump.accounts] };
      await assert.rejects(importInstallation(target, mixed), (e: Error) => e instanceof DuplicateError && /account 123456/.test(e.message));
      assert.equal(await target.accounts.getAccount('999'), null);
      assert.equal((await target.accounts.listAccounts()).length, 2);
    });

    test('a user id the target already has (in any account) stops the import', async () => {
      const clash: InstallationDump = {
        ...dump,
        accounts: [{ ...dump.accounts[1]!, accountId: '888' }],
        users: [{ ...dump.users.find((u) => u.accountId === '777')!, accountId: '888' }],
        apiKeys: [],
      };
      await assert.rejects(importInstallation(target, clash), (e: Error) => e instanceof DuplicateError && /user id/.test(e.message));
      assert.equal(await target.accounts.getAccount('888'), null);
    });

    test('a malformed document is refused with the path of the wrong field, nothing written', async () => {
      const fresh = { ...dump.accounts[0]!, accountId: '4242' };
      const cases: Array<[unknown, RegExp]> = [
        [null, /the document must be an object/],
        [{ ...dump, format: 'something-else' }, /format must be/],
        [{ ...dump, version: 4 }, /version must be 1, 2 or 3/],
        [{ ...dump, accounts: [{ ...fresh, timeZone: 'Mars/Olympus' }], users: [], apiKeys: [] }, /accounts\[0\]\.timeZone/],
        [{ ...dump, accounts: [fresh], users: [{ ...dump.users[0]!, accountId: '4242', passwordHash: 5 }], apiKeys: [] }, /users\[0\]\.passwordHash/],
        [{ ...dump, accounts: [fresh], users: [], apiKeys: [{ ...dump.apiKeys[0]!, accountId: '5' }] }, /apiKeys\[0\]\.accountId must be the id of an account in the document/],
        [{ ...dump, accounts: [fresh, fresh], users: [], apiKeys: [] }, /accounts\[1\] must be unique/],
      ];
      for (const [bad, message] of cases) {
        await assert.rejects(importInstallation(target, bad as InstallationDump), (e: Error) => e instanceof InvalidInputError && message.test(e.message));
      }
      assert.equal(await target.accounts.getAccount('4242'), null);
    });
  });
}

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'login-service-transfer-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});
moveInto('a second SQLite installation', async () => openSqliteStores(join(dir, 'target.db')));

const serverUrl = process.env.TEST_DATABASE_URL;
if (serverUrl) {
  let db: TestDatabase | undefined;
  moveInto(
    'PostgreSQL',
    async () => {
      db = await createTestDatabase(serverUrl);
      return openPostgresStores(db.url);
    },
    async () => {
      await db?.drop();
    },
  );
} else {
  test('import into PostgreSQL: not exercised (TEST_DATABASE_URL is not set)', (t) => {
    assert.ok(!process.env.TEST_DATABASE_URL);
    t.diagnostic('PostgreSQL not exercised: set TEST_DATABASE_URL to also move the installation into PostgreSQL');
  });
}

test('a dump of version 1 (admin flags and privilege lists) is imported onto groups and profiles, logins unchanged', async () => {
  const v1 = {
    format: 'login-service-installation',
    version: 1,
    exportedAt: '2026-11-01T00:00:00.000Z',
    accounts: [
      {
        accountId: '42', name: 'Old', timeZone: 'UTC', settings: {}, createdAt: 1000, serviceBaseURIs: [],
        agentGroups: [{ id: -1, name: 'Main Group', deleted: false }, { id: 12, name: 'Night shift', deleted: false }],
        agentGroupsRevision: 2,
      },
    ],
    users: [
      ['100', 'boss', true, [100, 101]],
      ['101', 'agent', false, [100, 101]],
      ['102', 'plain', false, []],
    ].map(([userId, loginName, isAdmin, privileges]) => ({
      accountId: '42', userId, userPid: `pid-${userId}`, loginName, isBot: false, appKey: null, passwordHash: '$argon2id$x', passwordChangedAt: 1000,
      privileges, isAdmin, isLPA: false, enabled: true, createdAt: 1000,
    })),
    apiKeys: [],
  };
  const target = await openStores({ databaseUrl: 'sqlite::memory:' });
  try {
    assert.deepEqual(await importInstallation(target, v1 as never), { accounts: 1, users: 3, apiKeys: 0 });
    const profiles = await target.directory.listProfiles('42');
    const grants = async (id: string) => privilegesOf((await target.users.getUserById('42', id))!.profileIds, profiles);
    assert.deepEqual(await grants('100'), { privileges: [100, 101], isAdmin: true });
    assert.deepEqual(await grants('101'), { privileges: [100, 101], isAdmin: false });
    assert.deepEqual(await grants('102'), { privileges: [], isAdmin: false });
    assert.deepEqual((await target.directory.listAgentGroups('42')).map((g) => [g.id, g.name, g.parentGroupId]), [[-1, 'Main Group', null], [12, 'Night shift', -1]]);
  } finally {
    await target.close();
  }
});

test('API keys keep their OAuth installation and address allowlist across a move; documents without them import as before', async () => {
  const source = await openStores({ databaseUrl: 'sqlite::memory:' });
  const target = await openStores({ databaseUrl: 'sqlite::memory:' });
  try {
    const ctx = actionContext(source, new ManualClock(Date.UTC(2026, 5, 1)));
    await createAccount(source, ctx.clock, { accountId: '4343', name: 'Apps', timeZone: 'UTC' });
    const { key: publicApp } = await issueApiKey(ctx, '4343', 'Public app', 'oauth2');
    const { key: plain } = await issueApiKey(ctx, '4343', 'Plain oauth2 key', 'oauth2');
    const installation = {
      ...defaultInstallation('Public app', ctx.clock.now()),
      grantTypes: ['authorization_code' as const, 'refresh_token' as const],
      redirectUris: ['https://app.example.com/callback'],
      scope: 'users.read',
      tokenEndpointAuthMethod: 'none' as const,
    };
    assert.equal(await source.apiKeys.updateApiKey('4343', publicApp.appKey, { secretHash: '', installation, ipAllowlist: ['192.0.2.0/24', '2001:db8::1'] }), true);
    const dumped: InstallationDump = JSON.parse(JSON.stringify(await exportInstallation(source)));
    assert.deepEqual(dumped.apiKeys.find((k) => k.appKey === publicApp.appKey), { ...publicApp, secretHash: '', installation, ipAllowlist: ['192.0.2.0/24', '2001:db8::1'] });

    assert.deepEqual(await importInstallation(target, dumped), { accounts: 1, users: 0, apiKeys: 2 });
    assert.deepEqual(await target.apiKeys.listApiKeys('4343'), await source.apiKeys.listApiKeys('4343'));

    // A document written before installations existed: no installation, no allowlist.
    const old = JSON.parse(JSON.stringify(dumped));
    old.accounts[0].accountId = '4444';
    old.apiKeys = old.apiKeys.filter((k: { appKey: string }) => k.appKey === plain.appKey).map(({ installation: _i, ipAllowlist: _a, ...k }: Record<string, unknown>) => ({ ...k, accountId: '4444' }));
    assert.deepEqual(await importInstallation(target, old), { accounts: 1, users: 0, apiKeys: 1 });
    assert.deepEqual(await target.apiKeys.getApiKey('4444', plain.appKey), { ...plain, accountId: '4444', installation: null, ipAllowlist: [] });

    const fresh = { ...dumped.accounts[0]!, accountId: '4545' };
    const withKey = (k: Record<string, unknown>) => ({ ...dumped, accounts: [fresh], apiKeys: [{ ...dumped.apiKeys[0]!, accountId: '4545', ...k }] });
    const cases: Array<[unknown, RegExp]> = [
      [withKey({ installation, type: 'oauth1' }), /apiKeys\[0\]\.installation must be null for a key of type oauth1/],
      [withKey({ installation: { ...installation, tokenEndpointAuthMethod: 'client_secret_basic' }, secretHash: '' }), /apiKeys\[0\]\.secretHash must be a non-empty string/],
      [withKey({ installation: null, secretHash: '' }), /apiKeys\[0\]\.secretHash must be a non-empty string/],
      [withKey({ installation: { ...installation, grantTypes: ['password'] } }), /apiKeys\[0\]\.installation\.grantTypes\[0\] must be one of/],
      [withKey({ ipAllowlist: '10.0.0.0/8' }), /apiKeys\[0\]\.ipAllowlist must be an array/],
    ];
    for (const [bad, message] of cases) {
      await assert.rejects(importInstallation(target, bad as InstallationDump), (e: Error) => e instanceof InvalidInputError && message.test(e.message), String(message));
    }
    assert.equal(await target.accounts.getAccount('4545'), null);
  } finally {
    await source.close();
    await target.close();
  }
});
