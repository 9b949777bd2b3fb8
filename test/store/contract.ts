/**
 * The storage contract as tests: every backend (SQLite file and memory,
 * PostgreSQL, SQLite + Redis) runs this same suite, and a backend that passes
 * it is done. `open` must give an empty Stores each time; each test closes
 * the one it opened. `openAnother`, where the backend can have several
 * instances (processes) on the same data, opens a second Stores on the data
 * of the last `open`, as another process would.
 *
 * Times are based on the real clock (some backends also expire data by it)
 * and then moved forward by passing later `now` values, never by sleeping.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Account } from '../../src/accounts/model.js';
import type { AuditEvent } from '../../src/events/model.js';
import { bearerSessionOf, type SessionRecord } from '../../src/sessions/model.js';
import { DuplicateError, InUseError, RevisionMismatchError, UnknownReferenceError } from '../../src/errors.js';
import type { Stores } from '../../src/store/index.js';
import type { AgentGroup, ApiKey, User } from '../../src/directory/model.js';
import { MAX_ACCESS_TOKEN_LIFETIME_MS, defaultInstallation, type AuthorizationCode, type RefreshToken, type SigningKey } from '../../src/oauth/model.js';
import { factorContract } from './factorContract.js';

export type OpenEmptyStores = () => Promise<Stores>;
/** A second Stores on the same data as the last OpenEmptyStores gave. */
export type OpenAnotherStores = () => Promise<Stores>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const hex = (bytes = 32) => randomBytes(bytes).toString('hex');
/** A whole second of the real clock, so tests read plainly. */
const realNow = () => Math.floor(Date.now() / 1000) * 1000;

function account(accountId: string, createdAt: number, overrides: Partial<Account> = {}): Account {
  return {
    accountId,
    name: `Account ${accountId}`,
    timeZone: 'Europe/Athens',
    settings: {},
    createdAt,
    ...overrides,
  };
}

let userIds = 1_000_000;
function user(accountId: string, loginName: string, createdAt: number, overrides: Partial<User> = {}): User {
  return {
    accountId,
    userId: String(userIds++),
    userPid: `${hex(4)}-${hex(2)}-${hex(2)}-${hex(2)}-${hex(6)}`,
    loginName,
    isBot: false,
    appKey: null,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
    passwordChangedAt: createdAt,
    lastLoginAt: null,
    isLPA: false,
    enabled: true,
    createdAt,
    fullName: 'Agent Smith',
    nickname: 'Smithy',
    email: 'smith@example.com',
    employeeId: 'E-1',
    description: '',
    mobileNumber: '+30 210 000 0000',
    maxChats: 3,
    skillIds: [5, 7],
    memberOf: { agentGroupId: -1, assignmentDate: createdAt },
    managerOf: [],
    profileIds: [2],
    changePwdNextLogin: false,
    deleted: false,
    updatedAt: createdAt,
    ...overrides,
  };
}

function apiKey(accountId: string, appKey: string, createdAt: number, overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    accountId,
    appKey,
    name: `key ${appKey}`,
    type: 'oauth1',
    secretHash: hex(),
    accessTokenHash: hex(),
    accessTokenSecretHash: hex(),
    createdAt,
    revokedAt: null,
    installation: null,
    ipAllowlist: [],
    ...overrides,
  };
}

function code(accountId: string, clientId: string, userId: string, createdAt: number, overrides: Partial<AuthorizationCode> = {}): AuthorizationCode {
  return {
    codeHash: hex(),
    accountId,
    clientId,
    userId,
    redirectUri: 'https://app.example.com/callback?x=1',
    scope: 'openid profile users.read',
    nonce: 'n-0S6_WzA2Mj',
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    authTime: createdAt - 5000,
    amr: ['pwd'],
    familyId: hex(8),
    createdAt,
    expiresAt: createdAt + MINUTE,
    ...overrides,
  };
}

function refresh(accountId: string, clientId: string, userId: string, createdAt: number, overrides: Partial<RefreshToken> = {}): RefreshToken {
  return {
    tokenHash: hex(),
    familyId: hex(8),
    accountId,
    clientId,
    userId,
    scope: 'openid offline_access',
    authTime: createdAt - 5000,
    amr: ['pwd'],
    createdAt,
    expiresAt: createdAt + 30 * 24 * HOUR,
    ...overrides,
  };
}

function signingKey(alg: SigningKey['alg'], createdAt: number): SigningKey {
  const kid = hex(8);
  return { kid, alg, privateJwk: JSON.stringify({ kid, d: hex() }), publicJwk: JSON.stringify({ kid, x: hex() }), createdAt, retiredAt: null };
}

/** A session record with fresh random digests, for backends' own tests too. */
export function session(accountId: string, userId: string, createdAt: number, lifetimeMs: number, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    idHash: hex(),
    bearerHash: hex(),
    csrfHash: hex(),
    accountId,
    userId,
    loginName: `agent-${userId}`,
    privileges: [100, 1730],
    isAdmin: false,
    isLPA: false,
    appKey: null,
    amr: ['pwd'],
    wsuk: '123456789012345678',
    createdAt,
    expiresAt: createdAt + lifetimeMs,
    ttlMs: lifetimeMs,
    hardExpiresAt: null,
    clientIp: null,
    userAgent: null,
    ...overrides,
  };
}

function event(accountId: string, time: number, type: string, loginName: string | null, detail: Record<string, unknown> = {}): AuditEvent {
  return { time, accountId, type, userId: loginName ? '42' : null, loginName, clientIp: '203.0.113.7', userAgent: 'contract-test', detail };
}

const ids = (sessions: SessionRecord[]) => sessions.map((s) => s.idHash);
const withoutId = ({ id: _id, ...rest }: AuditEvent) => rest;

