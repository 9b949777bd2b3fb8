/**
 * Control characters at the edge: a NUL (or another C0 control) in a path
 * parameter, a query string or any string of a body gets 400 in the error
 * shape, on every route, before anything is looked up or written; never a
 * 500, never a stack trace in the log. On SQLite and on PostgreSQL, where a
 * NUL reaching a query used to fail with a 500.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type Services } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { assertFailed, assertSucceeded, runInProcess } from '../cli/cliRunner.js';
import { postJson, seedAccount, type SeededAccount } from '../helpers/server.js';
import { createTestDatabase, type TestDatabase } from '../store/postgresDatabase.js';
import type { FastifyInstance } from 'fastify';

interface Case {
  name: string;
  method: string;
  /** Relative to /api/account/123456 unless it starts with a slash. */
  path: string;
  body?: unknown;
  contentType?: string;
  admin?: boolean;
}

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a long enough passphrase';

const CASES: Case[] = [
  // Unauthenticated: the login and the Domain API.
  { name: 'NUL in the account id of /login', method: 'POST', path: '/api/account/1234%0056/login?v=1.3', body: { username: 'Agent.Smith', password: PASSWORD } },
  { name: 'NUL alone as the account id of /login', method: 'POST', path: '/api/account/%00/login?v=1.3', body: { username: 'Agent.Smith', password: PASSWORD } },
  { name: 'NUL in the query of /login', method: 'POST', path: 'login?v=1.3%00', body: { username: 'Agent.Smith', password: PASSWORD } },
  { name: 'NUL in an extra query parameter', method: 'POST', path: 'login?v=1.3&x%00=1', body: { username: 'Agent.Smith', password: PASSWORD } },
  { name: 'NUL in the username', method: 'POST', path: 'login?v=1.3', body: { username: 'Agent.Smith\u0000', password: PASSWORD } },
  { name: 'NUL in the password', method: 'POST', path: 'login?v=1.3', body: { username: 'Agent.Smith', password: `${PASSWORD}\u0000` } },
  { name: 'ESC in the username', method: 'POST', path: 'login?v=1.3', body: { username: 'Agent\u001b.Smith', password: PASSWORD } },
  { name: 'NUL in a body key', method: 'POST', path: 'login?v=1.3', body: { username: 'Agent.Smith', password: PASSWORD, ['x\u0000']: 1 } },
  { name: 'NUL in a form body', method: 'POST', path: 'login?v=1.3', body: `username=Agent.Smith%00&password=${encodeURIComponent(PASSWORD)}`, contentType: 'application/x-www-form-urlencoded' },
  { name: 'NUL in a JSON body sent as text/plain', method: 'POST', path: 'login?v=1.3', body: JSON.stringify({ username: 'Agent.Smith\u0000', password: PASSWORD }), contentType: 'text/plain' },
  { name: 'NUL in the account id of the Domain API', method: 'GET', path: '/api/account/12%003456/service/baseURI.json?v=1.0' },
  { name: 'NUL in the account id of the older Domain API path', method: 'GET', path: '/csdr/account/%00/service/agentVep/baseURI.json?v=1.0' },
  { name: 'NUL in the service name of the Domain API', method: 'GET', path: '/api/account/123456/service/agent%00Vep/baseURI.json?v=1.0' },
  { name: 'line feed in the account id of the bearer check', method: 'GET', path: '/api/account/1234%0A56/session' },
  // The administration API: path, query and (nested) body fields.
  { name: 'NUL in a new user\'s login name', method: 'POST', path: 'configuration/le-users/users', body: { loginName: 'new\u0000user', password: NEW_PASSWORD }, admin: true },
  { name: 'NUL in a new user\'s full name', method: 'POST', path: 'configuration/le-users/users', body: { loginName: 'new.user', password: NEW_PASSWORD, fullName: 'New\u0000User' }, admin: true },
  { name: 'BEL in a description', method: 'POST', path: 'configuration/le-users/users', body: { loginName: 'new.user', password: NEW_PASSWORD, description: 'ring \u0007' }, admin: true },
  { name: 'NUL in the second user of a list', method: 'POST', path: 'configuration/le-users/users', body: [{ loginName: 'one', password: NEW_PASSWORD }, { loginName: 'two', password: NEW_PASSWORD, email: 'two@example.com\u0000' }], admin: true },
  { name: 'NUL in a user id', method: 'GET', path: 'configuration/le-users/users/%00', admin: true },
  { name: 'NUL in a query flag', method: 'GET', path: 'configuration/le-users/users?include_deleted=%00', admin: true },
  { name: 'NUL in a group name', method: 'POST', path: 'configuration/le-users/agentGroups', body: { name: 'Sales\u0000' }, admin: true },
  { name: 'NUL in the account name', method: 'PUT', path: 'configuration/settings', body: { name: 'Acme\u0000', timeZone: 'UTC' }, admin: true },
  { name: 'NUL in a service name of base-uris', method: 'PUT', path: 'configuration/base-uris/agent%00Vep', body: { baseURI: 'va.example.com' }, admin: true },
  { name: 'NUL in a base URI', method: 'PUT', path: 'configuration/base-uris/agentVep', body: { baseURI: 'va.example.com\u0000' }, admin: true },
  { name: 'NUL in an API key name', method: 'POST', path: 'configuration/app-keys', body: { name: 'key\u0000' }, admin: true },
  { name: 'NUL in a password change', method: 'POST', path: 'password?v=1.3', body: { username: 'Agent.Smith', oldPassword: PASSWORD, newPassword: `${NEW_PASSWORD}\u0000` } },
];

