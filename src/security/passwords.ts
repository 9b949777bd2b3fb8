/**
 * Password hashing with argon2id (OWASP minimum: 19 MiB, 2 iterations, 1 lane).
 *
 * Hashing runs on worker threads that lower their own OS priority (Linux:
 * niceness 19, and the SCHED_IDLE policy where `chrt` is installed), so a
 * login storm uses only the CPU that serving does not: when the event loop
 * has a refresh or a bearer check to answer, the kernel runs it first instead
 * of sharing the cores evenly with argon2 (measured in docs/BENCHMARKS.md).
 * Each thread also pins itself to one CPU (where `taskset` is installed),
 * because a lowest-priority thread that floats is moved between cores each
 * time something else wakes on its own, and refilling a cache for a 19 MiB
 * working set made every hash cost 12–20% more CPU. A semaphore bounds how many
 * hashes run at once (HASH_CONCURRENCY, default one per core); further logins
 * queue.
 *
 * The threads are shared by every hasher in the process, started on first
 * use, and end after a while idle; an idle thread never keeps the process
 * alive.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { Algorithm } from '@node-rs/argon2';
import { errors } from '../errors.js';
import { WORKER_INDEX_ENV } from '../housekeeping.js';

export interface Argon2Params {
  memoryCost: number; // KiB
  timeCost: number;
  parallelism: number;
}

export const DEFAULT_ARGON2: Argon2Params = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/**
 * Niceness of the hashing threads: the lowest priority. Measured under a login
 * storm, refresh p99 stayed lower at 19 than at 10 (at 0 even the median
 * tripled). The cost: while other processes on the host keep the CPU busy,
 * logins get only what they leave.
 */
export const HASHING_NICENESS = 19;

/**
 * `chrt` (util-linux, or busybox), by absolute path so PATH cannot change
 * what runs; null where there is none. Each hashing thread uses it once, at
 * start, to put itself under SCHED_IDLE: Linux's EEVDF scheduler (6.6 and
 * later) lets a running thread finish its time slice, even a niceness-19
 * one, before a thread that wakes up may take its core, unless the running
 * one is SCHED_IDLE. On a 2-core machine with both cores hashing, that slice
 * was waited for by the event loop on a request and by the client on the
 * answer: refresh p99 during a login storm was ~4.5 ms at niceness 19 alone
 * and ~3.3 ms under SCHED_IDLE (medians of 6 paired rounds, twice), with
 * logins/s unchanged. Without `chrt` the threads keep niceness 19.
 */
export const CHRT_PATH: string | null = linuxTool('chrt');

/**
 * `taskset` (util-linux, or busybox), by absolute path; null where there is
 * none. Each hashing thread uses it once, at start, to pin itself to one of
 * the process's CPUs, a different one for each live thread where there are
 * enough. Unpinned, a SCHED_IDLE hashing thread was moved to another core
 * 0.6–0.9 times per hash (the event loop or the load generator woke on its
 * core), and each move cost the caches of a 19 MiB working set: 9.0–10.4 ms
 * of CPU per verification against 8.0–8.5 ms in argon2's own loop, ~0.80 of
 * its verifications/s as logins/s. Pinned: no moves, 8.2–8.5 ms, ~0.94; refresh
 * p99 during a login storm no worse (docs/BENCHMARKS.md, change 15). Without
 * `taskset` the threads float.
 */
export const TASKSET_PATH: string | null = linuxTool('taskset');

function linuxTool(name: string): string | null {
  if (process.platform !== 'linux') return null;
  return ['/usr/bin/', '/bin/', '/usr/local/bin/'].map((dir) => dir + name).find((path) => existsSync(path)) ?? null;
}