export function storeContract(label: string, open: OpenEmptyStores, openAnother?: OpenAnotherStores): void {
  /** A test with its own empty stores, closed afterwards whatever happens. */
  const contract = (name: string, body: (stores: Stores) => Promise<void>) =>
    test(name, async () => {
      const stores = await open();
      try {
        await body(stores);
      } finally {
        await stores.close();
      }
    });

  /**
   * A test with two Stores on the same data (two processes). Without
   * `openAnother`, both are the same instance: what it checks then still
   * holds of the one.
   */
  const pairContract = (name: string, body: (one: Stores, two: Stores) => Promise<void>) =>
    test(name, async () => {
      const one = await open();
      let two: Stores = one;
      try {
        if (openAnother) two = await openAnother();
        await body(one, two);
      } finally {
        if (two !== one) await two.close();
        await one.close();
      }
    });

  describe(`storage contract: ${label}`, () => {
    contract('names its backend and answers ping', async (stores) => {
      assert.match(stores.backend, /^[a-z]+(\+[a-z]+)?$/);
      await stores.ping();
    });

    describe('AccountStore', () => {
      contract('creates, gets and lists accounts, ordered by id', async (stores) => {
        const t = realNow();
        const a = account('1234', t, { settings: { sessionTtlMs: 2 * HOUR, lockoutThreshold: 3 } });
        await stores.accounts.createAccount(a);
        await stores.accounts.createAccount(account('99', t + 1));
        await stores.accounts.createAccount(account('100', t + 2));
        assert.deepEqual(await stores.accounts.getAccount('1234'), a);
        assert.equal(await stores.accounts.getAccount('4321'), null);
        assert.deepEqual(
          (await stores.accounts.listAccounts()).map((x) => x.accountId),
          ['100', '1234', '99'],
        );
      });

      contract('refuses a second account with the same id', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('555', t, { name: 'First' }));
        await assert.rejects(stores.accounts.createAccount(account('555', t, { name: 'Second' })), DuplicateError);
        assert.equal((await stores.accounts.getAccount('555'))?.name, 'First');
        assert.equal((await stores.accounts.listAccounts()).length, 1);
      });

      contract('updates what a patch names', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        assert.equal(await stores.accounts.updateAccount('1', { name: 'Renamed', timeZone: 'UTC' }), true);
        let a = await stores.accounts.getAccount('1');
        assert.equal(a?.name, 'Renamed');
        assert.equal(a?.timeZone, 'UTC');

        assert.equal(await stores.accounts.updateAccount('1', { settings: { maxSessionsPerUser: 2 } }), true);
        a = await stores.accounts.getAccount('1');
        assert.deepEqual(a?.settings, { maxSessionsPerUser: 2 });
        assert.equal(a?.name, 'Renamed');
        assert.equal(a?.createdAt, t);

        assert.equal(await stores.accounts.updateAccount('1', {}), true, 'an empty patch of an existing account');
        assert.equal(await stores.accounts.updateAccount('2', {}), false);
        assert.equal(await stores.accounts.updateAccount('2', { name: 'Nobody' }), false);
        assert.equal(await stores.accounts.getAccount('2'), null);
      });

      contract('keeps service base URIs per account, sorted by service, replacing on set', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        await stores.accounts.createAccount(account('2', t));
        const services = ['zeta', 'Alpha', 'beta', 'agentVep', 'Beta'];
        for (const s of services) await stores.accounts.setServiceBaseURI('1', s, `${s.toLowerCase()}.example.com`);
        await stores.accounts.setServiceBaseURI('1', 'beta', 'beta2.example.com:8443');
        await stores.accounts.setServiceBaseURI('2', 'other', 'other.example.com');

        const listed = await stores.accounts.listServiceBaseURIs('1');
        assert.deepEqual(
          listed.map((u) => u.service),
          [...services].sort(),
        );
        assert.deepEqual(
          listed.find((u) => u.service === 'beta'),
          { service: 'beta', baseURI: 'beta2.example.com:8443' },
        );
        assert.deepEqual(await stores.accounts.listServiceBaseURIs('2'), [{ service: 'other', baseURI: 'other.example.com' }]);

        assert.equal(await stores.accounts.deleteServiceBaseURI('1', 'zeta'), true);
        assert.equal(await stores.accounts.deleteServiceBaseURI('1', 'zeta'), false);
        assert.equal(await stores.accounts.deleteServiceBaseURI('2', 'beta'), false);
        assert.equal((await stores.accounts.listServiceBaseURIs('1')).length, services.length - 1);
        assert.deepEqual(await stores.accounts.listServiceBaseURIs('3'), []);
      });
    });

    describe('UserStore', () => {
      contract('creates users and finds them by id and, case-insensitively, by login name', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        await stores.accounts.createAccount(account('2', t));
        const human = user('1', 'Agent.Smith', t, { isLPA: true, profileIds: [1, 2], managerOf: [{ agentGroupId: -1, assignmentDate: t - 1000 }] });
        const bot = user('1', 'bot-1', t, { isBot: true, appKey: 'app-key-1', passwordHash: null, passwordChangedAt: null, enabled: false });
        await stores.users.createUser(human);
        await stores.users.createUser(bot);

        assert.deepEqual(await stores.users.getUserById('1', human.userId), human);
        assert.deepEqual(await stores.users.getUserById('1', bot.userId), bot);
        for (const spelling of ['Agent.Smith', 'agent.smith', 'AGENT.SMITH', 'aGeNt.SmItH']) {
          assert.deepEqual(await stores.users.getUserByLoginName('1', spelling), human, spelling);
        }
        assert.equal(await stores.users.getUserByLoginName('1', 'Agent.Smith2'), null);
        assert.equal(await stores.users.getUserByLoginName('2', 'Agent.Smith'), null, 'another account');
        assert.equal(await stores.users.getUserById('2', human.userId), null, 'another account');
      });

      contract('refuses a login name taken in the account (case-insensitively) and a taken user id', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        await stores.accounts.createAccount(account('2', t));
        const first = user('1', 'Agent.Smith', t);
        await stores.users.createUser(first);
        await assert.rejects(stores.users.createUser(user('1', 'agent.SMITH', t)), DuplicateError);
        await assert.rejects(stores.users.createUser(user('1', 'someone-else', t, { userId: first.userId })), DuplicateError);

        const sameNameElsewhere = user('2', 'Agent.Smith', t);
        await stores.users.createUser(sameNameElsewhere);
        assert.deepEqual(await stores.users.getUserByLoginName('2', 'agent.smith'), sameNameElsewhere);
        assert.deepEqual(await stores.users.getUserByLoginName('1', 'agent.smith'), first);
        assert.equal((await stores.users.listUsers('1')).length, 1);
      });

      contract('lists an account\'s users ordered by login name, ignoring case', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        await stores.accounts.createAccount(account('2', t));
        for (const name of ['mike', 'Bob', 'alice', 'Zed', 'carol']) await stores.users.createUser(user('1', name, t));
        await stores.users.createUser(user('2', 'aaron', t));
        assert.deepEqual(
          (await stores.users.listUsers('1')).map((u) => u.loginName),
          ['alice', 'Bob', 'carol', 'mike', 'Zed'],
        );
        assert.deepEqual(await stores.users.listUsers('3'), []);
      });

      contract('updates what a patch names and nothing else', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        const u = user('1', 'Agent.Smith', t);
        await stores.users.createUser(u);
        assert.equal(await stores.users.updateUser('1', u.userId, { passwordHash: '$argon2id$new', passwordChangedAt: t + HOUR }), true);
        assert.equal(await stores.users.updateUser('1', u.userId, { enabled: false, changePwdNextLogin: true }), true);
        assert.deepEqual(await stores.users.getUserById('1', u.userId), {
          ...u,
          passwordHash: '$argon2id$new',
          passwordChangedAt: t + HOUR,
          updatedAt: t + HOUR,
          enabled: false,
          changePwdNextLogin: true,
        });
        assert.equal(await stores.users.updateUser('1', u.userId, {}), true);
        assert.equal(await stores.users.updateUser('1', '404', { enabled: true }), false);
        assert.equal(await stores.users.updateUser('2', u.userId, { enabled: true }), false, 'another account');
        assert.equal((await stores.users.getUserById('1', u.userId))?.enabled, false);
      });

      contract('records the last login without bumping the users revision; a replace keeps it', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        const u = user('1', 'Agent.Last', t);
        await stores.users.createUser(u);
        const revision = await stores.directory.revision('1', 'users');
        await stores.users.recordLogin('1', u.userId, t + HOUR);
        await stores.users.recordLogin('2', u.userId, t + 2 * HOUR);
        assert.equal((await stores.users.getUserById('1', u.userId))?.lastLoginAt, t + HOUR, 'another account changes nothing');
        assert.equal(await stores.directory.revision('1', 'users'), revision);
        await stores.users.writeUsers('1', { replace: [{ ...u, fullName: 'Renamed', lastLoginAt: null, updatedAt: t + 3 * HOUR }] });
        const after = await stores.users.getUserById('1', u.userId);
        assert.equal(after?.fullName, 'Renamed');
        assert.equal(after?.lastLoginAt, t + HOUR, 'an administrator\'s replace does not move the last login');
      });

      contract('compares login names as PRECIS usernames: width, case folding and Unicode form aside; invalid names find nobody', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        const admin = user('1', 'admin', t);
        const cafe = user('1', 'caf\u00e9', t);
        const kate = user('1', 'kate', t);
        for (const u of [admin, cafe, kate]) await stores.users.createUser(u);
        for (const spelling of ['ａｄｍｉｎ', 'ＡＤＭＩＮ', 'Admin']) assert.deepEqual(await stores.users.getUserByLoginName('1', spelling), admin, spelling);
        assert.deepEqual(await stores.users.getUserByLoginName('1', 'CAFE\u0301'), cafe);
        assert.deepEqual(await stores.users.getUserByLoginName('1', '\u212aate'), kate);
        for (const lookAlike of ['ａｄｍｉｎ', 'cafe\u0301', '\u212aATE']) {
          await assert.rejects(stores.users.createUser(user('1', lookAlike, t)), DuplicateError, lookAlike);
        }
        for (const invalid of ['admin\u200b', 'ad\u202emin', '', 'a\u0000']) {
          assert.equal(await stores.users.getUserByLoginName('1', invalid), null, JSON.stringify(invalid));
        }
        assert.equal((await stores.users.listUsers('1')).length, 3);
      });
    });

    describe('DirectoryStore (agent groups, profiles, revisions)', () => {
      const group = (name: string, t: number, overrides: Partial<AgentGroup> = {}) => ({ name, description: '', parentGroupId: -1, isEnabled: true, deleted: false, updatedAt: t, ...overrides });
      const profile = (name: string, t: number, permissions: number[] = []) => ({ name, description: '', roleTypeId: 2 as const, permissions, builtIn: false, updatedAt: t });

      contract('a new account has its main group, one built-in profile per role type, and revision 1 of each resource', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        assert.deepEqual(await stores.directory.listAgentGroups('1'), [
          { id: -1, name: 'Main Group', description: '', parentGroupId: null, isEnabled: true, deleted: false, updatedAt: t },
        ]);
        const profiles = await stores.directory.listProfiles('1');
        assert.deepEqual(profiles.map((p) => [p.id, p.name, p.roleTypeId, p.builtIn]), [
          [1, 'Administrator', 1, true],
          [2, 'Agent', 2, true],
          [3, 'Agent Manager', 3, true],
          [4, 'Campaign Manager', 4, true],
        ]);
        for (const r of ['users', 'agentGroups', 'profiles'] as const) assert.equal(await stores.directory.revision('1', r), 1, r);
        assert.equal(await stores.directory.revision('2', 'users'), 0, 'an unknown account');
      });

      contract('every user write bumps the users revision once; a stale expected revision changes nothing', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        const a = user('1', 'a', t);
        await stores.users.createUser(a);
        assert.equal(await stores.directory.revision('1', 'users'), 2);
        await stores.users.updateUser('1', a.userId, { enabled: false });
        assert.equal(await stores.directory.revision('1', 'users'), 3);
        assert.equal(await stores.users.writeUsers('1', { create: [user('1', 'b', t), user('1', 'c', t)], expectedRevision: 3 }), 4);
        await assert.rejects(stores.users.writeUsers('1', { create: [user('1', 'd', t)], expectedRevision: 3 }), RevisionMismatchError);
        assert.equal(await stores.users.getUserByLoginName('1', 'd'), null);
        assert.equal(await stores.directory.revision('1', 'users'), 4);
      });

      contract('a list of users is written whole or not at all', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        await stores.users.createUser(user('1', 'taken', t));
        await assert.rejects(stores.users.writeUsers('1', { create: [user('1', 'fresh', t), user('1', 'TAKEN', t)] }), DuplicateError);
        await assert.rejects(stores.users.writeUsers('1', { create: [user('1', 'fresh', t), user('1', 'other', t, { profileIds: [99] })] }), UnknownReferenceError);
        await assert.rejects(
          stores.users.writeUsers('1', { create: [user('1', 'fresh', t, { memberOf: { agentGroupId: 42, assignmentDate: t } })] }),
          UnknownReferenceError,
        );
        assert.deepEqual((await stores.users.listUsers('1')).map((u) => u.loginName), ['taken']);
        assert.equal(await stores.directory.revision('1', 'users'), 2);
      });

      contract('a deleted user is kept, found by id only, and frees the login name', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        const u = user('1', 'Leaver', t);
        await stores.users.createUser(u);
        await stores.users.writeUsers('1', { replace: [{ ...u, deleted: true, updatedAt: t + 1 }] });
        assert.equal(await stores.users.getUserByLoginName('1', 'leaver'), null);
        assert.deepEqual(await stores.users.getUserById('1', u.userId), { ...u, deleted: true, updatedAt: t + 1 });
        assert.deepEqual(await stores.users.listUsers('1'), []);
        assert.deepEqual((await stores.users.listUsers('1', { includeDeleted: true })).map((x) => x.userId), [u.userId]);
        const again = user('1', 'LEAVER', t);
        await stores.users.createUser(again);
        assert.equal((await stores.users.getUserByLoginName('1', 'leaver'))?.userId, again.userId);
        await assert.rejects(stores.users.writeUsers('1', { replace: [{ ...u, loginName: 'ghost', userId: '404' }] }), UnknownReferenceError);
      });

      contract('agent groups: ids given in order, names unique among siblings, parents must exist', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        const { revision, ids } = await stores.directory.writeAgentGroups('1', { create: [group('Sales', t), group('Support', t)] });
        assert.deepEqual(ids, [1, 2]);
        assert.equal(revision, 2);
        const [child] = (await stores.directory.writeAgentGroups('1', { create: [group('Tier 1', t, { parentGroupId: 2 })] })).ids;
        await assert.rejects(stores.directory.writeAgentGroups('1', { create: [group('sales', t)] }), DuplicateError);
        await assert.rejects(stores.directory.writeAgentGroups('1', { create: [group('Orphan', t, { parentGroupId: 77 })] }), UnknownReferenceError);
        await assert.rejects(stores.directory.writeAgentGroups('1', { create: [group('Ok', t), group('Ok', t)] }), DuplicateError, 'all or nothing');
        await assert.rejects(
          stores.directory.writeAgentGroups('1', { replace: [{ ...group('Support', t, { parentGroupId: child! }), id: 2 }] }),
          UnknownReferenceError,
          'no cycles',
        );
        await assert.rejects(stores.directory.writeAgentGroups('1', { create: [group('Late', t)], expectedRevision: 2 }), RevisionMismatchError);
        assert.deepEqual((await stores.directory.listAgentGroups('1')).map((g) => [g.id, g.name, g.parentGroupId]), [
          [-1, 'Main Group', null],
          [1, 'Sales', -1],
          [2, 'Support', -1],
          [3, 'Tier 1', 2],
        ]);
        assert.equal(await stores.directory.revision('1', 'agentGroups'), 3);
      });

      contract('agent groups in use (members, managers, children, the main group) cannot be deleted; a deleted one is kept', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        const { ids } = await stores.directory.writeAgentGroups('1', { create: [group('A', t), group('B', t), group('C', t)] });
        const [a, b, c] = ids as [number, number, number];
        await stores.directory.writeAgentGroups('1', { create: [group('A child', t, { parentGroupId: c })] });
        await stores.users.createUser(user('1', 'member', t, { memberOf: { agentGroupId: a, assignmentDate: t } }));
        await stores.users.createUser(user('1', 'manager', t, { managerOf: [{ agentGroupId: b, assignmentDate: t }] }));
        const groups = await stores.directory.listAgentGroups('1');
        const del = (id: number) => stores.directory.writeAgentGroups('1', { replace: [{ ...groups.find((g) => g.id === id)!, deleted: true }] });
        for (const id of [-1, a, b, c]) await assert.rejects(del(id), InUseError, String(id));
        const before = await stores.directory.revision('1', 'agentGroups');
        const d = (await stores.directory.writeAgentGroups('1', { create: [group('D', t)] })).ids[0]!;
        await stores.directory.writeAgentGroups('1', { replace: [{ ...group('D', t), id: d, deleted: true }] });
        assert.equal(await stores.directory.revision('1', 'agentGroups'), before + 2);
        assert.equal((await stores.directory.listAgentGroups('1')).some((g) => g.id === d), false);
        assert.equal((await stores.directory.listAgentGroups('1', { includeDeleted: true })).find((g) => g.id === d)?.deleted, true);
        await assert.rejects(stores.users.createUser(user('1', 'late', t, { memberOf: { agentGroupId: d, assignmentDate: t } })), UnknownReferenceError);
      });

      contract('profiles: names unique, built-in and assigned ones cannot be deleted', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        const { ids, revision } = await stores.directory.writeProfiles('1', { create: [profile('Chat', t, [100, 101]), profile('Voice', t)] });
        assert.deepEqual(ids, [5, 6]);
        assert.equal(revision, 2);
        await assert.rejects(stores.directory.writeProfiles('1', { create: [profile('CHAT', t)] }), DuplicateError);
        await stores.users.createUser(user('1', 'chatter', t, { profileIds: [2, 5] }));
        await assert.rejects(stores.directory.writeProfiles('1', { delete: [5] }), InUseError);
        await assert.rejects(stores.directory.writeProfiles('1', { delete: [1] }), InUseError);
        await assert.rejects(stores.directory.writeProfiles('1', { delete: [6, 5] }), InUseError, 'all or nothing');
        assert.equal((await stores.directory.listProfiles('1')).length, 6);
        await stores.directory.writeProfiles('1', { delete: [6] });
        await stores.directory.writeProfiles('1', { replace: [{ ...profile('Chat', t, [100]), id: 5 }] });
        const listed = await stores.directory.listProfiles('1');
        assert.deepEqual(listed.map((p) => p.id), [1, 2, 3, 4, 5]);
        assert.deepEqual(listed[4]!.permissions, [100]);
        assert.equal(await stores.directory.revision('1', 'profiles'), 4);
      });

      contract('claimRevision moves the installations revision; from a stale one it refuses and moves nothing; of concurrent claims one wins', async (stores) => {
        await stores.accounts.createAccount(account('1', realNow()));
        assert.equal(await stores.directory.revision('1', 'installations'), 0);
        assert.equal(await stores.directory.claimRevision('1', 'installations', 0), 1, 'from 0, the row made on the way');
        assert.equal(await stores.directory.claimRevision('1', 'installations', undefined), 2);
        await assert.rejects(stores.directory.claimRevision('1', 'installations', 1), (e: unknown) => e instanceof RevisionMismatchError && e.current === 2);
        assert.equal(await stores.directory.revision('1', 'installations'), 2);
        assert.equal(await stores.directory.revision('1', 'users'), 1, 'the other resources keep theirs');
        const claims = await Promise.allSettled([2, 2, 2, 2].map((r) => stores.directory.claimRevision('1', 'installations', r)));
        assert.equal(claims.filter((c) => c.status === 'fulfilled').length, 1);
        assert.equal(await stores.directory.revision('1', 'installations'), 3);
        await assert.rejects(stores.directory.claimRevision('1', 'installations', 5), RevisionMismatchError, 'a revision from the future');
        assert.equal(await stores.directory.revision('1', 'installations'), 3);
      });

      contract('keeps an enabled administrator: disabling, deleting or demoting the last one is refused and changes nothing', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        const admin = user('1', 'the.admin', t, { profileIds: [1] });
        const agent = user('1', 'an.agent', t, { profileIds: [2] });
        await stores.users.createUser(admin);
        await stores.users.createUser(agent);
        const { ids: [custom] } = await stores.directory.writeProfiles('1', { create: [{ ...profile('Supervisors', t), roleTypeId: 1 }] });
        const revision = await stores.directory.revision('1', 'users');
        await assert.rejects(stores.users.updateUser('1', admin.userId, { enabled: false }), InUseError);
        await assert.rejects(stores.users.writeUsers('1', { replace: [{ ...admin, enabled: false }] }), InUseError);
        await assert.rejects(stores.users.writeUsers('1', { replace: [{ ...admin, deleted: true }] }), InUseError);
        await assert.rejects(stores.users.writeUsers('1', { replace: [{ ...admin, profileIds: [2] }] }), InUseError);
        await assert.rejects(stores.directory.writeProfiles('1', { replace: [{ ...profile('Administrator', t), id: 1, roleTypeId: 2 }] }), InUseError);
        assert.equal(await stores.directory.revision('1', 'users'), revision, 'nothing written');
        assert.deepEqual(await stores.users.getUserById('1', admin.userId), admin);
        assert.equal((await stores.directory.listProfiles('1'))[0]!.roleTypeId, 1);

        // Another enabled administrator (here through a profile of the administrator role) makes each of these possible.
        await stores.users.writeUsers('1', { replace: [{ ...agent, profileIds: [custom!] }] });
        await stores.users.writeUsers('1', { replace: [{ ...admin, profileIds: [2] }] });
        await assert.rejects(stores.users.updateUser('1', agent.userId, { enabled: false }), InUseError, 'now the last one');
        // Writes that take no administrator away still pass, and an account without one is not held to the rule.
        await stores.users.updateUser('1', agent.userId, { changePwdNextLogin: true });
        await stores.accounts.createAccount(account('2', t));
        const lone = user('2', 'lone.agent', t);
        await stores.users.createUser(lone);
        assert.equal(await stores.users.updateUser('2', lone.userId, { enabled: false }), true);
      });
    });

    describe('ApiKeyStore', () => {
      contract('creates, gets, lists (oldest first) and refuses a duplicate app key', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        await stores.accounts.createAccount(account('2', t));
        const older = apiKey('1', 'k-b', t);
        const newer = apiKey('1', 'k-a', t + 1000);
        const sameTime = apiKey('1', 'k-0', t + 1000);
        for (const k of [newer, older, sameTime]) await stores.apiKeys.createApiKey(k);
        await stores.apiKeys.createApiKey(apiKey('2', 'k-b', t));

        assert.deepEqual(await stores.apiKeys.getApiKey('1', 'k-b'), older);
        assert.equal(await stores.apiKeys.getApiKey('1', 'k-z'), null);
        assert.deepEqual(await stores.apiKeys.listApiKeys('1'), [older, sameTime, newer]);
        assert.equal((await stores.apiKeys.listApiKeys('2')).length, 1);
        await assert.rejects(stores.apiKeys.createApiKey(apiKey('1', 'k-b', t + 5)), DuplicateError);
        assert.deepEqual(await stores.apiKeys.getApiKey('1', 'k-b'), older);
      });

      contract('keeps an oauth2 key: its type, and no access-token digests', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        const key = apiKey('1', 'client-1', t, { type: 'oauth2', accessTokenHash: null, accessTokenSecretHash: null });
        await stores.apiKeys.createApiKey(key);
        assert.deepEqual(await stores.apiKeys.getApiKey('1', 'client-1'), key);
        assert.deepEqual(await stores.apiKeys.listApiKeys('1'), [key]);
      });

      contract('revokes an active key once', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        const k = apiKey('1', 'k', t);
        await stores.apiKeys.createApiKey(k);
        assert.equal(await stores.apiKeys.revokeApiKey('1', 'k', t + 5000), true);
        assert.deepEqual(await stores.apiKeys.getApiKey('1', 'k'), { ...k, revokedAt: t + 5000 });
        assert.equal(await stores.apiKeys.revokeApiKey('1', 'k', t + 9000), false, 'already revoked');
        assert.equal((await stores.apiKeys.getApiKey('1', 'k'))?.revokedAt, t + 5000);
        assert.equal(await stores.apiKeys.revokeApiKey('1', 'nope', t), false);
        assert.equal(await stores.apiKeys.revokeApiKey('2', 'k', t), false, 'another account');
      });

      contract('keeps an installation and an address allowlist, and updates an active key only', async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        const installation = {
          ...defaultInstallation('Reports', t),
          displayName: 'Reports – ünïcode',
          description: 'Nightly reports',
          logoUri: 'https://app.example.com/logo.png',
          grantTypes: ['authorization_code' as const, 'refresh_token' as const],
          redirectUris: ['https://app.example.com/callback', 'http://127.0.0.1:8080/cb'],
          scope: 'users.read events.read',
          tokenEndpointAuthMethod: 'none' as const,
          enabled: false,
        };
        const app = apiKey('1', 'client-app', t, { type: 'oauth2', accessTokenHash: null, accessTokenSecretHash: null, secretHash: '', installation, ipAllowlist: ['203.0.113.7', '198.51.100.1-198.51.100.20', '2001:db8::/32'] });
        const plain = apiKey('1', 'client-plain', t + 1, { type: 'oauth2', accessTokenHash: null, accessTokenSecretHash: null });
        await stores.apiKeys.createApiKey(app);
        await stores.apiKeys.createApiKey(plain);
        assert.deepEqual(await stores.apiKeys.getApiKey('1', 'client-app'), app);
        assert.deepEqual(await stores.apiKeys.listApiKeys('1'), [app, plain]);
        assert.equal(plain.installation, null);
        assert.deepEqual(plain.ipAllowlist, []);

        const secretHash = hex();
        const changed = { ...installation, enabled: true, redirectUris: ['https://app.example.com/v2/callback'], updatedAt: t + 5000 };
        assert.equal(await stores.apiKeys.updateApiKey('1', 'client-plain', { name: 'Renamed', secretHash, installation: changed, ipAllowlist: ['10.0.0.0/8'] }), true);
        assert.deepEqual(await stores.apiKeys.getApiKey('1', 'client-plain'), { ...plain, name: 'Renamed', secretHash, installation: changed, ipAllowlist: ['10.0.0.0/8'] });
        assert.equal(await stores.apiKeys.updateApiKey('1', 'client-plain', { ipAllowlist: [] }), true, 'one field');
        assert.deepEqual(await stores.apiKeys.getApiKey('1', 'client-plain'), { ...plain, name: 'Renamed', secretHash, installation: changed, ipAllowlist: [] });
        assert.equal(await stores.apiKeys.updateApiKey('1', 'client-plain', { installation: null }), true);
        assert.equal((await stores.apiKeys.getApiKey('1', 'client-plain'))?.installation, null);
        assert.equal(await stores.apiKeys.updateApiKey('1', 'client-plain', {}), true, 'an empty patch of an active key');
        assert.deepEqual(await stores.apiKeys.getApiKey('1', 'client-app'), app, 'the other key is untouched');

        assert.equal(await stores.apiKeys.updateApiKey('1', 'nope', { name: 'x' }), false);
        assert.equal(await stores.apiKeys.updateApiKey('2', 'client-app', { name: 'x' }), false, 'another account');
        assert.equal(await stores.apiKeys.revokeApiKey('1', 'client-app', t + 9000), true);
        assert.equal(await stores.apiKeys.updateApiKey('1', 'client-app', { name: 'x' }), false, 'a revoked key');
        assert.equal(await stores.apiKeys.updateApiKey('1', 'client-app', {}), false);
        assert.equal((await stores.apiKeys.getApiKey('1', 'client-app'))?.name, app.name);
      });
    });

    describe('SessionStore', () => {
      contract('creates a session and finds it by Session_id digest and by bearer digest', async (stores) => {
        const t = realNow();
        const plain = session('1', '10', t, 8 * HOUR);
        const full = session('1', '11', t, HOUR, {
          isAdmin: true,
          isLPA: true,
          privileges: [],
          appKey: 'app-key-1',
          amr: ['swk', 'otp'],
          hardExpiresAt: t + HOUR,
          clientIp: '2001:db8::1',
          userAgent: 'Mozilla/5.0 (X11; Linux x86_64) – ünïcode',
        });
        await stores.sessions.createSession(plain);
        await stores.sessions.createSession(full);
        assert.deepEqual(await stores.sessions.findSessionById(plain.idHash), plain);
        assert.deepEqual(await stores.sessions.findSessionByBearer(plain.bearerHash), bearerSessionOf(plain), 'only what a bearer check needs');
        assert.deepEqual(await stores.sessions.findSessionById(full.idHash), full);
        assert.deepEqual(await stores.sessions.findSessionByBearer(full.bearerHash), bearerSessionOf(full));
        assert.equal(await stores.sessions.findSessionById(hex()), null);
        assert.equal(await stores.sessions.findSessionByBearer(hex()), null);
        assert.equal(await stores.sessions.findSessionById(plain.bearerHash), null, 'a bearer digest is not a session id');
        assert.equal(await stores.sessions.findSessionByBearer(plain.idHash), null, 'a session id is not a bearer digest');
      });

      contract('extends a session: both lookups see the new expiry', async (stores) => {
        const t = realNow();
        const s = session('1', '10', t, 30 * MINUTE, { hardExpiresAt: t + 2 * HOUR });
        await stores.sessions.createSession(s);
        assert.equal(await stores.sessions.extendSession(s.idHash, t + HOUR), true);
        assert.deepEqual(await stores.sessions.findSessionById(s.idHash), { ...s, expiresAt: t + HOUR });
        assert.deepEqual(await stores.sessions.findSessionByBearer(s.bearerHash), bearerSessionOf({ ...s, expiresAt: t + HOUR }));
        assert.equal(await stores.sessions.extendSession(s.idHash, t + 2 * HOUR), true);
        assert.equal((await stores.sessions.findSessionByBearer(s.bearerHash))?.expiresAt, t + 2 * HOUR);
        assert.equal(await stores.sessions.extendSession(hex(), t + HOUR), false);
      });

      contract('keeps a session its caller deems expired readable by key until the sweep', async (stores) => {
        const t = realNow();
        const s = session('1', '10', t, HOUR);
        await stores.sessions.createSession(s);
        assert.deepEqual(await stores.sessions.listSessions('1', t + 2 * HOUR), [], 'not live at t + 2h');
        assert.deepEqual(await stores.sessions.findSessionById(s.idHash), s, 'callers compare expiresAt with their own clock');
        assert.deepEqual(await stores.sessions.findSessionByBearer(s.bearerHash), bearerSessionOf(s));
        assert.equal(await stores.sessions.deleteExpiredSessions(t + 2 * HOUR), 1);
        assert.equal(await stores.sessions.findSessionById(s.idHash), null);
      });

      contract('deletes one session: neither digest finds it afterwards', async (stores) => {
        const t = realNow();
        const s = session('1', '10', t, HOUR);
        const other = session('1', '10', t, HOUR);
        await stores.sessions.createSession(s);
        await stores.sessions.createSession(other);
        assert.equal(await stores.sessions.deleteSession(s.idHash), true);
        assert.equal(await stores.sessions.deleteSession(s.idHash), false);
        assert.equal(await stores.sessions.findSessionById(s.idHash), null);
        assert.equal(await stores.sessions.findSessionByBearer(s.bearerHash), null);
        assert.equal(await stores.sessions.extendSession(s.idHash, t + 2 * HOUR), false);
        assert.deepEqual(ids(await stores.sessions.listSessions('1', t, '10')), [other.idHash]);
        assert.deepEqual(await stores.sessions.findSessionByBearer(other.bearerHash), bearerSessionOf(other));
      });

      contract('ends all sessions of a user, of an API key, of an account: only those', async (stores) => {
        const t = realNow();
        const a1 = session('1', '10', t, HOUR);
        const a2 = session('1', '10', t + 1, HOUR);
        const b1 = session('1', '20', t, HOUR, { appKey: 'key-x' });
        const b2 = session('1', '20', t + 1, HOUR, { appKey: 'key-y' });
        const c1 = session('1', '30', t, HOUR, { appKey: 'key-x' });
        const elsewhere = session('2', '10', t, HOUR, { appKey: 'key-x' });
        for (const s of [a1, a2, b1, b2, c1, elsewhere]) await stores.sessions.createSession(s);

        assert.equal(await stores.sessions.deleteUserSessions('1', '10'), 2);
        assert.equal(await stores.sessions.deleteUserSessions('1', '10'), 0);
        assert.equal(await stores.sessions.findSessionByBearer(a1.bearerHash), null);
        assert.equal(await stores.sessions.findSessionById(a2.idHash), null);
        assert.deepEqual(await stores.sessions.findSessionById(elsewhere.idHash), elsewhere, 'same user id, other account');

        assert.equal(await stores.sessions.deleteAppKeySessions('1', 'key-x'), 2);
        assert.equal(await stores.sessions.deleteAppKeySessions('1', 'key-x'), 0);
        assert.equal(await stores.sessions.findSessionById(b1.idHash), null);
        assert.equal(await stores.sessions.findSessionByBearer(c1.bearerHash), null);
        assert.deepEqual(await stores.sessions.findSessionById(b2.idHash), b2, 'another key');
        assert.deepEqual(await stores.sessions.findSessionById(elsewhere.idHash), elsewhere, 'same key, other account');

        const b3 = session('1', '20', t + 2, HOUR);
        await stores.sessions.createSession(b3);
        assert.equal(await stores.sessions.deleteAccountSessions('1'), 2);
        assert.equal(await stores.sessions.deleteAccountSessions('1'), 0);
        assert.equal(await stores.sessions.findSessionById(b2.idHash), null);
        assert.equal(await stores.sessions.findSessionByBearer(b3.bearerHash), null);
        assert.deepEqual(await stores.sessions.listSessions('1', t), []);
        assert.deepEqual(ids(await stores.sessions.listSessions('2', t)), [elsewhere.idHash]);
        assert.equal(await stores.sessions.countLiveSessions(t), 1);
      });

      contract('lists live sessions of an account or a user, oldest first; expired ones are left out', async (stores) => {
        const t = realNow();
        const s1 = session('1', '10', t, HOUR);
        const s2 = session('1', '10', t + 1000, 3 * HOUR);
        const s3 = session('1', '10', t + 500, 30 * MINUTE);
        const s4 = session('1', '20', t + 200, 2 * HOUR);
        const other = session('2', '10', t, 5 * HOUR);
        for (const s of [s2, s4, other, s3, s1]) await stores.sessions.createSession(s);

        assert.deepEqual(await stores.sessions.listSessions('1', t + 10 * MINUTE), [s1, s4, s3, s2]);
        assert.deepEqual(ids(await stores.sessions.listSessions('1', t + 45 * MINUTE)), ids([s1, s4, s2]));
        assert.deepEqual(ids(await stores.sessions.listSessions('1', t + 45 * MINUTE, '10')), ids([s1, s2]));
        assert.deepEqual(ids(await stores.sessions.listSessions('1', t + 45 * MINUTE, '20')), ids([s4]));
        assert.deepEqual(ids(await stores.sessions.listSessions('1', t + HOUR, '10')), ids([s2]), 'a session ends at its expiresAt');
        assert.deepEqual(ids(await stores.sessions.listSessions('1', t + 150 * MINUTE)), ids([s2]));
        assert.deepEqual(await stores.sessions.listSessions('1', t + 150 * MINUTE, '30'), []);
        assert.deepEqual(await stores.sessions.listSessions('3', t), []);

        // Extending a session brings it back into the listings at a later time.
        assert.equal(await stores.sessions.extendSession(s3.idHash, t + 4 * HOUR), true);
        assert.deepEqual(ids(await stores.sessions.listSessions('1', t + 150 * MINUTE)), ids([s3, s2]));
        assert.deepEqual(ids(await stores.sessions.listSessions('1', t + 150 * MINUTE, '10')), ids([s3, s2]));
      });

      contract('orders sessions created at the same moment by their id digest', async (stores) => {
        const t = realNow();
        const same = Array.from({ length: 5 }, () => session('1', '10', t, HOUR));
        for (const s of same) await stores.sessions.createSession(s);
        const expected = [...ids(same)].sort();
        assert.deepEqual(ids(await stores.sessions.listSessions('1', t)), expected);
        assert.deepEqual(ids(await stores.sessions.listSessions('1', t, '10')), expected);
      });

      contract('counts live sessions and sweeps expired ones', async (stores) => {
        const t = realNow();
        const ending1h = session('1', '10', t, HOUR);
        const ending2h = session('2', '20', t, 2 * HOUR, { appKey: 'key-x' });
        const ending3h = session('3', '30', t, 3 * HOUR);
        for (const s of [ending1h, ending2h, ending3h]) await stores.sessions.createSession(s);

        assert.equal(await stores.sessions.countLiveSessions(t), 3);
        assert.equal(await stores.sessions.countLiveSessions(t + HOUR), 2, 'a session ending now is not live');
        assert.equal(await stores.sessions.countLiveSessions(t + 2 * HOUR + 1), 1);
        assert.equal(await stores.sessions.countLiveSessions(t + 3 * HOUR), 0);

        assert.equal(await stores.sessions.deleteExpiredSessions(t + 2 * HOUR), 2);
        assert.equal(await stores.sessions.deleteExpiredSessions(t + 2 * HOUR), 0);
        assert.equal(await stores.sessions.findSessionById(ending1h.idHash), null);
        assert.equal(await stores.sessions.findSessionByBearer(ending2h.bearerHash), null);
        assert.deepEqual(await stores.sessions.findSessionById(ending3h.idHash), ending3h);
        assert.equal(await stores.sessions.countLiveSessions(t), 1, 'counted at an earlier time, the swept ones are gone for good');
        assert.deepEqual(await stores.sessions.listSessions('2', t), []);
        assert.equal(await stores.sessions.deleteAppKeySessions('2', 'key-x'), 0);
      });

      contract('an extended session survives the sweep that its old expiry would have met', async (stores) => {
        const t = realNow();
        const s = session('1', '10', t, HOUR);
        await stores.sessions.createSession(s);
        await stores.sessions.extendSession(s.idHash, t + 3 * HOUR);
        assert.equal(await stores.sessions.deleteExpiredSessions(t + 2 * HOUR), 0);
        assert.equal(await stores.sessions.countLiveSessions(t + 2 * HOUR), 1);
        assert.equal((await stores.sessions.findSessionByBearer(s.bearerHash))?.expiresAt, t + 3 * HOUR);
      });

      contract('the sweep and the live count follow every extension, later or earlier, and sweeps in between', async (stores) => {
        const t = realNow();
        const lengthened = session('1', '10', t, HOUR);
        const shortened = session('1', '11', t, 3 * HOUR);
        for (const s of [lengthened, shortened]) await stores.sessions.createSession(s);
        await stores.sessions.extendSession(lengthened.idHash, t + 2 * HOUR);
        await stores.sessions.extendSession(shortened.idHash, t + HOUR);
        assert.equal(await stores.sessions.countLiveSessions(t + HOUR), 1, 'the shortened session is over at its new expiry');
        assert.equal(await stores.sessions.deleteExpiredSessions(t + HOUR), 1);
        assert.equal(await stores.sessions.findSessionById(shortened.idHash), null);
        // Extended again after a sweep that found it live: later sweeps and counts still see the newest expiry.
        await stores.sessions.extendSession(lengthened.idHash, t + 4 * HOUR);
        assert.equal(await stores.sessions.deleteExpiredSessions(t + 3 * HOUR), 0);
        assert.equal(await stores.sessions.countLiveSessions(t + 3 * HOUR), 1);
        assert.equal(await stores.sessions.countLiveSessions(t + HOUR), 1);
        assert.equal(await stores.sessions.countLiveSessions(t + 4 * HOUR), 0);
        assert.equal(await stores.sessions.deleteExpiredSessions(t + 4 * HOUR), 1);
        assert.equal(await stores.sessions.countLiveSessions(t), 0);
      });
    });

    describe('SessionStore across instances and concurrent calls', () => {
      pairContract("a second instance sees the first one's refresh, logout and revocations at once", async (one, two) => {
        const t = realNow();
        const s = session('1', '10', t, HOUR);
        await one.sessions.createSession(s);
        assert.deepEqual(await two.sessions.findSessionByBearer(s.bearerHash), bearerSessionOf(s), 'a login');

        assert.equal(await one.sessions.extendSession(s.idHash, t + 2 * HOUR), true);
        assert.equal((await two.sessions.findSessionByBearer(s.bearerHash))?.expiresAt, t + 2 * HOUR, 'a refresh');
        assert.equal((await two.sessions.findSessionById(s.idHash))?.expiresAt, t + 2 * HOUR);
        assert.equal(await two.sessions.extendSession(s.idHash, t + 3 * HOUR), true);
        assert.equal((await one.sessions.findSessionByBearer(s.bearerHash))?.expiresAt, t + 3 * HOUR, 'and the other way round');

        assert.equal(await one.sessions.deleteSession(s.idHash), true);
        assert.equal(await two.sessions.findSessionByBearer(s.bearerHash), null, 'a logout');
        assert.equal(await two.sessions.findSessionById(s.idHash), null);
        assert.equal(await two.sessions.extendSession(s.idHash, t + 4 * HOUR), false);
        assert.equal(await two.sessions.deleteSession(s.idHash), false);

        const ofUser = session('1', '20', t, HOUR);
        const ofKey = session('1', '30', t, HOUR, { appKey: 'key-x' });
        const ofAccount = session('2', '40', t, HOUR);
        for (const x of [ofUser, ofKey, ofAccount]) {
          await one.sessions.createSession(x);
          assert.ok(await two.sessions.findSessionByBearer(x.bearerHash), 'read before the revocation');
        }
        assert.equal(await one.sessions.deleteUserSessions('1', '20'), 1);
        assert.equal(await two.sessions.findSessionByBearer(ofUser.bearerHash), null, "revoking a user's sessions");
        assert.equal(await one.sessions.deleteAppKeySessions('1', 'key-x'), 1);
        assert.equal(await two.sessions.findSessionByBearer(ofKey.bearerHash), null, "revoking an API key's sessions");
        assert.equal(await one.sessions.deleteAccountSessions('2'), 1);
        assert.equal(await two.sessions.findSessionByBearer(ofAccount.bearerHash), null, "revoking an account's sessions");
        assert.equal(await two.sessions.countLiveSessions(t), 0);
      });

      pairContract('a batch of concurrent refreshes and logouts, over two instances, gets the right answer for each call', async (one, two) => {
        const t = realNow();
        const refreshed = Array.from({ length: 12 }, (_, i) => session('1', String(100 + i), t, HOUR));
        const loggedOut = Array.from({ length: 6 }, (_, i) => session('1', String(200 + i), t, HOUR));
        const loggedOutTwice = Array.from({ length: 4 }, (_, i) => session('1', String(300 + i), t, HOUR));
        const untouched = session('1', '400', t, HOUR);
        for (const s of [...refreshed, ...loggedOut, ...loggedOutTwice, untouched]) await one.sessions.createSession(s);
        const either = (i: number) => (i % 2 === 0 ? one : two);

        const [refreshes, logouts, doubleLogouts, unknown] = await Promise.all([
          Promise.all(refreshed.map((s, i) => either(i).sessions.extendSession(s.idHash, t + 2 * HOUR + i * 1000))),
          Promise.all(loggedOut.map((s, i) => either(i + 1).sessions.deleteSession(s.idHash))),
          Promise.all(loggedOutTwice.flatMap((s) => [one.sessions.deleteSession(s.idHash), two.sessions.deleteSession(s.idHash)])),
          Promise.all([one.sessions.extendSession(hex(), t + 2 * HOUR), two.sessions.deleteSession(hex())]),
        ]);
        assert.deepEqual(refreshes, refreshed.map(() => true));
        assert.deepEqual(logouts, loggedOut.map(() => true));
        for (let i = 0; i < loggedOutTwice.length; i++) {
          assert.equal(doubleLogouts.slice(2 * i, 2 * i + 2).filter(Boolean).length, 1, 'a session is logged out once, whoever asks second hears false');
        }
        assert.deepEqual(unknown, [false, false]);

        for (const [i, s] of refreshed.entries()) {
          const expiresAt = t + 2 * HOUR + i * 1000;
          assert.equal((await either(i + 1).sessions.findSessionByBearer(s.bearerHash))?.expiresAt, expiresAt, `refresh ${i}`);
          assert.equal((await either(i).sessions.findSessionById(s.idHash))?.expiresAt, expiresAt);
        }
        for (const s of [...loggedOut, ...loggedOutTwice]) {
          assert.equal(await one.sessions.findSessionByBearer(s.bearerHash), null);
          assert.equal(await two.sessions.findSessionById(s.idHash), null);
        }
        assert.deepEqual(await two.sessions.findSessionByBearer(untouched.bearerHash), bearerSessionOf(untouched));
        assert.equal(await one.sessions.countLiveSessions(t + HOUR), refreshed.length);

        // A refresh and a logout of one session at once: the logout wins whichever runs first.
        const both = session('1', '500', t, HOUR);
        await one.sessions.createSession(both);
        const [, ended] = await Promise.all([one.sessions.extendSession(both.idHash, t + 2 * HOUR), two.sessions.deleteSession(both.idHash)]);
        assert.equal(ended, true);
        assert.equal(await one.sessions.findSessionByBearer(both.bearerHash), null);
        assert.equal(await two.sessions.findSessionById(both.idHash), null);
      });
    });

    describe('OAuthGrantStore', () => {
      contract('a code is taken once: the first take says so, later ones see it used; unknown and expired codes are null', async (stores) => {
        const t = realNow();
        const c = code('1', 'client-1', '10', t);
        await stores.oauth.saveCode(c);
        assert.deepEqual(await stores.oauth.takeCode(c.codeHash, t + 1000), { code: c, firstUse: true });
        assert.deepEqual(await stores.oauth.takeCode(c.codeHash, t + 2000), { code: c, firstUse: false }, 'kept until it expires, so a second use is seen');
        assert.equal(await stores.oauth.takeCode(c.codeHash, c.expiresAt), null, 'expired at its expiresAt');
        assert.equal(await stores.oauth.takeCode(hex(), t), null);

        const fresh = code('1', 'client-1', '10', t, { nonce: null, codeChallenge: null, amr: ['swk'] });
        await stores.oauth.saveCode(fresh);
        assert.equal(await stores.oauth.takeCode(fresh.codeHash, fresh.expiresAt + 1), null, 'never taken, expired');
        assert.deepEqual(await stores.oauth.takeCode(fresh.codeHash, t), { code: fresh, firstUse: true }, 'an expiry check does not use it');
      });

      pairContract('of concurrent takes of one code, over two instances, exactly one is the first use', async (one, two) => {
        const t = realNow();
        const codes = Array.from({ length: 5 }, () => code('1', 'client-1', '10', t));
        for (const c of codes) await one.oauth.saveCode(c);
        for (const c of codes) {
          const takes = await Promise.all([one, two, one, two].map((s) => s.oauth.takeCode(c.codeHash, t + 1000)));
          assert.equal(takes.filter((x) => x?.firstUse === true).length, 1);
          assert.equal(takes.filter((x) => x?.firstUse === false).length, 3);
        }
      });

      contract('a refresh token is found while it is current, unexpired and its family unrevoked', async (stores) => {
        const t = realNow();
        const r = refresh('1', 'client-1', '10', t, { amr: ['pwd', 'otp'] });
        await stores.oauth.saveRefreshToken(r);
        assert.deepEqual(await stores.oauth.findRefreshToken(r.tokenHash, t + 1000), r);
        assert.equal(await stores.oauth.findRefreshToken(r.tokenHash, r.expiresAt), null, 'expired');
        assert.equal(await stores.oauth.findRefreshToken(hex(), t), null);
        await stores.oauth.revokeFamily(r.familyId, t + HOUR);
        assert.equal(await stores.oauth.findRefreshToken(r.tokenHash, t + 1000), null, 'revoked family');
        assert.equal(await stores.oauth.familyRevoked(r.familyId, t + 1000), true);
        assert.equal(await stores.oauth.familyRevoked(r.familyId, t + HOUR), false, 'the mark ends at until');
        assert.equal(await stores.oauth.familyRevoked(hex(), t), false);

        await stores.oauth.saveRefreshToken(refresh('1', 'client-1', '10', t, { familyId: r.familyId, tokenHash: hex() }));
        const late = refresh('1', 'client-1', '10', t, { familyId: r.familyId });
        await stores.oauth.saveRefreshToken(late);
        assert.equal(await stores.oauth.findRefreshToken(late.tokenHash, t + 1000), null, 'nothing is saved into a revoked family');
      });

      contract('rotation replaces the current token; presenting a rotated one revokes the whole family', async (stores) => {
        const t = realNow();
        const first = refresh('1', 'client-1', '10', t);
        await stores.oauth.saveRefreshToken(first);
        const second = refresh('1', 'client-1', '10', t + MINUTE, { familyId: hex(8) });
        const rotated = await stores.oauth.rotateRefreshToken(first.tokenHash, second, t + MINUTE);
        assert.deepEqual(rotated, { status: 'rotated', previous: first });
        assert.equal(await stores.oauth.findRefreshToken(first.tokenHash, t + MINUTE), null, 'no longer current');
        assert.deepEqual(await stores.oauth.findRefreshToken(second.tokenHash, t + MINUTE), { ...second, familyId: first.familyId }, 'same family as the token it replaced');

        const third = refresh('1', 'client-1', '10', t + 2 * MINUTE, { familyId: first.familyId });
        assert.equal((await stores.oauth.rotateRefreshToken(second.tokenHash, third, t + 2 * MINUTE)).status, 'rotated');

        const thief = refresh('1', 'client-1', '10', t + 3 * MINUTE, { familyId: first.familyId });
        assert.deepEqual(await stores.oauth.rotateRefreshToken(first.tokenHash, thief, t + 3 * MINUTE), { status: 'reused', familyId: first.familyId });
        assert.equal(await stores.oauth.findRefreshToken(third.tokenHash, t + 3 * MINUTE), null, 'the current token of the family is revoked too');
        assert.equal(await stores.oauth.findRefreshToken(thief.tokenHash, t + 3 * MINUTE), null, 'and nothing was issued');
        assert.equal(await stores.oauth.familyRevoked(first.familyId, t + 3 * MINUTE + MAX_ACCESS_TOKEN_LIFETIME_MS - 1), true, 'as long as its access tokens can live');
        assert.equal(await stores.oauth.familyRevoked(first.familyId, t + 3 * MINUTE + MAX_ACCESS_TOKEN_LIFETIME_MS), false);
        const again = refresh('1', 'client-1', '10', t + 4 * MINUTE, { familyId: first.familyId });
        assert.deepEqual(await stores.oauth.rotateRefreshToken(third.tokenHash, again, t + 4 * MINUTE), { status: 'unknown' }, 'revoked family');

        assert.deepEqual(await stores.oauth.rotateRefreshToken(hex(), again, t), { status: 'unknown' });
        const expiring = refresh('1', 'client-1', '10', t);
        await stores.oauth.saveRefreshToken(expiring);
        assert.deepEqual(await stores.oauth.rotateRefreshToken(expiring.tokenHash, again, expiring.expiresAt), { status: 'unknown' }, 'expired');
        assert.deepEqual(await stores.oauth.findRefreshToken(expiring.tokenHash, t), expiring, 'an expired rotation changes nothing');
      });

      pairContract('of concurrent rotations of one token, over two instances, exactly one rotates', async (one, two) => {
        const t = realNow();
        const r = refresh('1', 'client-1', '10', t);
        await one.oauth.saveRefreshToken(r);
        const nexts = Array.from({ length: 4 }, () => refresh('1', 'client-1', '10', t + 1000, { familyId: r.familyId }));
        const results = await Promise.all(nexts.map((n, i) => (i % 2 === 0 ? one : two).oauth.rotateRefreshToken(r.tokenHash, n, t + 1000)));
        assert.equal(results.filter((x) => x.status === 'rotated').length, 1);
        // The others present a token that has just been rotated: a replay, which ends the family.
        assert.ok(results.filter((x) => x.status !== 'rotated').every((x) => x.status === 'reused' || x.status === 'unknown'));
        assert.ok(results.some((x) => x.status === 'reused'));
        for (const n of nexts) assert.equal(await two.oauth.findRefreshToken(n.tokenHash, t + 1000), null);
        assert.equal(await one.oauth.familyRevoked(r.familyId, t + 1000), true);
      });

      contract("revoking a user's or an installation's grants ends their families, codes and tokens, and only theirs", async (stores) => {
        const t = realNow();
        const userCode = code('1', 'client-1', '10', t);
        const userToken = refresh('1', 'client-2', '10', t);
        const userToken2 = refresh('1', 'client-1', '10', t, { familyId: userCode.familyId });
        const otherUser = refresh('1', 'client-1', '11', t);
        const otherAccount = refresh('2', 'client-1', '10', t);
        const otherAccountCode = code('2', 'client-1', '10', t);
        await stores.oauth.saveCode(userCode);
        await stores.oauth.saveCode(otherAccountCode);
        for (const r of [userToken, userToken2, otherUser, otherAccount]) await stores.oauth.saveRefreshToken(r);

        assert.equal(await stores.oauth.revokeUserGrants('1', '10', t + HOUR), 2, 'two families: the code and its token share one');
        assert.equal(await stores.oauth.takeCode(userCode.codeHash, t), null);
        assert.equal(await stores.oauth.findRefreshToken(userToken.tokenHash, t), null);
        assert.equal(await stores.oauth.findRefreshToken(userToken2.tokenHash, t), null);
        assert.equal(await stores.oauth.familyRevoked(userCode.familyId, t), true);
        assert.equal(await stores.oauth.familyRevoked(userToken.familyId, t), true);
        assert.deepEqual(await stores.oauth.findRefreshToken(otherUser.tokenHash, t), otherUser);
        assert.deepEqual(await stores.oauth.findRefreshToken(otherAccount.tokenHash, t), otherAccount);
        assert.equal(await stores.oauth.revokeUserGrants('1', '10', t + HOUR), 0, 'nothing left');

        const clientCode = code('1', 'client-1', '12', t);
        await stores.oauth.saveCode(clientCode);
        assert.equal(await stores.oauth.revokeClientGrants('1', 'client-1', t + HOUR), 2);
        assert.equal(await stores.oauth.findRefreshToken(otherUser.tokenHash, t), null);
        assert.equal(await stores.oauth.takeCode(clientCode.codeHash, t), null);
        assert.equal(await stores.oauth.familyRevoked(clientCode.familyId, t), true);
        assert.deepEqual(await stores.oauth.findRefreshToken(otherAccount.tokenHash, t), otherAccount, 'the same client id in another account');
        assert.deepEqual(await stores.oauth.takeCode(otherAccountCode.codeHash, t), { code: otherAccountCode, firstUse: true });
        assert.equal(await stores.oauth.revokeClientGrants('1', 'client-9', t + HOUR), 0);
      });

      contract('an access token revoked before its exp is marked until then; a later revocation never shortens a mark', async (stores) => {
        const t = realNow();
        const jti = hex(16);
        assert.equal(await stores.oauth.accessTokenRevoked(jti, t), false);
        await stores.oauth.revokeAccessToken(jti, t + HOUR);
        assert.equal(await stores.oauth.accessTokenRevoked(jti, t + HOUR - 1), true);
        assert.equal(await stores.oauth.accessTokenRevoked(jti, t + HOUR), false);
        await stores.oauth.revokeAccessToken(jti, t + MINUTE);
        assert.equal(await stores.oauth.accessTokenRevoked(jti, t + 2 * MINUTE), true);
        assert.equal(await stores.oauth.accessTokenRevoked(hex(16), t), false);

        const familyId = hex(8);
        await stores.oauth.revokeFamily(familyId, t + HOUR);
        await stores.oauth.revokeFamily(familyId, t + MINUTE);
        assert.equal(await stores.oauth.familyRevoked(familyId, t + 2 * MINUTE), true);
      });

      contract('the sweep drops expired codes, tokens and marks, and nothing live', async (stores) => {
        const t = realNow();
        const expiredCode = code('1', 'client-1', '10', t);
        const liveCode = code('1', 'client-1', '10', t + HOUR);
        const expiredToken = refresh('1', 'client-1', '10', t, { expiresAt: t + MINUTE });
        const liveToken = refresh('1', 'client-1', '10', t);
        await stores.oauth.saveCode(expiredCode);
        await stores.oauth.saveCode(liveCode);
        await stores.oauth.saveRefreshToken(expiredToken);
        await stores.oauth.saveRefreshToken(liveToken);
        await stores.oauth.revokeAccessToken('jti-ended', t + MINUTE);
        await stores.oauth.revokeAccessToken('jti-live', t + 2 * HOUR);
        await stores.oauth.revokeFamily('family-ended', t + MINUTE);
        await stores.oauth.revokeFamily('family-live', t + 2 * HOUR);

        const now = t + 30 * MINUTE;
        const swept = await stores.oauth.deleteExpiredGrants(now);
        // Redis expires them on its own, measured by its clock: its sweep may find nothing.
        assert.ok(swept === 4 || swept === 0, `swept ${swept}`);
        if (swept === 4) assert.equal(await stores.oauth.takeCode(expiredCode.codeHash, t), null, 'deleted, not only expired');
        assert.deepEqual(await stores.oauth.takeCode(liveCode.codeHash, now), { code: liveCode, firstUse: true });
        assert.deepEqual(await stores.oauth.findRefreshToken(liveToken.tokenHash, now), liveToken);
        assert.equal(await stores.oauth.accessTokenRevoked('jti-live', now), true);
        assert.equal(await stores.oauth.familyRevoked('family-live', now), true);
        assert.equal(await stores.oauth.accessTokenRevoked('jti-ended', now), false);
        assert.equal(await stores.oauth.familyRevoked('family-ended', now), false);
        assert.equal(await stores.oauth.deleteExpiredGrants(now), 0, 'a second sweep finds nothing');
      });

      pairContract("a second instance sees the first one's codes, rotations and revocations at once", async (one, two) => {
        const t = realNow();
        const c = code('1', 'client-1', '10', t);
        await one.oauth.saveCode(c);
        assert.equal((await two.oauth.takeCode(c.codeHash, t))?.firstUse, true);
        assert.equal((await one.oauth.takeCode(c.codeHash, t))?.firstUse, false);

        const r = refresh('1', 'client-1', '10', t, { familyId: c.familyId });
        await one.oauth.saveRefreshToken(r);
        const next = refresh('1', 'client-1', '10', t + 1000, { familyId: c.familyId });
        assert.equal((await two.oauth.rotateRefreshToken(r.tokenHash, next, t + 1000)).status, 'rotated');
        assert.equal(await one.oauth.findRefreshToken(r.tokenHash, t + 1000), null);
        assert.deepEqual(await one.oauth.findRefreshToken(next.tokenHash, t + 1000), next);

        await two.oauth.revokeFamily(c.familyId, t + HOUR);
        assert.equal(await one.oauth.familyRevoked(c.familyId, t + 1000), true);
        assert.equal(await one.oauth.findRefreshToken(next.tokenHash, t + 1000), null);

        await one.oauth.revokeAccessToken('jti-1', t + HOUR);
        assert.equal(await two.oauth.accessTokenRevoked('jti-1', t), true);

        const u = refresh('1', 'client-1', '20', t);
        await two.oauth.saveRefreshToken(u);
        assert.equal(await one.oauth.revokeUserGrants('1', '20', t + HOUR), 1);
        assert.equal(await two.oauth.findRefreshToken(u.tokenHash, t), null);
        assert.equal(await two.oauth.familyRevoked(u.familyId, t), true);
      });
    });

    describe('SigningKeyStore', () => {
      contract('a new key retires the current key of its alg only; keys are listed newest first', async (stores) => {
        const t = realNow();
        assert.deepEqual(await stores.signingKeys.listSigningKeys(), []);
        const rs1 = signingKey('RS256', t);
        const es1 = signingKey('ES256', t + 1000);
        await stores.signingKeys.addSigningKey(rs1);
        await stores.signingKeys.addSigningKey(es1);
        assert.deepEqual(await stores.signingKeys.listSigningKeys(), [es1, rs1]);

        const rs2 = signingKey('RS256', t + 2000);
        await stores.signingKeys.addSigningKey(rs2);
        assert.deepEqual(await stores.signingKeys.listSigningKeys(), [rs2, es1, { ...rs1, retiredAt: t + 2000 }]);
        const rs3 = signingKey('RS256', t + 3000);
        await stores.signingKeys.addSigningKey(rs3);
        assert.deepEqual(await stores.signingKeys.listSigningKeys(), [rs3, { ...rs2, retiredAt: t + 3000 }, es1, { ...rs1, retiredAt: t + 2000 }], 'a retired key keeps its retirement time');
      });

      contract('deletes keys retired before a time, never a current one', async (stores) => {
        const t = realNow();
        const old = signingKey('RS256', t);
        const mid = signingKey('RS256', t + HOUR);
        const current = signingKey('RS256', t + 2 * HOUR);
        const es = signingKey('ES256', t);
        for (const k of [old, mid, current, es]) await stores.signingKeys.addSigningKey(k);
        assert.equal(await stores.signingKeys.deleteRetiredSigningKeys(t + HOUR), 0, 'retired at exactly the time: kept');
        assert.equal(await stores.signingKeys.deleteRetiredSigningKeys(t + HOUR + 1), 1);
        assert.deepEqual((await stores.signingKeys.listSigningKeys()).map((k) => k.kid), [current.kid, mid.kid, es.kid]);
        assert.equal(await stores.signingKeys.deleteRetiredSigningKeys(t + 100 * HOUR), 1);
        assert.deepEqual((await stores.signingKeys.listSigningKeys()).map((k) => k.kid), [current.kid, es.kid]);
      });

      pairContract('a key added by one instance is listed by another', async (one, two) => {
        const t = realNow();
        const k = signingKey('RS256', t);
        await one.signingKeys.addSigningKey(k);
        assert.deepEqual(await two.signingKeys.listSigningKeys(), [k]);
        const k2 = signingKey('RS256', t + 1000);
        await two.signingKeys.addSigningKey(k2);
        assert.deepEqual(await one.signingKeys.listSigningKeys(), [k2, { ...k, retiredAt: t + 1000 }]);
      });
    });

    describe('account isolation', () => {
      contract("every write names its account and changes nothing in another one's", async (stores) => {
        const t = realNow();
        await stores.accounts.createAccount(account('1', t));
        await stores.accounts.createAccount(account('2', t));
        const accountTwo = await stores.accounts.getAccount('2');
        const mine = user('1', 'agent', t);
        const theirs = user('2', 'agent', t);
        await stores.users.createUser(mine);
        await stores.users.createUser(theirs);
        await stores.apiKeys.createApiKey(apiKey('1', 'key-x', t));
        await stores.apiKeys.createApiKey(apiKey('2', 'key-x', t));
        await stores.accounts.setServiceBaseURI('2', 'agentVep', 'two.example.com');
        const mySession = session('1', mine.userId, t, HOUR, { appKey: 'key-x' });
        const theirSession = session('2', theirs.userId, t, HOUR, { appKey: 'key-x' });
        await stores.sessions.createSession(mySession);
        await stores.sessions.createSession(theirSession);

        // Writes in account 1 naming what only account 2 has change nothing.
        assert.equal(await stores.users.updateUser('1', theirs.userId, { enabled: false, changePwdNextLogin: true }), false);
        assert.equal(await stores.sessions.deleteUserSessions('1', theirs.userId), 0);
        assert.equal(await stores.accounts.deleteServiceBaseURI('1', 'agentVep'), false);

        // Writes in account 1 leave account 2's namesakes (same login name, API key, service) alone.
        assert.equal(await stores.users.updateUser('1', mine.userId, { enabled: false }), true);
        assert.equal(await stores.apiKeys.revokeApiKey('1', 'key-x', t + 1), true);
        await stores.accounts.setServiceBaseURI('1', 'agentVep', 'one.example.com');
        assert.equal(await stores.accounts.updateAccount('1', { name: 'Renamed' }), true);
        assert.equal(await stores.sessions.deleteAppKeySessions('1', 'key-x'), 1);
        assert.equal(await stores.sessions.deleteAccountSessions('1'), 0, 'already ended with its key');

        assert.deepEqual(await stores.users.getUserById('2', theirs.userId), theirs);
        assert.deepEqual(await stores.users.getUserByLoginName('2', 'agent'), theirs);
        assert.equal((await stores.apiKeys.getApiKey('2', 'key-x'))?.revokedAt, null);
        assert.deepEqual(await stores.accounts.listServiceBaseURIs('2'), [{ service: 'agentVep', baseURI: 'two.example.com' }]);
        assert.deepEqual(await stores.accounts.getAccount('2'), accountTwo);
        assert.deepEqual(await stores.sessions.findSessionById(theirSession.idHash), theirSession);
        assert.deepEqual(await stores.sessions.findSessionByBearer(theirSession.bearerHash), bearerSessionOf(theirSession));
        assert.equal(await stores.sessions.findSessionById(mySession.idHash), null);
        assert.equal((await stores.users.getUserById('1', mine.userId))?.enabled, false);
        assert.equal(await stores.users.getUserById('2', mine.userId), null, "account 1's user is not found in account 2");
      });
    });

    factorContract(contract);

    describe('CounterStore', () => {
      contract('reads many counters at once: the live ones, by key, as one by one', async (stores) => {
        const t = realNow();
        await stores.counters.incrementCounter('many:a', MINUTE, t);
        await stores.counters.incrementCounter('many:a', MINUTE, t + 1);
        await stores.counters.incrementCounter('many:b', 10, t);
        await stores.counters.incrementCounter('many:c', MINUTE, t);
        const found = await stores.counters.getCounters(['many:a', 'many:b', 'many:c', 'many:absent'], t + 20);
        assert.deepEqual([...found.keys()].sort(), ['many:a', 'many:c'], 'an ended window and an absent key are left out');
        assert.deepEqual(found.get('many:a'), await stores.counters.getCounter('many:a', t + 20));
        assert.equal(found.get('many:a')?.count, 2);
        assert.equal((await stores.counters.getCounters([], t)).size, 0);
      });

      contract('counts in fixed windows: a new window starts when the last one has ended', async (stores) => {
        const t = realNow();
        const key = 'login:123:user:Agent.Smith';
        assert.equal(await stores.counters.getCounter(key, t), null);
        assert.deepEqual(await stores.counters.incrementCounter(key, MINUTE, t), { count: 1, resetAt: t + MINUTE, updatedAt: t });
        assert.deepEqual(await stores.counters.incrementCounter(key, MINUTE, t + 1000), { count: 2, resetAt: t + MINUTE, updatedAt: t + 1000 });
        assert.deepEqual(await stores.counters.incrementCounter(key, 5 * MINUTE, t + 2000), { count: 3, resetAt: t + MINUTE, updatedAt: t + 2000 }, 'the window is kept');
        assert.deepEqual(await stores.counters.getCounter(key, t + MINUTE - 1), { count: 3, resetAt: t + MINUTE, updatedAt: t + 2000 });
        assert.equal(await stores.counters.getCounter(key, t + MINUTE), null, 'the window has ended');
        assert.deepEqual(await stores.counters.incrementCounter(key, MINUTE, t + MINUTE), { count: 1, resetAt: t + 2 * MINUTE, updatedAt: t + MINUTE });

        const ip = 'addr:2001:db8::1';
        assert.deepEqual(await stores.counters.incrementCounter(ip, HOUR, t), { count: 1, resetAt: t + HOUR, updatedAt: t });
        assert.equal((await stores.counters.getCounter(key, t + MINUTE))?.count, 1, 'counters are independent');
      });

      contract('loses no increment under concurrency: 50 at once count 50', async (stores) => {
        const t = realNow();
        const results = await Promise.all(Array.from({ length: 50 }, () => stores.counters.incrementCounter('burst', MINUTE, t)));
        assert.deepEqual(
          results.map((r) => r.count).sort((a, b) => a - b),
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
        assert.ok(results.every((r) => r.resetAt === t + MINUTE));
        assert.deepEqual(await stores.counters.getCounter('burst', t), { count: 50, resetAt: t + MINUTE, updatedAt: t });
      });

      contract('increments unless blocked: a rate limit refuses until its window ends', async (stores) => {
        const t = realNow();
        const limit = { limit: 3, baseMs: MINUTE, maxMs: MINUTE };
        for (let i = 0; i < 3; i++) {
          assert.deepEqual(await stores.counters.incrementCounterUnlessBlocked('rate', MINUTE, t + i, limit), { count: i + 1, resetAt: t + MINUTE, updatedAt: t + i });
        }
        assert.equal(await stores.counters.incrementCounterUnlessBlocked('rate', MINUTE, t + 10, limit), null, 'blocked');
        assert.equal(await stores.counters.incrementCounterUnlessBlocked('rate', MINUTE, t + MINUTE - 1, limit), null, 'blocked to the end of the window');
        assert.deepEqual(await stores.counters.getCounter('rate', t + 10), { count: 3, resetAt: t + MINUTE, updatedAt: t + 2 }, 'a refusal changes nothing');
        assert.deepEqual(await stores.counters.incrementCounterUnlessBlocked('rate', MINUTE, t + MINUTE, limit), { count: 1, resetAt: t + 2 * MINUTE, updatedAt: t + MINUTE });
      });

      contract('increments unless blocked: a lockout blocks base × 2^(count − limit) after the last increment, up to max', async (stores) => {
        const t = realNow();
        const lock = { limit: 2, baseMs: 1000, maxMs: 5000 };
        const take = (at: number) => stores.counters.incrementCounterUnlessBlocked('lock', HOUR, at, lock);
        assert.equal((await take(t))?.count, 1);
        assert.equal((await take(t))?.count, 2);
        assert.equal(await take(t + 999), null, 'count 2: blocked for 1 s');
        assert.equal((await take(t + 1000))?.count, 3);
        assert.equal(await take(t + 2999), null, 'count 3: blocked for 2 s');
        assert.equal((await take(t + 3000))?.count, 4);
        assert.equal(await take(t + 6999), null, 'count 4: blocked for 4 s');
        assert.equal((await take(t + 7000))?.count, 5);
        assert.equal(await take(t + 11_999), null, 'count 5: 8 s, capped at 5 s');
        assert.equal((await take(t + 12_000))?.count, 6);
        assert.deepEqual(await stores.counters.getCounter('lock', t + 12_000), { count: 6, resetAt: t + HOUR, updatedAt: t + 12_000 });
      });

      contract('increments unless blocked, atomically: of 50 at once with a limit of 5, exactly 5 count', async (stores) => {
        const t = realNow();
        const block = { limit: 5, baseMs: MINUTE, maxMs: MINUTE };
        const results = await Promise.all(Array.from({ length: 50 }, () => stores.counters.incrementCounterUnlessBlocked('crowd', MINUTE, t, block)));
        assert.deepEqual(
          results.filter((r) => r !== null).map((r) => r!.count).sort((a, b) => a - b),
          [1, 2, 3, 4, 5],
        );
        assert.equal((await stores.counters.getCounter('crowd', t))?.count, 5);
      });

      contract('releases one increment of the same window only, never below zero', async (stores) => {
        const t = realNow();
        const first = await stores.counters.incrementCounter('given-back', MINUTE, t);
        await stores.counters.incrementCounter('given-back', MINUTE, t + 1000);
        await stores.counters.releaseCounter('given-back', first.resetAt);
        assert.deepEqual(await stores.counters.getCounter('given-back', t + 2000), { count: 1, resetAt: t + MINUTE, updatedAt: t + 1000 }, 'updatedAt is kept');
        await stores.counters.releaseCounter('given-back', first.resetAt);
        await stores.counters.releaseCounter('given-back', first.resetAt);
        assert.equal((await stores.counters.getCounter('given-back', t + 2000))?.count, 0);
        await stores.counters.releaseCounter('never-existed', first.resetAt);
        assert.equal(await stores.counters.getCounter('never-existed', t), null);

        await stores.counters.incrementCounter('given-back', MINUTE, t + MINUTE);
        await stores.counters.releaseCounter('given-back', first.resetAt);
        assert.equal((await stores.counters.getCounter('given-back', t + MINUTE))?.count, 1, 'an increment of an ended window is not taken from the next');
      });

      contract('deletes one counter, and sweeps those whose window has ended', async (stores) => {
        const t = realNow();
        await stores.counters.incrementCounter('short', 1000, t);
        await stores.counters.incrementCounter('long', MINUTE, t);
        await stores.counters.incrementCounter('gone', MINUTE, t);
        await stores.counters.deleteCounter('gone');
        await stores.counters.deleteCounter('never-existed');
        assert.equal(await stores.counters.getCounter('gone', t), null);

        assert.equal(await stores.counters.deleteExpiredCounters(t + 999), 0);
        assert.equal(await stores.counters.deleteExpiredCounters(t + 1000), 1);
        assert.equal(await stores.counters.deleteExpiredCounters(t + 1000), 0);
        assert.equal(await stores.counters.getCounter('short', t), null, 'swept, even when asked about an earlier time');
        assert.deepEqual(await stores.counters.getCounter('long', t + 1000), { count: 1, resetAt: t + MINUTE, updatedAt: t });
        assert.equal((await stores.counters.incrementCounter('gone', MINUTE, t + 5)).count, 1, 'a deleted counter starts again');
      });
    });

    describe('EventStore', () => {
      contract('lists an account\'s events newest first, filtered by login name and time, limited', async (stores) => {
        const t = realNow();
        const events = [
          event('1', t, 'login_success', 'Agent.Smith', { method: 'password' }),
          event('1', t + 1000, 'login_failure', 'agent.smith', { reason: 'wrong_password', nested: { n: 1, list: [1, 'a'] } }),
          event('1', t + 2000, 'logout', 'Other'),
          event('1', t + 2000, 'refresh_failure', null, { action: 'refresh', reason: 'no_cookie' }),
          event('1', t + 3000, 'login_success', 'AGENT.SMITH'),
          event('2', t + 4000, 'login_success', 'Agent.Smith'),
        ];
        for (const e of events) await stores.events.appendEvent(e);

        const all = await stores.events.listEvents('1');
        assert.deepEqual(all.map(withoutId), [events[4], events[3], events[2], events[1], events[0]], 'newest first; the same time, last written first');
        assert.ok(all.every((e) => typeof e.id === 'number'));
        assert.equal(new Set(all.map((e) => e.id)).size, all.length);

        assert.deepEqual((await stores.events.listEvents('1', { loginName: 'agent.SMITH' })).map(withoutId), [events[4], events[1], events[0]]);
        assert.deepEqual((await stores.events.listEvents('1', { since: t + 2000 })).map(withoutId), [events[4], events[3], events[2]], 'since is inclusive');
        assert.deepEqual((await stores.events.listEvents('1', { loginName: 'Agent.Smith', since: t + 500 })).map(withoutId), [events[4], events[1]]);
        assert.deepEqual((await stores.events.listEvents('1', { limit: 2 })).map(withoutId), [events[4], events[3]]);
        assert.deepEqual((await stores.events.listEvents('2')).map(withoutId), [events[5]]);
        assert.deepEqual(await stores.events.listEvents('3'), []);

        assert.deepEqual((await stores.events.listEvents('1', { type: 'login_success' })).map(withoutId), [events[4], events[0]]);
        // Pages follow one another exactly, even across events of the same millisecond.
        const pages: AuditEvent[][] = [];
        let after: { time: number; id: number } | undefined;
        for (;;) {
          const page = await stores.events.listEvents('1', { limit: 2, ...(after && { after }) });
          if (page.length === 0) break;
          pages.push(page);
          const last = page[page.length - 1]!;
          after = { time: last.time, id: last.id! };
        }
        assert.deepEqual(pages.map((p) => p.map(withoutId)), [[events[4], events[3]], [events[2], events[1]], [events[0]]]);
      });

      contract('removes events older than the retention point', async (stores) => {
        const t = realNow();
        for (const [i, account] of ['1', '1', '2', '1'].entries()) await stores.events.appendEvent(event(account, t + i * 1000, 'login_success', 'a'));
        assert.equal(await stores.events.deleteEventsBefore(t), 0);
        assert.equal(await stores.events.deleteEventsBefore(t + 2000), 2, 'strictly older, every account');
        assert.deepEqual(
          (await stores.events.listEvents('1')).map((e) => e.time),
          [t + 3000],
        );
        assert.deepEqual(
          (await stores.events.listEvents('2')).map((e) => e.time),
          [t + 2000],
        );
      });
    });
  });
}