/** A pino destination that keeps every line. */
class CapturedLog {
  lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
}

function refusesControlCharacters(backend: string, databaseUrl: () => string) {
  describe(`control characters are refused at the edge (${backend})`, () => {
    const log = new CapturedLog();
    let app: FastifyInstance;
    let stores: Stores;
    let baseUrl: string;
    let seeded: SeededAccount;
    let bearer: string;
    let services: Services;

    before(async () => {
      const config = loadConfig({ DATABASE_URL: databaseUrl(), LOG_LEVEL: 'info', SWEEP_INTERVAL_MS: '0', SERVER_TIME_ZONE: 'UTC' });
      const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
      stores = await openStores({ databaseUrl: config.databaseUrl });
      const built = await buildApp({ config, stores, clock, logger: createLogger('info', log) });
      app = built.app;
      services = built.services;
      await app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      seeded = await seedAccount({ stores, services: built.services });
      const login = await postJson(`${baseUrl}/api/account/${seeded.accountId}/login?v=1.3`, { username: 'Agent.Smith', password: PASSWORD });
      assert.equal(login.status, 200);
      bearer = login.json.bearer;
    });
    after(async () => {
      await app?.close();
      await stores?.close();
    });

    /** Everything a refused request could have changed. */
    const snapshot = async () =>
      JSON.stringify({
        users: await stores.users.listUsers(seeded.accountId),
        account: await stores.accounts.getAccount(seeded.accountId),
        keys: await stores.apiKeys.listApiKeys(seeded.accountId),
        events: await stores.events.listEvents(seeded.accountId),
        unknownAccountEvents: await stores.events.listEvents('unknown'),
        sessions: await stores.sessions.countLiveSessions(Date.UTC(2026, 5, 1, 12)),
      });

    const send = async (c: Case) => {
      const url = c.path.startsWith('/') ? `${baseUrl}${c.path}` : `${baseUrl}/api/account/${seeded.accountId}/${c.path}`;
      const headers: Record<string, string> = { accept: 'application/json' };
      if (c.admin) headers.authorization = `Bearer ${bearer}`;
      if (c.body !== undefined) headers['content-type'] = c.contentType ?? 'application/json';
      const res = await fetch(url, { method: c.method, headers, body: c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body) });
      const text = await res.text();
      return { status: res.status, json: JSON.parse(text) };
    };

    test('every request with a control character gets 400 in the error shape, and changes nothing', async () => {
      const before = await snapshot();
      for (const c of CASES) {
        const res = await send(c);
        assert.equal(res.status, 400, `${c.name}: ${JSON.stringify(res.json)}`);
        assert.equal(res.json.error.responseStatus, 'BAD_REQUEST', c.name);
        assert.equal(res.json.error.internalCode, 1, c.name);
        assert.match(res.json.error.message, /contains a control character/, c.name);
        assert.doesNotMatch(res.json.error.message, /[\u0000-\u001f]/, `${c.name}: the value is not echoed`);
      }
      assert.equal(await snapshot(), before, 'nothing written');
    });

    test('an event whose text holds a NUL is stored, not dropped (on PostgreSQL the NUL becomes U+FFFD)', async () => {
      const stored = backend === 'PostgreSQL' ? '\ufffd' : '\u0000';
      await services.audit.record({
        accountId: seeded.accountId,
        type: 'admin_change',
        loginName: 'nul\u0000name',
        userAgent: 'agent\u0000/1.0',
        detail: { note: 'a\u0000b', ['key\u0000']: ['x\u0000'] },
      });
      const [event] = await stores.events.listEvents(seeded.accountId, { limit: 1 });
      assert.equal(event?.loginName, `nul${stored}name`);
      assert.equal(event?.userAgent, `agent${stored}/1.0`);
      assert.deepEqual(event?.detail, { note: `a${stored}b`, [`key${stored}`]: [`x${stored}`] });
    });

    test('nothing was logged at error level, and no stack trace', () => {
      const entries = log.lines.map((l) => JSON.parse(l) as { level: number; msg?: string; err?: { stack?: string } });
      const errors = entries.filter((e) => e.level >= 50);
      assert.deepEqual(errors, []);
      assert.ok(!log.lines.some((l) => l.includes('"stack"')), 'no stack trace');
    });

    test('tab, line feed and carriage return are free text in a body, and a user with them is created', async () => {
      const description = 'line one\r\nline two\tindented';
      const res = await send({ name: 'free text', method: 'POST', path: 'configuration/le-users/users', body: { loginName: 'multi.line', password: NEW_PASSWORD, description }, admin: true });
      assert.equal(res.status, 201, JSON.stringify(res.json));
      assert.equal((await stores.users.getUserByLoginName(seeded.accountId, 'multi.line'))?.description, description);
    });

    test('the same characters in an identifier are still refused by its own check', async () => {
      const res = await send({ name: 'tab in a login name', method: 'POST', path: 'configuration/le-users/users', body: { loginName: 'tab\tname', password: NEW_PASSWORD }, admin: true });
      assert.equal(res.status, 400);
      assert.equal(await stores.users.getUserByLoginName(seeded.accountId, 'tab\tname'), null);
    });
  });
}

