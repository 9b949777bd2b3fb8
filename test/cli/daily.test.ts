/**
 * The commands for daily work, through `main` in this process, on a SQLite
 * file a real HTTP server serves at the same time: lock state and last login
 * in `user list`, `user unlock` of a user who was not locked, the last
 * administrator kept by `user disable`, one session ended by its id, and
 * `events list --type`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/clock.js';
import { postJson, startTestServer, type TestServer } from '../helpers/server.js';
import { assertFailed, assertSucceeded, runInProcess } from './cliRunner.js';

const ACCOUNT = '515151';

describe('login-service commands for daily work', () => {
  let dir: string;
  let db: string;
  let server: TestServer;
  const cli = (args: string[]) => runInProcess([...args, '--db', db]);
  const login = (username: string, password: string) => postJson(`${server.baseUrl}/api/account/${ACCOUNT}/login`, { username, password });
  const bearerWorks = async (token: string) => (await fetch(`${server.baseUrl}/api/account/${ACCOUNT}/session`, { headers: { authorization: `Bearer ${token}` } })).status === 200;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'login-service-cli-daily-'));
    db = `sqlite:${join(dir, 'store.db')}`;
    assertSucceeded(await cli(['account', 'create', ACCOUNT, '--name', 'Daily']));
    assertSucceeded(await cli(['user', 'create', ACCOUNT, 'boss', '--password', 'boss password one', '--admin']));
    assertSucceeded(await cli(['user', 'create', ACCOUNT, 'ursula', '--password', 'ursula password one']));
    // The commands judge locks and expiry by the real time: the server's clock starts there too.
    server = await startTestServer({ env: { DATABASE_URL: db, LOGIN_FAILURES_PER_MINUTE: '0' }, clock: new ManualClock(Date.now()) });
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('user list shows the last login and the lock; user unlock says when nobody was locked', async () => {
    const notLocked = await cli(['user', 'unlock', ACCOUNT, 'ursula']);
    assertSucceeded(notLocked);
    assert.match(notLocked.stdout, /^ursula was not locked \(0 failed logins forgotten\)\n$/);

    assert.equal((await login('ursula', 'ursula password one')).status, 200);
    const loggedIn = server.clock.now();
    for (let i = 0; i < 5; i++) assert.equal((await login('ursula', `wrong guess ${i}`)).status, 401);

    const json = await cli(['user', 'list', ACCOUNT, '--json']);
    assertSucceeded(json);
    const ursula = json.json.find((u: any) => u.loginName === 'ursula');
    assert.equal(ursula.lastLoginAt, new Date(loggedIn).toISOString());
    assert.ok(Date.parse(ursula.lockedUntil) > Date.now(), 'locked until a time to come');
    const boss = json.json.find((u: any) => u.loginName === 'boss');
    assert.deepEqual({ lockedUntil: boss.lockedUntil, lastLoginAt: boss.lastLoginAt }, { lockedUntil: null, lastLoginAt: null });

    const text = await cli(['user', 'list', ACCOUNT]);
    assertSucceeded(text);
    const [header, ...rows] = text.stdout.trimEnd().split('\n');
    assert.match(header!, /STATUS\s+LOCKED UNTIL\s+LAST LOGIN/);
    const row = rows.find((r) => r.startsWith('ursula '))!;
    assert.match(row, /\blocked\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    assert.match(rows.find((r) => r.startsWith('boss '))!, /\benabled\s+-\s+-\s/);

    const unlocked = await cli(['user', 'unlock', ACCOUNT, 'ursula']);
    assert.match(unlocked.stdout, /^unlocked ursula \(5 failed logins forgotten\)\n$/);
    assert.equal((await cli(['user', 'list', ACCOUNT, '--json'])).json.find((u: any) => u.loginName === 'ursula').lockedUntil, null);
  });

  test('user disable of the only administrator: exit 1 with the reason, nothing changes', async () => {
    const refused = await cli(['user', 'disable', ACCOUNT, 'boss']);
    assertFailed(refused, 1, /the account's last enabled administrator cannot be disabled, deleted or demoted/);
    assert.equal((await login('boss', 'boss password one')).status, 200, 'still enabled');

    assertSucceeded(await cli(['user', 'create', ACCOUNT, 'deputy', '--password', 'deputy password one', '--admin']));
    assertSucceeded(await cli(['user', 'disable', ACCOUNT, 'deputy']));
    assertFailed(await cli(['user', 'disable', ACCOUNT, 'boss']), 1, /last enabled administrator/);
  });

  test('session list shows each session\'s id; session revoke --id ends that one; events list --type', async () => {
    const first = await login('ursula', 'ursula password one');
    server.clock.advance(1000);
    const second = await login('ursula', 'ursula password one');
    const listed = await cli(['session', 'list', ACCOUNT, '--user', 'ursula', '--json']);
    assertSucceeded(listed);
    const ids = listed.json.map((s: any) => s.id as string);
    assert.ok(ids.length >= 2 && ids.every((id: string) => /^[0-9a-f]{32}$/.test(id)));
    const text = await cli(['session', 'list', ACCOUNT, '--user', 'ursula']);
    assert.match(text.stdout, /^ID\s+LOGIN NAME/);
    for (const id of ids) assert.ok(text.stdout.includes(id));

    // The newest session is the second login's.
    const revoked = await cli(['session', 'revoke', ACCOUNT, '--id', ids[ids.length - 1], '--json']);
    assertSucceeded(revoked);
    assert.deepEqual({ loginName: revoked.json.loginName, sessionsEnded: revoked.json.sessionsEnded }, { loginName: 'ursula', sessionsEnded: 1 });
    assert.equal(await bearerWorks(second.json.bearer), false);
    assert.equal(await bearerWorks(first.json.bearer), true);
    assertFailed(await cli(['session', 'revoke', ACCOUNT, '--id', ids[ids.length - 1]]), 1, /no live session/);
    assertFailed(await cli(['session', 'revoke', ACCOUNT, '--id', ids[0], '--all']), 2, /exactly one of --user LOGIN, --all and --id ID/);

    const events = await cli(['events', 'list', ACCOUNT, '--type', 'session_revoked', '--json']);
    assertSucceeded(events);
    assert.equal(events.json.length, 1);
    assert.deepEqual({ type: events.json[0].type, scope: events.json[0].detail.scope, by: events.json[0].detail.by }, { type: 'session_revoked', scope: 'session', by: 'cli' });
  });
});
