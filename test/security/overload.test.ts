import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PasswordHasher } from '../../src/security/passwords.js';
import { DomainError } from '../../src/errors.js';
import { postJson, seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';

describe('a login storm beyond the hashing queue', () => {
  test('the hasher refuses work beyond its queue instead of queueing without bound', async () => {
    const hasher = new PasswordHasher(undefined, 1, 2);
    const stored = await hasher.hash('a password to verify');
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => hasher.verify(stored, 'a password to verify')));
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(fulfilled.length, 3, 'one running and two waiting');
    assert.ok(fulfilled.every((r) => r.value === true));
    assert.equal(refused.length, 3);
    for (const r of refused) {
      assert.ok(r.reason instanceof DomainError);
      assert.equal(r.reason.kind, 'overloaded');
      assert.equal(r.reason.retryAfterSeconds, 5);
    }
    assert.equal(await hasher.verify(stored, 'a password to verify'), true, 'the queue drains and serves again');
  });

  describe('over HTTP', () => {
    let server: TestServer;
    let seeded: SeededAccount;
    before(async () => {
      server = await startTestServer({ env: { HASH_CONCURRENCY: '1', HASH_QUEUE_LIMIT: '1' } });
      seeded = await seedAccount(server);
    });
    after(() => server.close());

    test('excess logins get 503 with Retry-After in the error shape; the others log in; nothing is counted against the users', async () => {
      const url = `${server.baseUrl}/api/account/${seeded.accountId}/login?v=1.3`;
      const answers = await Promise.all(Array.from({ length: 8 }, () => postJson(url, { username: seeded.human.loginName, password: seeded.human.password })));
      const ok = answers.filter((a) => a.status === 200);
      const busy = answers.filter((a) => a.status === 503);
      assert.ok(ok.length >= 2, `${ok.length} logged in`);
      assert.ok(busy.length >= 1, `${busy.length} refused`);
      assert.equal(ok.length + busy.length, answers.length);
      for (const b of busy) {
        assert.equal(b.headers.get('retry-after'), '5');
        assert.equal(b.json.error.internalCode, 51);
        assert.equal(b.json.error.responseStatus, 'SERVICE_UNAVAILABLE');
      }
      const after = await postJson(url, { username: seeded.human.loginName, password: seeded.human.password });
      assert.equal(after.status, 200, 'not locked out by the refusals');
    });
  });
});
