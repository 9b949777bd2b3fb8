/**
 * Names that look alike across alphabets (UTS #39): a name mixing scripts is
 * refused, and a new or renamed name whose confusable skeleton is that of
 * another user's name of the account is a conflict (409), on the
 * administration API over a real socket (SQLite and PostgreSQL), the CLI and
 * import. Existing names are not touched.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStores } from '../../src/store/index.js';
import { exportInstallation, importInstallation } from '../../src/store/transfer.js';
import { DuplicateError } from '../../src/errors.js';
import { LoginNameError, checkSingleScript, lookAlikeSkeleton } from '../../src/users/loginName.js';
import { assertFailed, assertSucceeded, runInProcess } from '../cli/cliRunner.js';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { createTestDatabase, type TestDatabase } from '../store/postgresDatabase.js';

const CYRILLIC_A = '\u0430';
const GREEK_ALPHA = '\u0391';
const PASSWORD = 'a long enough passphrase';

describe('confusable skeletons and single-script names (UTS #39)', () => {
  test('the reported look-alikes share the skeleton of agentA', () => {
    const skeleton = lookAlikeSkeleton('agentA');
    assert.equal(lookAlikeSkeleton(`${CYRILLIC_A}gentA`), skeleton);
    assert.equal(lookAlikeSkeleton(`agent${GREEK_ALPHA}`), skeleton);
    assert.equal(lookAlikeSkeleton('ＡＧＥＮＴＡ'), skeleton, 'fullwidth and case are the comparison key already');
  });

  test('whole-script look-alikes and Latin look-alikes share a skeleton; different names do not', () => {
    assert.equal(lookAlikeSkeleton('\u0441\u043e\u0440\u0435'), lookAlikeSkeleton('cope'), 'Cyrillic сорe');
    assert.equal(lookAlikeSkeleton('\u03bf\u03bd\u03bf'), lookAlikeSkeleton('ovo'), 'Greek ονο');
    assert.equal(lookAlikeSkeleton('modern'), lookAlikeSkeleton('rnodern'));
    assert.equal(lookAlikeSkeleton('paypal'), lookAlikeSkeleton('paypa1'));
    assert.equal(lookAlikeSkeleton('agent0'), lookAlikeSkeleton('AGENTO'), '0 looks like O, which is o');
    assert.notEqual(lookAlikeSkeleton('agentA'), lookAlikeSkeleton('agentB'));
    assert.notEqual(lookAlikeSkeleton('anna'), lookAlikeSkeleton('hanna'));
    assert.notEqual(lookAlikeSkeleton('José'), lookAlikeSkeleton('Jose'), 'an accent is not a look-alike');
  });

  test('a name mixing scripts is refused; one script, with digits and punctuation, is fine', () => {
    for (const name of [`${CYRILLIC_A}gentA`, `agent${GREEK_ALPHA}`, 'pay\u0440al', 'd\u03bfg', 'ab\u05d0']) {
      assert.throws(() => checkSingleScript(name), (e: unknown) => e instanceof LoginNameError && /mixes scripts/.test(e.message), JSON.stringify(name));
    }
    for (const name of ['agentA', 'agent.smith-2@example.com', 'Ωμέγα_7', 'Дмитрий', '山田太郎', '山田たろう', 'ヤマダ太郎', '김철수', 'José Müller', 'ＡＧＥＮＴ', 'دانيال', 'cafe\u0301']) {
      assert.doesNotThrow(() => checkSingleScript(name), JSON.stringify(name));
    }
  });
});

function overHttp(backend: string, databaseUrl: () => string) {
  describe(`look-alike names on the administration API (${backend})`, () => {
    let server: TestServer;
    let seeded: SeededAccount;
    let bearer: string;

    before(async () => {
      server = await startTestServer({ env: { DATABASE_URL: databaseUrl() } });
      seeded = await seedAccount(server);
      const login = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`, { username: seeded.human.loginName, password: seeded.human.password });
      bearer = login.json.bearer;
      assert.equal((await call('POST', '/le-users/users', { loginName: 'agentA', password: PASSWORD })).status, 201);
    });
    after(() => server?.close());

    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.baseUrl}/api/account/${seeded.accountId}/configuration${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: await res.json() };
    };
    const names = async () => (await server.stores.users.listUsers(seeded.accountId)).map((u) => u.loginName).sort();

    test('a new name that looks like an existing one is a conflict, and nothing is created', async () => {
      const before = await names();
      for (const loginName of [`${CYRILLIC_A}gentA`, `agent${GREEK_ALPHA}`, 'agentＡ', 'Agent.\u0405mith']) {
        const res = await call('POST', '/le-users/users', { loginName, password: PASSWORD });
        assert.equal(res.status, 409, `${loginName}: ${JSON.stringify(res.json)}`);
        assert.equal(res.json.error.internalCode, 32);
      }
      const lookAlike = await call('POST', '/le-users/users', { loginName: `${CYRILLIC_A}gentA`, password: PASSWORD });
      assert.match(lookAlike.json.error.message, /looks like agentA/);
      assert.deepEqual(await names(), before);
    });

    test('a whole-script look-alike is a conflict; a mixed-script name that looks like nobody is 400', async () => {
      assert.equal((await call('POST', '/le-users/users', { loginName: 'cope', password: PASSWORD })).status, 201);
      assert.equal((await call('POST', '/le-users/users', { loginName: '\u0441\u043e\u0440\u0435', password: PASSWORD })).status, 409);
      const mixed = await call('POST', '/le-users/users', { loginName: `z${CYRILLIC_A}ra`, password: PASSWORD });
      assert.equal(mixed.status, 400);
      assert.match(mixed.json.error.message, /mixes scripts/);
      assert.ok(!(await names()).includes(`z${CYRILLIC_A}ra`));
    });

    test('two look-alikes in one list are refused together', async () => {
      const before = await names();
      const res = await call('POST', '/le-users/users', [{ loginName: 'rnary', password: PASSWORD }, { loginName: 'mary', password: PASSWORD }]);
      assert.equal(res.status, 409);
      assert.deepEqual(await names(), before);
    });

    test('renaming a user to a look-alike of another is a conflict; keeping or recasing its own name is fine', async () => {
      const created = await call('POST', '/le-users/users', { loginName: 'bravo', password: PASSWORD });
      assert.equal(created.status, 201);
      const id = created.json.id;
      const renamed = await call('PUT', `/le-users/users/${id}`, { loginName: `${CYRILLIC_A}gentA` });
      assert.equal(renamed.status, 409, JSON.stringify(renamed.json));
      assert.equal((await server.stores.users.getUserById(seeded.accountId, id))?.loginName, 'bravo');
      assert.equal((await call('PUT', `/le-users/users/${id}`, { loginName: 'Bravo' })).status, 200);
      assert.equal((await call('PUT', `/le-users/users/${id}`, { loginName: 'brav0' })).status, 200, 'its own look-alike');
    });

    test('logins are unchanged: the existing name logs in, a look-alike spelling is an unknown user', async () => {
      const ok = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`, { username: 'AGENTA', password: PASSWORD });
      assert.equal(ok.status, 200);
      const lookAlike = await postJson(`${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`, { username: `${CYRILLIC_A}gentA`, password: PASSWORD });
      assert.equal(lookAlike.status, 401);
    });
  });
}

overHttp('SQLite', () => 'sqlite::memory:');
const serverUrl = process.env.TEST_DATABASE_URL;
if (serverUrl) {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase(serverUrl);
  });
  after(async () => db?.drop());
  overHttp('PostgreSQL', () => db.url);
}

describe('look-alike names through the CLI and import', () => {
  let dir: string;
  let db: string;
  const cli = (args: string[]) => runInProcess([...args, '--db', db]);
  const ACCOUNT = '616161';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'login-service-confusables-'));
    db = `sqlite:${join(dir, 'store.db')}`;
    assertSucceeded(await cli(['account', 'create', ACCOUNT, '--name', 'Confusables', '--time-zone', 'UTC']));
    assertSucceeded(await cli(['user', 'create', ACCOUNT, 'agentA', '--password', PASSWORD]));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('`user create` refuses a look-alike with the conflict message, and a mixed-script name', async () => {
    assertFailed(await cli(['user', 'create', ACCOUNT, `${CYRILLIC_A}gentA`, '--password', PASSWORD]), 1, /user \u0430gentA in account 616161: it looks like agentA/);
    assertFailed(await cli(['user', 'create', ACCOUNT, `agent${GREEK_ALPHA}`, '--password', PASSWORD]), 1, /looks like agentA/);
    assertFailed(await cli(['user', 'create', ACCOUNT, `z${CYRILLIC_A}ra`, '--password', PASSWORD]), 1, /mixes scripts/);
    const listed = await cli(['user', 'list', ACCOUNT, '--json']);
    assertSucceeded(listed);
    assert.deepEqual(listed.json.map((u: { loginName: string }) => u.loginName), ['agentA']);
  });

  test('import refuses a document whose account holds two look-alike names, writing nothing', async () => {
    const source = await openStores({ databaseUrl: db });
    const target = await openStores({ databaseUrl: 'sqlite::memory:' });
    try {
      const dump = await exportInstallation(source);
      const agent = dump.users.find((u) => u.loginName === 'agentA')!;
      const twin = { ...agent, userId: '9999999999', userPid: 'pid-twin', loginName: `${CYRILLIC_A}gentA` };
      await assert.rejects(importInstallation(target, { ...dump, users: [...dump.users, twin] }), (e: unknown) => e instanceof DuplicateError && /looks like agentA/.test(e.message));
      assert.deepEqual(await target.accounts.listAccounts(), []);
      // The same document without the twin imports.
      assert.equal((await importInstallation(target, dump)).users, 1);
    } finally {
      await source.close();
      await target.close();
    }
  });
});
