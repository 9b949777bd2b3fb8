/**
 * Hashing threads give way to everything else (src/security/passwords.ts):
 * niceness 19, set by each hashing thread on itself only, never on the event
 * loop's thread. Read back from /proc by the test (Linux); the service itself
 * reads nothing there and runs no program.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { HASHING_NICENESS, PasswordHasher } from '../../src/security/passwords.js';

/** Niceness of every thread of this process. */
function threads(): Array<{ tid: number; nice: number }> {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the parenthesised name: field 19 is nice.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [{ tid: Number(tid), nice: Number(fields[16]) }];
    } catch {
      return []; // a thread that ended meanwhile
    }
  });
}

test('hashing threads run at the lowest priority, and only they do', { skip: process.platform !== 'linux' && 'niceness is per thread on Linux only' }, async () => {
  const eventLoopNiceness = getPriority();
  const hasher = new PasswordHasher(undefined, 2);
  const stored = await hasher.hash('a password to verify');
  // Two at once, so two threads exist; each sets its priority before taking its first task.
  assert.deepEqual(await Promise.all([hasher.verify(stored, 'a password to verify'), hasher.verify(stored, 'wrong')]), [true, false]);

  const all = threads();
  const hashing = all.filter((t) => t.nice === HASHING_NICENESS);
  assert.ok(hashing.length >= 2, `two hashing threads at niceness ${HASHING_NICENESS}: ${JSON.stringify(all)}`);
  const main = all.find((t) => t.tid === process.pid);
  assert.equal(main?.nice, eventLoopNiceness, 'the event loop keeps its priority');
  assert.equal(getPriority(), eventLoopNiceness);
});

test('hashes and verifies through the worker file', async () => {
  const hasher = new PasswordHasher(undefined, 1);
  const stored = await hasher.hash('another password');
  assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(await hasher.verify(stored, 'another password'), true);
  assert.equal(await hasher.verify(stored, 'not it'), false);
  assert.equal(await hasher.verify('not a hash', 'another password'), false, 'a malformed stored hash is a mismatch');
});