refusesControlCharacters('SQLite', () => 'sqlite::memory:');

const serverUrl = process.env.TEST_DATABASE_URL;
if (serverUrl) {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase(serverUrl);
  });
  after(async () => db?.drop());
  refusesControlCharacters('PostgreSQL', () => db.url);
}

describe('the CLI refuses control characters too', () => {
  let dir: string;
  let db: string;
  const cli = (args: string[], stdin?: string) => runInProcess([...args, '--db', db], stdin);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'login-service-controls-'));
    db = `sqlite:${join(dir, 'store.db')}`;
    assertSucceeded(await cli(['account', 'create', '717171', '--name', 'Controls', '--time-zone', 'UTC']));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('in an argument, a flag or the password line: exit code 2, nothing created', async () => {
    assertFailed(await cli(['user', 'create', '717171', 'new\u001buser', '--password', NEW_PASSWORD]), 2, /loginName contains a control character/);
    assertFailed(await cli(['account', 'create', '727272', '--name', 'Bell\u0007', '--time-zone', 'UTC']), 2, /--name contains a control character/);
    assertFailed(await cli(['user', 'create', '717171', 'piped', '--password-stdin'], `${NEW_PASSWORD}\u0000\n`), 2, /standard input contains a control character/);
    const users = await cli(['user', 'list', '717171', '--json']);
    assertSucceeded(users);
    assert.deepEqual(users.json, []);
    const accounts = await cli(['account', 'list', '--json']);
    assert.deepEqual(accounts.json.map((a: { accountId: string }) => a.accountId), ['717171']);
  });

  test('a tab in a password read from standard input is free text, as in a request body', async () => {
    assertSucceeded(await cli(['user', 'create', '717171', 'tabbed', '--password-stdin'], `${NEW_PASSWORD}\twith a tab\n`));
  });
});
