/**
 * Look-alike login names end to end: the `user` commands refuse a name that is
 * an existing one after normalisation, logins over HTTP find the user by the
 * normalised name, and `user conflicts` lists users left without a name.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStores } from '../../src/store/index.js';
import { openSqlite } from '../../src/store/sqlite/database.js';
import { unreachableKey } from '../../src/users/loginName.js';
import { assertFailed, assertSucceeded, runInProcess } from '../cli/cliRunner.js';
import { postJson, seedAccount, sessionCookie, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';

const ACCOUNT = '515151';
const PASSWORD = 'a long enough password';

describe('look-alike login names through the commands', () => {
  let dir: string;
  let db: string;
  const cli = (args: string[]) => runInProcess([...args, '--db', db]);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'login-service-names-'));
    db = `sqlite:${join(dir, 'store.db')}`;
    assertSucceeded(await cli(['account', 'create', ACCOUNT, '--name', 'Names', '--time-zone', 'UTC']));
    for (const name of ['admin', 'caf\u00e9', 'kate']) assertSucceeded(await cli(['user', 'create', ACCOUNT, name, '--password', PASSWORD]));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a name that is an existing one after normalisation is a duplicate, naming the existing spelling', async () => {
    assertFailed(await cli(['user', 'create', ACCOUNT, 'ａｄｍｉｎ', '--password', PASSWORD]), 1, /user ａｄｍｉｎ in account 515151 already exists as admin \(login names are compared ignoring case/);
    assertFailed(await cli(['user', 'create', ACCOUNT, 'CAFE\u0301', '--password', PASSWORD]), 1, /already exists as café /);
    assertFailed(await cli(['user', 'create', ACCOUNT, '\u212aate', '--password', PASSWORD]), 1, /already exists as kate /);
  });

  test('a name with an invisible, control or bidi character is refused', async () => {
    for (const name of ['admin\u200b', 'ad\u202emin', '\u2066bob\u2069', 'bo\u00adb']) {
      assertFailed(await cli(['user', 'create', ACCOUNT, name, '--password', PASSWORD]), 1, /login name contains an invisible or control character/);
    }
  });

  test('commands find the user by any equivalent spelling', async () => {
    const r = await cli(['user', 'disable', ACCOUNT, 'ＫＡＴＥ', '--json']);
    assertSucceeded(r);
    assert.equal(r.json.loginName, 'kate');
    assertSucceeded(await cli(['user', 'enable', ACCOUNT, '\u212aate']));
  });

  test('`user conflicts` lists users left without their name, and says so when there are none', async () => {
    const none = await cli(['user', 'conflicts']);
    assertSucceeded(none);
    assert.match(none.stdout, /no login name conflicts/);

    // What the migration leaves behind for a user whose name collided with an older one's.
    const stores = await openStores({ databaseUrl: db });
    try {
      const admin = (await stores.users.getUserByLoginName(ACCOUNT, 'admin'))!;
      const raw = openSqlite(join(dir, 'store.db'), { migrate: false });
      raw.prepare(
        `INSERT INTO users (user_id, account_id, login_name, login_name_key, user_pid, is_bot, app_key, password_hash, password_changed_at,
           is_lpa, enabled, created_at, profile_ids, updated_at) VALUES ('7777777777', ?, 'ａｄｍｉｎ', ?, 'pid-7', 0, NULL, NULL, NULL, 0, 1, ?, '[2]', ?)`,
      ).run(ACCOUNT, unreachableKey('7777777777'), admin.createdAt + 1, admin.createdAt + 1);
      raw.close();
    } finally {
      await stores.close();
    }
    const listed = await cli(['user', 'conflicts', '--json']);
    assertSucceeded(listed);
    assert.deepEqual(
      listed.json.map((c: any) => [c.accountId, c.holder?.loginName, c.cannotLogIn.map((u: any) => u.userId)]),
      [[ACCOUNT, 'admin', ['7777777777']]],
    );
    const text = await cli(['user', 'conflicts']);
    assert.match(text.stdout, /ａｄｍｉｎ\s+7777777777\s+same login name as admin/);
  });
});

describe('look-alike login names over HTTP', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  before(async () => {
    server = await startTestServer();
    seeded = await seedAccount(server);
  });
  after(() => server.close());

  const login = (username: string) => postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`, { username, password: seeded.human.password });

  test('a login by a look-alike spelling reaches the one user of that name', async () => {
    for (const spelling of ['ＡＧＥＮＴ.ＳＭＩＴＨ', 'agent.smith', 'Ａgent.Smith']) {
      const res = await login(spelling);
      assert.equal(res.status, 200, spelling);
      assert.ok(sessionCookie(res.headers));
    }
  });

  test('a login name with an invisible character is an ordinary failed login', async () => {
    for (const spelling of ['Agent.Smith\u200b', '\u202eAgent.Smith', 'Agent\u00ad.Smith']) {
      const res = await login(spelling);
      assert.equal(res.status, 401, JSON.stringify(spelling));
      assert.equal(res.json.error.internalCode, 20);
    }
  });
});
