/**
 * Guesses sent all at once from one address must meet the same limits as
 * guesses sent one by one: the per-address budget and the per-user lock are
 * spent before any password is verified, so a burst buys no extra guesses.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seedAccount, startTestServer, type SeededAccount, type TestServer } from '../helpers/server.js';
import { passwordLogin } from './support.js';

const BURST = 200;
const ADDRESS_BUDGET = 20;
const LOCKOUT_THRESHOLD = 5;
const ATTACKER = '203.0.113.66';

describe('a parallel burst of guesses from one address', () => {
  let server: TestServer;
  let seeded: SeededAccount;
  /** Argon2 verifications against the user's own hash, and all verifications (dummy ones included). */
  const verified = { user: 0, all: 0 };

  before(async () => {
    // Behind a trusted proxy, so the test can speak from a second address.
    server = await startTestServer({ env: { LOGIN_FAILURES_PER_MINUTE: String(ADDRESS_BUDGET), TRUST_PROXY: '127.0.0.1' } });
    seeded = await seedAccount(server);
    // Counts the real argon2 work; every verification still runs.
    const hasher = server.services.hasher;
    const verify = hasher.verify.bind(hasher);
    hasher.verify = (storedHash: string, password: string) => {
      verified.all++;
      if (storedHash === seeded.human.user.passwordHash) verified.user++;
      return verify(storedHash, password);
    };
  });
  after(() => server.close());

  test(`${BURST - 1} wrong passwords and the right one at once: at most the budgets are verified, the rest refused before hashing`, async (t) => {
    const { accountId, human } = seeded;
    const passwords = [...Array.from({ length: BURST - 1 }, (_, i) => `wrong guess number ${i}`), human.password];
    const from = (address: string) => ({ 'x-forwarded-for': address });
    const answers = await Promise.all(passwords.map((password) => passwordLogin(server, accountId, human.loginName, password, from(ATTACKER))));

    const statuses = answers.map((a) => a.status);
    const count = (status: number) => statuses.filter((s) => s === status).length;
    const [accepted, refusedAsWrong, rateLimited] = [count(200), count(401), count(429)];
    t.diagnostic(`burst of ${BURST}: verified against the user's hash ${verified.user}, hashed in all ${verified.all}, ` +
      `200: ${accepted}, 401: ${refusedAsWrong}, 429: ${rateLimited}, right password ${statuses.at(-1)}`);

    assert.equal(accepted + refusedAsWrong + rateLimited, BURST, `only 200, 401 and 429 answers: ${[...new Set(statuses)]}`);
    assert.ok(verified.user <= LOCKOUT_THRESHOLD, `at most ${LOCKOUT_THRESHOLD} guesses verified against the user's hash, got ${verified.user}`);
    assert.ok(verified.all <= ADDRESS_BUDGET, `at most ${ADDRESS_BUDGET} hashes for one address in a minute, got ${verified.all}`);
    assert.ok(rateLimited >= BURST - ADDRESS_BUDGET, `at least ${BURST - ADDRESS_BUDGET} answered 429, got ${rateLimited}`);
    assert.ok(accepted <= 1);
    if (accepted === 1) assert.equal(statuses.at(-1), 200, 'only the right password can be accepted, and only within the budget');
    for (const answer of answers.filter((a) => a.status === 429)) assert.ok(Number(answer.headers.get('retry-after')) >= 1);

    // The budget is spent: the right password does not get in from this address, nor (the user being locked) from another.
    assert.equal((await passwordLogin(server, accountId, human.loginName, human.password, from(ATTACKER))).status, 429);
    const afterBurst = verified.user;
    if (accepted === 0) {
      assert.equal((await passwordLogin(server, accountId, human.loginName, human.password, from('198.51.100.7'))).status, 401, 'the user is locked');
      assert.equal(verified.user, afterBurst, 'a locked login does not verify the guess');
    }
  });

  test('right passwords sent at once, more than both budgets, all get in: they wait for each other instead of being refused', async () => {
    server.clock.advance(60 * 60_000);
    const { accountId, human } = seeded;
    const answers = await Promise.all(
      Array.from({ length: 3 * ADDRESS_BUDGET }, () => passwordLogin(server, accountId, human.loginName, human.password, { 'x-forwarded-for': '192.0.2.10' })),
    );
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [200]);
  });

  test('sent one at a time, the same limits hold: 20 failures, then 429', async () => {
    server.clock.advance(60 * 60_000);
    for (let i = 0; i < ADDRESS_BUDGET; i++) assert.equal((await passwordLogin(server, seeded.accountId, `someone.${i}`, 'guess')).status, 401);
    assert.equal((await passwordLogin(server, seeded.accountId, 'someone', 'guess')).status, 429);
  });
});
