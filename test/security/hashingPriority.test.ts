/**
 * Hashing threads give way to everything else (src/security/passwords.ts):
 * niceness 19, and SCHED_IDLE where `chrt` is installed, set on each hashing
 * thread only, never on the event loop's thread. Read back from /proc (Linux).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { CHRT_PATH, HASHING_NICENESS, PasswordHasher } from '../../src/security/passwords.js';

const SCHED_OTHER = 0;
const SCHED_IDLE = 5;

/** Niceness and scheduling policy of every thread of this process. */
function threads(): Array<{ tid: number; nice: number; policy: number }> {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the parenthesised name: field 19 is nice, field 41 the policy.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [{ tid: Number(tid), nice: Number(fields[16]), policy: Number(fields[38]) }];
    } catch {
      return []; // a thread that ended meanwhile
    }
  });
}

test('hashing threads run at the lowest priority, and only they do', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const hasher = new PasswordHasher(undefined, 2);
  const stored = await hasher.hash('a password to verify');
  // Two at once, so two threads exist; each sets its priority before taking its first task.
  assert.deepEqual(await Promise.all([hasher.verify(stored, 'a password to verify'), hasher.verify(stored, 'wrong')]), [true, false]);

  const all = threads();
  const hashing = all.filter((t) => t.nice === HASHING_NICENESS);
  assert.ok(hashing.length >= 2, `two hashing threads at niceness ${HASHING_NICENESS}: ${JSON.stringify(all)}`);
  for (const t of hashing) assert.equal(t.policy, CHRT_PATH ? SCHED_IDLE : SCHED_OTHER, `thread ${t.tid} (chrt: ${CHRT_PATH})`);
  const main = all.find((t) => t.tid === process.pid);
  assert.deepEqual(main && { nice: main.nice, policy: main.policy }, { nice: 0, policy: SCHED_OTHER }, 'the event loop keeps its priority');
});
