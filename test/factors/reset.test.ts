/**
 * Reset MFA: an administrator's `PUT le-users/users/{id}/resetMfa` and
 * `login-service user reset-mfa`, on a SQLite file a real server serves: the
 * person's factors go, it is audited, and where the account requires a
 * factor the person enrols again at the next login.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { auditTrail } from '../security/support.js';
import { assertSucceeded, runInProcess } from '../cli/cliRunner.js';
import { MFA_KEY, codeAt, newPerson, setMfa } from './support.js';

describe('Reset MFA', () => {
  let dir: string;
  let db: string;
  let server: TestServer;
  let seeded: SeededAccount;
  let base: string;
  let adminBearer: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'login-service-reset-mfa-'));
    db = `sqlite:${join(dir, 'store.db')}`;
    server = await startTestServer({ env: { DATABASE_URL: db, MFA_ENCRYPTION_KEY: MFA_KEY } });
    seeded = await seedAccount(server);
    base = `${server.baseUrl}/api/account/${seeded.accountId}`;
    const admin = await postJson(`${base}/login`, { username: seeded.human.loginName, password: seeded.human.password });
    adminBearer = admin.json.bearer;
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function enrolledPerson() {
    await setMfa(server, seeded.accountId, 'optional');
    const p = await newPerson(server, seeded.accountId);
    const first = await postJson(`${base}/login`, { username: p.loginName, password: p.password });
    const started = await postJson(`${base}/mfa/totp?v=1.0`, {}, { authorization: `Bearer ${first.json.bearer}` });
    server.clock.advance(30_000);
    const confirmed = await postJson(`${base}/mfa/totp/confirm?v=1.0`, { otp: codeAt(started.json.secret, server.clock.now()) }, { authorization: `Bearer ${first.json.bearer}` });
    assert.equal(confirmed.status, 200);
    return p;
  }

  const resetByApi = (userId: string, bearer = adminBearer) =>
    fetch(`${base}/configuration/le-users/users/${userId}/resetMfa?v=6.0`, { method: 'PUT', headers: { authorization: `Bearer ${bearer}` } });

  test('the administration API removes the factors; with mfa required the person must enrol at the next login', async () => {
    const p = await enrolledPerson();
    await setMfa(server, seeded.accountId, 'required');
    try {
      assert.equal((await postJson(`${base}/login`, { username: p.loginName, password: p.password })).json.error.internalCode, 28);
      const res = await resetByApi(p.user.userId);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { id: p.user.userId, removed: true });
      const next = await postJson(`${base}/login`, { username: p.loginName, password: p.password });
      assert.equal(next.status, 401);
      assert.equal(next.json.error.internalCode, 29);
      assert.ok(next.json.enrollToken);
      const events = await auditTrail(server, seeded.accountId, 'admin_change');
      const event = events.find((e) => e.detail.action === 'reset_mfa' && e.userId === p.user.userId);
      assert.ok(event);
      assert.equal(event.detail.by, seeded.human.loginName);
      // A second reset finds nothing; an unknown user is 404.
      assert.deepEqual(await (await resetByApi(p.user.userId)).json(), { id: p.user.userId, removed: false });
      assert.equal((await resetByApi('999999999')).status, 404);
    } finally {
      await setMfa(server, seeded.accountId, 'optional');
    }
  });

  test('only administrators may reset', async () => {
    const p = await newPerson(server, seeded.accountId);
    const own = await postJson(`${base}/login`, { username: p.loginName, password: p.password });
    assert.equal(own.status, 200);
    assert.equal((await resetByApi(p.user.userId, own.json.bearer)).status, 403);
  });

  test('login-service user reset-mfa removes the factors and says so', async () => {
    const p = await enrolledPerson();
    const run = await runInProcess(['user', 'reset-mfa', seeded.accountId, p.loginName, '--db', db]);
    assertSucceeded(run);
    assert.equal(run.stdout, `reset the second factors of ${p.loginName}\n`);
    assert.deepEqual(await server.stores.factors.getFactors(seeded.accountId, p.user.userId), { totp: null, recoveryCodes: [], passkeys: [] });
    assert.equal((await postJson(`${base}/login`, { username: p.loginName, password: p.password })).status, 200, 'optional: the password alone again');
    const again = await runInProcess(['user', 'reset-mfa', seeded.accountId, p.loginName, '--db', db]);
    assertSucceeded(again);
    assert.equal(again.stdout, `${p.loginName} had no second factor\n`);
    const events = await auditTrail(server, seeded.accountId, 'admin_change');
    assert.ok(events.some((e) => e.detail.action === 'reset_mfa' && e.detail.by === 'cli' && e.userId === p.user.userId));
  });
});