/** A kernel CPU list ("0-3,8,10-11") as CPU numbers, ascending; [] for anything else. */
export function parseCpuList(list: string): number[] {
  const cpus = new Set<number>();
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return [];
    const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (to < from || to - from > 4096) return [];
    for (let cpu = from; cpu <= to; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/**
 * The CPUs this process may run on (Linux, /proc/self/status), or one thread's
 * (/proc/self/task/TID/status); [] where that is unknown.
 */
export function allowedCpus(statusFile = '/proc/self/status'): number[] {
  try {
    const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(statusFile, 'utf8'));
    return m ? parseCpuList(m[1]!) : [];
  } catch {
    return [];
  }
}

/** A hashing thread idle this long ends; the next hash starts a new one (~30 ms). */
const IDLE_THREAD_MS = 30_000;

// Plain JavaScript, evaluated in each thread: no loader (tsx) is needed there.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const argon2 = require(workerData.argon2Path);
const { execFileSync } = require('node:child_process');
let tid = 0;
try {
  // Linux: /proc/thread-self is "PID/task/TID"; setpriority on a TID affects that thread only.
  tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(tid, workerData.niceness);
} catch {}
// On a thread id, chrt and taskset change that thread only. Unprivileged: a thread may always
// lower its own priority and narrow its own CPUs.
try {
  if (tid && workerData.chrt) execFileSync(workerData.chrt, ['--idle', '-p', '0', String(tid)], { stdio: 'ignore', timeout: 5000 });
} catch {}
try {
  if (tid && workerData.taskset && workerData.cpu !== null) execFileSync(workerData.taskset, ['-p', '-c', String(workerData.cpu), String(tid)], { stdio: 'ignore', timeout: 5000 });
} catch {}
parentPort.on('message', (task) => {
  let reply;
  try {
    reply = { ok: true, value: task.op === 'hash' ? argon2.hashSync(task.password, task.options) : argon2.verifySync(task.storedHash, task.password) };
  } catch (error) {
    reply = { ok: false, message: String((error && error.message) || error) };
  }
  parentPort.postMessage(reply);
});
`;

type HashTask = { op: 'hash'; password: string; options: object } | { op: 'verify'; storedHash: string; password: string };
type ThreadReply = { ok: true; value: string | boolean } | { ok: false; message: string };

interface HashingThread {
  worker: Worker;
  idleTimer: NodeJS.Timeout | null;
}

/** The process's hashing threads: one task per thread at a time. */
class HashingThreads {
  private readonly idle: HashingThread[] = [];
  private readonly argon2Path = createRequire(import.meta.url).resolve('@node-rs/argon2');
  /** CPUs to pin threads to (none with fewer than two, or without taskset), and live threads on each. */
  private readonly cpus = TASKSET_PATH ? allowedCpus() : [];
  private readonly onCpu = new Map<number, number>();
  /**
   * Where the search for the least used CPU starts: a cluster worker's index, else the process id,
   * so the first threads of several processes on one host do not all take the same CPU.
   */
  private readonly firstCpu = Number(process.env[WORKER_INDEX_ENV] ?? process.pid) || 0;

  run(task: HashTask): Promise<string | boolean> {
    const thread = this.idle.pop() ?? this.start();
    if (thread.idleTimer) clearTimeout(thread.idleTimer);
    thread.idleTimer = null;
    return new Promise((resolve, reject) => {
      const onMessage = (reply: ThreadReply) => {
        settle();
        this.release(thread);
        if (reply.ok) resolve(reply.value);
        else reject(new Error(reply.message));
      };
      const onFailure = (error: unknown) => {
        settle();
        reject(error instanceof Error ? error : new Error(`hashing thread stopped (${String(error)})`));
      };
      const settle = () => {
        thread.worker.off('message', onMessage);
        thread.worker.off('error', onFailure);
        thread.worker.off('exit', onFailure);
      };
      thread.worker.on('message', onMessage);
      thread.worker.on('error', onFailure);
      thread.worker.on('exit', onFailure);
      // Busy threads keep the process alive (a CLI awaiting a hash must not exit); idle ones do not.
      thread.worker.ref();
      thread.worker.postMessage(task);
    });
  }

  private start(): HashingThread {
    const cpu = this.leastUsedCpu();
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { argon2Path: this.argon2Path, niceness: HASHING_NICENESS, chrt: CHRT_PATH, taskset: TASKSET_PATH, cpu },
    });
    if (cpu !== null) {
      this.onCpu.set(cpu, (this.onCpu.get(cpu) ?? 0) + 1);
      worker.once('exit', () => this.onCpu.set(cpu, this.onCpu.get(cpu)! - 1));
    }
    return { worker, idleTimer: null };
  }

  private leastUsedCpu(): number | null {
    const n = this.cpus.length;
    if (n < 2) return null;
    let best: number | null = null;
    for (let i = 0; i < n; i++) {
      const cpu = this.cpus[(this.firstCpu + i) % n]!;
      if (best === null || (this.onCpu.get(cpu) ?? 0) < (this.onCpu.get(best) ?? 0)) best = cpu;
    }
    return best;
  }

  private release(thread: HashingThread): void {
    thread.worker.unref();
    thread.idleTimer = setTimeout(() => {
      const at = this.idle.indexOf(thread);
      if (at >= 0) this.idle.splice(at, 1);
      void thread.worker.terminate();
    }, IDLE_THREAD_MS);
    thread.idleTimer.unref();
    this.idle.push(thread);
  }
}

let sharedThreads: HashingThreads | undefined;

export class PasswordHasher {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private dummyHash: Promise<string> | undefined;
  private readonly threads = (sharedThreads ??= new HashingThreads());

  constructor(
    private readonly params: Argon2Params = DEFAULT_ARGON2,
    readonly maxConcurrent: number = availableParallelism(),
    /** Hashes allowed to wait for a thread; beyond, 503 with Retry-After instead of an ever longer queue. */
    readonly maxQueued: number = 1024,
  ) {}

  hash(password: string): Promise<string> {
    const options = { algorithm: Algorithm.Argon2id, ...this.params };
    return this.bounded(() => this.threads.run({ op: 'hash', password, options }) as Promise<string>);
  }

  /** False for a wrong password and for a malformed stored hash alike. */
  verify(storedHash: string, password: string): Promise<boolean> {
    return this.bounded(() => (this.threads.run({ op: 'verify', storedHash, password }) as Promise<boolean>).catch(() => false));
  }

  /**
   * Spend the same time as a real verification when there is no user to check,
   * so response time does not reveal whether a login name exists.
   */
  async verifyDummy(password: string): Promise<false> {
    this.dummyHash ??= this.hash('dummy password for timing equalisation');
    await this.verify(await this.dummyHash, password);
    return false;
  }

  private async bounded<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.maxConcurrent && this.waiting.length >= this.maxQueued) {
      // Overload: answering at once lets clients back off (the original's guidance: retry 5xx after 5 s)
      // instead of holding connections while the queue outgrows any client's timeout.
      throw errors.overloaded('Too many logins in progress; retry shortly', 5);
    }
    if (this.active >= this.maxConcurrent) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
