/**
 * Hashing threads give way to everything else (src/security/passwords.ts):
 * niceness 19, and SCHED_IDLE where `chrt` is installed, set on each hashing
 * thread only, never on the event loop's thread; and where `taskset` is
 * installed each is pinned to one CPU, different ones while there are enough.
 * Read back from /proc (Linux).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { WORKER_INDEX_ENV } from '../../src/housekeeping.js';
import { allowedCpus, CHRT_PATH, HASHING_NICENESS, parseCpuList, PasswordHasher, TASKSET_PATH } from '../../src/security/passwords.js';

const run = promisify(execFile);
const SCHED_OTHER = 0;
const SCHED_IDLE = 5;

/** Niceness, scheduling policy and allowed CPUs of every thread of this process. */
function threads(): Array<{ tid: number; nice: number; policy: number; cpus: number[] }> {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the parenthesised name: field 19 is nice, field 41 the policy.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [{ tid: Number(tid), nice: Number(fields[16]), policy: Number(fields[38]), cpus: allowedCpus(`/proc/self/task/${tid}/status`) }];
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

  // Pinning: each hashing thread to one CPU of the process's, two live ones to two different CPUs.
  const cpus = allowedCpus();
  assert.ok(cpus.length >= 1, 'the process reads its own CPUs');
  assert.equal(main!.cpus.join(), cpus.join(), 'the event loop keeps every CPU');
  if (TASKSET_PATH && cpus.length >= 2) {
    const pinned = hashing.map((t) => t.cpus);
    for (const p of pinned) assert.equal(p.length, 1, `one CPU per hashing thread: ${JSON.stringify(hashing)}`);
    for (const p of pinned) assert.ok(cpus.includes(p[0]!), `a CPU of the process's (${cpus.join()}): ${p[0]}`);
    assert.equal(new Set(pinned.map((p) => p[0])).size, Math.min(pinned.length, cpus.length), `different CPUs: ${JSON.stringify(hashing)}`);
  } else {
    for (const t of hashing) assert.equal(t.cpus.join(), cpus.join(), `unpinned without taskset or a second CPU: thread ${t.tid}`);
  }
});

test('CPU lists read as the kernel writes them, anything else as none', () => {
  assert.deepEqual(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
  assert.deepEqual(parseCpuList('1'), [1]);
  assert.deepEqual(parseCpuList('2,0-1,1'), [0, 1, 2]);
  for (const bad of ['', 'x', '3-1', '0-', '1,,2', '0-99999']) assert.deepEqual(parseCpuList(bad), [], JSON.stringify(bad));
});

test("a cluster worker's first hashing thread starts at the worker's own CPU", { skip: (!TASKSET_PATH || allowedCpus().length < 2) && 'needs taskset and two CPUs' }, async () => {
  const cpus = allowedCpus();
  // One hash in a process that is cluster worker N, then its hashing thread's CPUs, read from /proc.
  const script = `
    import { readdirSync, readFileSync } from 'node:fs';
    import { allowedCpus, PasswordHasher } from ${JSON.stringify(new URL('../../src/security/passwords.ts', import.meta.url).href)};
    await new PasswordHasher(undefined, 1).hash('x');
    const hashing = readdirSync('/proc/self/task').filter((tid) => readFileSync('/proc/self/task/' + tid + '/stat', 'utf8').split(') ')[1].split(' ')[16] === '19').map((tid) => allowedCpus('/proc/self/task/' + tid + '/status'));
    console.log(JSON.stringify(hashing));
    process.exit(0);`;
  const workers = [0, 1, 2, 3];
  const pinned = await Promise.all(
    workers.map(async (index) => {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, [WORKER_INDEX_ENV]: String(index) } });
      return JSON.parse(stdout) as number[][];
    }),
  );
  assert.deepEqual(pinned, workers.map((index) => [[cpus[index % cpus.length]]]));
});
