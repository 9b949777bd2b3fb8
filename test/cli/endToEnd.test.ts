/**
 * The real `login-service` command in child processes, against a SQLite file
 * that a real HTTP server serves at the same time: what the commands create
 * logs in over the API, and what they revoke stops working there.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/clock.js';
import { hashToken } from '../../src/security/tokens.js';
import { postJson, startTestServer, type TestServer } from '../helpers/server.js';
import { assertSucceeded, assertFailed, runCommand } from './cliRunner.js';

const ACCOUNT = '123456';

describe('login-service commands against a running server', () => {
  let dir: string;
  let db: string;
  let server: TestServer;

  /** The command with --db on the shared file. */
  const cli = (args: string[], stdin?: string) => runCommand([...args, '--db', db], { stdin });

  const login = (body: Record<string, string>) => postJson(`${server.baseUrl}/api/account/${ACCOUNT}/login?v=1.3`, body);

  async function bearerStatus(bearer: string): Promise<number> {
    const res = await fetch(`${server.baseUrl}/api/account/${ACCOUNT}/session`, { headers: { authorization: `Bearer ${bearer}` } });
    await res.arrayBuffer();
    return res.status;
  }



  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'login-service-cli-'));
    db = `sqlite:${join(dir, 'store.db')}`;
    const created = await cli(['account', 'create', ACCOUNT, '--name', 'Acme Support', '--time-zone', 'Europe/Athens', '--json']);
    assertSucceeded(created);
    assert.deepEqual({ accountId: created.json.accountId, name: created.json.name, timeZone: created.json.timeZone }, { accountId: ACCOUNT, name: 'Acme Support', timeZone: 'Europe/Athens' });
    // The server's clock starts at the real time: the commands judge session expiry by the real time too.
    server = await startTestServer({ env: { DATABASE_URL: db, LOGIN_FAILURES_PER_MINUTE: '0' }, clock: new ManualClock(Date.now()) });
  });

  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('account create refuses a duplicate and an unknown time zone; list and set show and change the account', async () => {
    const [duplicate, badZone, usage] = await Promise.all([
      cli(['account', 'create', ACCOUNT]),
      cli(['account', 'create', '777', '--time-zone', 'Mars/Olympus_Mons']),
      cli(['account', 'create']),
    ]);
    assertFailed(duplicate, 1, /account 123456 already exists/);
    assertFailed(badZone, 1, /time zone "Mars\/Olympus_Mons"/);
    assertFailed(usage, 2, /usage: login-service account create <accountId>/);

    const set = await cli(['account', 'set', ACCOUNT, '--session-ttl', '600000', '--max-sessions-per-user', '5', '--json']);
    assertSucceeded(set);
    assert.equal(set.json.settings.sessionTtlMs, 600000);
    assert.equal(set.json.settings.maxSessionsPerUser, 5);

    const list = await cli(['account', 'list']);
    assertSucceeded(list);
    assert.match(list.stdout, /^ACCOUNT\s+NAME\s+TIME ZONE\s+USERS\s+CREATED\n123456\s+Acme Support\s+Europe\/Athens\s+\d+\s+\d{4}-/);
    const listJson = await cli(['account', 'list', '--json']);
    assert.deepEqual(listJson.json.map((a: { accountId: string }) => a.accountId), [ACCOUNT]);
  });

  test('a user created by the command logs in over HTTP; session list shows the session; set-password ends it', async () => {
    server.clock.set(Date.now());
    const created = await cli(['user', 'create', ACCOUNT, 'Agent.Smith', '--password-stdin', '--admin', '--privileges', '100,101', '--json'], 'correct horse battery staple\nignored second line\n');
    assertSucceeded(created);
    assert.match(created.json.userId, /^\d+$/);
    assert.equal(created.json.loginName, 'Agent.Smith');
    assert.equal(JSON.stringify(created.json).includes('correct horse'), false);

    const first = await login({ username: 'agent.smith', password: 'correct horse battery staple' });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.config.userId, created.json.userId);
    assert.equal(first.json.config.isAdmin, true);
    assert.deepEqual(first.json.config.userPrivileges, [100, 101]);
    assert.equal(first.json.config.accountTimeZoneId, 'Europe/Athens');
    assert.equal(first.json.sessionTTl, '600000', 'account set --session-ttl reaches the login response');
    assert.equal(await bearerStatus(first.json.bearer), 200);

    const sessions = await cli(['session', 'list', ACCOUNT, '--user', 'Agent.Smith', '--json']);
    assertSucceeded(sessions);
    assert.equal(sessions.json.length, 1);
    const [session] = sessions.json;
    assert.equal(session.loginName, 'Agent.Smith');
    assert.equal(session.userId, created.json.userId);
    assert.equal(session.clientIp, '127.0.0.1');
    assert.equal(Date.parse(session.createdAt), server.clock.now());
    assert.equal(Date.parse(session.expiresAt), server.clock.now() + 600000);
    for (const token of [first.json.bearer, first.json.csrf, first.json.sessionId]) {
      assert.equal(sessions.stdout.includes(token), false, 'no token');
      assert.equal(sessions.stdout.includes(hashToken(token)), false, 'no token digest');
    }
    const table = await cli(['session', 'list', ACCOUNT]);
    assert.match(table.stdout, /^ID\s+LOGIN NAME\s+USER ID\s+CREATED\s+EXPIRES\s+ENDS AT LATEST\s+CLIENT IP\s+APP KEY\n[0-9a-f]{32}\s+Agent\.Smith\s+\d+\s+\S+\s+\S+\s+\d{4}-\S+\s+127\.0\.0\.1/);

    const changed = await cli(['user', 'set-password', ACCOUNT, 'Agent.Smith', '--password-stdin', '--json'], 'a brand new passphrase\n');
    assertSucceeded(changed);
    assert.equal(changed.json.sessionsEnded, 1);
    assert.equal(await bearerStatus(first.json.bearer), 401, 'set-password ends the sessions');
    assert.equal((await login({ username: 'Agent.Smith', password: 'correct horse battery staple' })).status, 401);
    assert.equal((await login({ username: 'Agent.Smith', password: 'a brand new passphrase' })).status, 200);
  });

  test('apikey create values log a bot in; apikey list shows no secret; apikey revoke ends the bot sessions', async () => {
    const key = await cli(['apikey', 'create', ACCOUNT, '--name', 'ci bots', '--json']);
    assertSucceeded(key);
    const { appKey, secret, accessToken, accessTokenSecret } = key.json;
    for (const value of [appKey, secret, accessToken, accessTokenSecret]) assert.match(value, /^[0-9a-f]{32,64}$/);

    const [usage, bot] = await Promise.all([
      cli(['user', 'create', ACCOUNT, 'bot-1', '--bot']),
      cli(['user', 'create', ACCOUNT, 'bot-1', '--bot', '--app-key', appKey, '--privileges', '1800', '--json']),
    ]);
    assertFailed(usage, 2, /a bot needs --app-key/);
    assertSucceeded(bot);
    assert.equal(bot.json.isBot, true);
    assert.equal(bot.json.appKey, appKey);

    const botLogin = await login({ username: 'bot-1', appKey, secret, accessToken, accessTokenSecret });
    assert.equal(botLogin.status, 200, botLogin.text);
    assert.equal(botLogin.json.config.userId, bot.json.userId);
    assert.deepEqual(botLogin.json.config.userPrivileges, [1800]);
    assert.equal(await bearerStatus(botLogin.json.bearer), 200);

    const listed = await cli(['apikey', 'list', ACCOUNT, '--json']);
    assertSucceeded(listed);
    assert.deepEqual(
      listed.json.map((k: any) => ({ appKey: k.appKey, name: k.name, active: k.active, bots: k.bots })),
      [{ appKey, name: 'ci bots', active: true, bots: ['bot-1'] }],
    );
    for (const hidden of [secret, accessToken, accessTokenSecret, hashToken(secret), hashToken(accessTokenSecret)]) {
      assert.equal(listed.stdout.includes(hidden), false, 'apikey list must not show secrets or their digests');
    }

    const revoked = await cli(['apikey', 'revoke', ACCOUNT, appKey, '--json']);
    assertSucceeded(revoked);
    assert.equal(revoked.json.sessionsEnded, 1);
    assert.equal(await bearerStatus(botLogin.json.bearer), 401, 'revoking the key ends the bot sessions');
    assert.equal((await login({ username: 'bot-1', appKey, secret, accessToken, accessTokenSecret })).status, 401);

    const [again, newBot, afterList] = await Promise.all([
      cli(['apikey', 'revoke', ACCOUNT, appKey]),
      cli(['user', 'create', ACCOUNT, 'bot-2', '--bot', '--app-key', appKey]),
      cli(['apikey', 'list', ACCOUNT]),
    ]);
    assertFailed(again, 1, /not an active key/);
    assertFailed(newBot, 1, /not an active key/);
    assert.match(afterList.stdout, new RegExp(`^APP KEY\\s+TYPE\\s+NAME\\s+STATUS\\s+CREATED\\s+BOTS\\s+USABLE FROM\\n${appKey}\\s+oauth1\\s+ci bots\\s+revoked \\S+\\s+\\S+\\s+bot-1\\s+anywhere\\n$`));
  });

  test('user disable ends the sessions and refuses logins; user enable lets the user in again', async () => {
    assertSucceeded(await cli(['user', 'create', ACCOUNT, 'walter', '--password', 'walter password one']));
    const before = await login({ username: 'walter', password: 'walter password one' });
    assert.equal(before.status, 200);

    const disabled = await cli(['user', 'disable', ACCOUNT, 'walter', '--json']);
    assertSucceeded(disabled);
    assert.equal(disabled.json.enabled, false);
    assert.equal(disabled.json.sessionsEnded, 1);
    assert.equal(await bearerStatus(before.json.bearer), 401);
    assert.equal((await login({ username: 'walter', password: 'walter password one' })).status, 401);
    const users = await cli(['user', 'list', ACCOUNT, '--json']);
    assert.equal(users.json.find((u: any) => u.loginName === 'walter').enabled, false);
    assert.equal(users.stdout.includes('$argon2'), false, 'user list shows no password hash');

    assertSucceeded(await cli(['user', 'enable', ACCOUNT, 'walter']));
    assert.equal((await login({ username: 'walter', password: 'walter password one' })).status, 200);
  });

  test('session revoke ends one user\'s sessions with --user, everyone\'s with --all', async () => {
    assertSucceeded(await cli(['user', 'create', ACCOUNT, 'ursula', '--password', 'ursula password one']));
    const [walter, ursula] = await Promise.all([
      login({ username: 'walter', password: 'walter password one' }),
      login({ username: 'ursula', password: 'ursula password one' }),
    ]);
    assert.equal(walter.status, 200);
    assert.equal(ursula.status, 200);
    // Checked twice first, so that a server keeping checked bearers in memory would hold both when
    // the CLI revokes them.
    for (let i = 0; i < 2; i++) {
      assert.equal(await bearerStatus(walter.json.bearer), 200);
      assert.equal(await bearerStatus(ursula.json.bearer), 200);
    }

    const [neither, one] = await Promise.all([cli(['session', 'revoke', ACCOUNT]), cli(['session', 'revoke', ACCOUNT, '--user', 'walter', '--json'])]);
    assertFailed(neither, 2, /exactly one of --user LOGIN, --all and --id ID/);
    assertSucceeded(one);
    assert.ok(one.json.sessionsEnded >= 1);
    assert.equal(await bearerStatus(walter.json.bearer), 401);
    assert.equal(await bearerStatus(ursula.json.bearer), 200, 'other users keep their sessions');

    const all = await cli(['session', 'revoke', ACCOUNT, '--all']);
    assertSucceeded(all);
    assert.match(all.stdout, /^\d+ sessions? in account 123456 ended\n$/);
    assert.equal(await bearerStatus(ursula.json.bearer), 401);
    const none = await cli(['session', 'list', ACCOUNT, '--json']);
    assert.deepEqual(none.json, []);
  });

  test('user unlock lifts a lockout and records an unlock event', async () => {
    // The lock lasts a minute from the last failure by the server's clock; the command judges it by the real clock.
    server.clock.set(Date.now());
    for (let i = 0; i < 5; i++) assert.equal((await login({ username: 'ursula', password: `wrong guess ${i}` })).status, 401);
    assert.equal((await login({ username: 'ursula', password: 'ursula password one' })).status, 401, 'locked');
    const users = await cli(['user', 'list', ACCOUNT, '--json']);
    assert.equal(typeof users.json.find((u: any) => u.loginName === 'ursula').lockedUntil, 'string');

    const unlocked = await cli(['user', 'unlock', ACCOUNT, 'ursula', '--json']);
    assertSucceeded(unlocked);
    assert.equal(unlocked.json.wasLocked, true);
    assert.equal(unlocked.json.failuresCleared, 5);
    assert.equal((await login({ username: 'ursula', password: 'ursula password one' })).status, 200);

    // Refusals are stored once their minute ends, or when the server closes.
    await server.services.audit.flush();
    const events = await cli(['events', 'list', ACCOUNT, '--user', 'ursula', '--json']);
    assertSucceeded(events);
    assert.ok(events.json.every((e: any) => e.loginName.toLowerCase() === 'ursula'));
    const types = new Set(events.json.map((e: any) => e.type));
    for (const type of ['lockout', 'login_locked', 'unlock', 'login_success']) assert.ok(types.has(type), `${type} recorded`);
    const unlock = events.json.find((e: any) => e.type === 'unlock');
    assert.deepEqual(unlock.detail, { wasLocked: true, failuresCleared: 5, via: 'cli', by: 'cli' });
  });

  test('domain set changes what the Domain API and login report; domain list includes agentVep', async () => {
    const set = await cli(['domain', 'set', ACCOUNT, 'smt', 'smt.example.com:8443', '--json']);
    assertSucceeded(set);
    assert.deepEqual({ service: set.json.service, baseURI: set.json.baseURI }, { service: 'smt', baseURI: 'smt.example.com:8443' });

    const listed = await runCommand(['domain', 'list', ACCOUNT, '--db', db, '--public-host', 'login.example.com', '--json']);
    assertSucceeded(listed);
    assert.deepEqual(listed.json, [
      { account: ACCOUNT, service: 'agentVep', baseURI: 'login.example.com' },
      { account: ACCOUNT, service: 'sentinel', baseURI: 'login.example.com' },
      { account: ACCOUNT, service: 'smt', baseURI: 'smt.example.com:8443' },
    ]);
    const res = await login({ username: 'walter', password: 'walter password one' });
    assert.ok(res.json.csdsCollectionResponse.baseURIs.some((b: any) => b.service === 'smt' && b.baseURI === 'smt.example.com:8443'));
  });

  test('events list shows the admin changes without any password or secret, filtered by --since and --limit', async () => {
    const all = await cli(['events', 'list', ACCOUNT, '--limit', '1000', '--json']);
    assertSucceeded(all);
    const actions = all.json.filter((e: any) => e.type === 'admin_change').map((e: any) => e.detail.action);
    for (const action of ['account_create', 'account_set', 'user_create', 'password_set', 'user_disable', 'user_enable', 'apikey_create', 'apikey_revoke', 'domain_set']) {
      assert.ok(actions.includes(action), `admin_change ${action} recorded`);
    }
    assert.ok(all.json.some((e: any) => e.type === 'session_revoked' && e.detail.reason === 'admin'));
    for (const secret of ['correct horse battery staple', 'a brand new passphrase', 'walter password one', 'ursula password one']) {
      assert.equal(all.stdout.includes(secret), false);
    }
    const times = all.json.map((e: any) => Date.parse(e.time));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');

    const [limited, future] = await Promise.all([
      cli(['events', 'list', ACCOUNT, '--limit', '2', '--json']),
      cli(['events', 'list', ACCOUNT, '--since', '2999-01-01T00:00:00Z', '--json']),
    ]);
    assert.equal(limited.json.length, 2);
    assert.deepEqual(future.json, []);
  });

  test('--help prints the usage; a wrong command line exits 2', async () => {
    const [help, unknown] = await Promise.all([runCommand(['--help']), runCommand(['frobnicate', '--db', db])]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /login-service user create <accountId> <loginName> \(--password-stdin \| --password P\)/);
    assertFailed(unknown, 2, /unknown command "frobnicate"/);
  });
});
