/**
 * Password hashing with argon2id (OWASP minimum: 19 MiB, 2 iterations, 1 lane).
 *
 * Hashing runs on worker threads that lower their own OS priority (Linux:
 * niceness 19, and the SCHED_IDLE policy where `chrt` is installed), so a
 * login storm uses only the CPU that serving does not: when the event loop
 * has a refresh or a bearer check to answer, the kernel runs it first instead
 * of sharing the cores evenly with argon2 (measured in docs/BENCHMARKS.md).
 * A semaphore bounds how many hashes run at once (HASH_CONCURRENCY, default
 * one per core); further logins queue.
 *
 * The threads are shared by every hasher in the process, started on first
 * use, and end after a while idle; an idle thread never keeps the process
 * alive.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { Algorithm } from '@node-rs/argon2';
import { ApiError, InternalCode } from '../http/errors.js';

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
export const CHRT_PATH: string | null =
  process.platform === 'linux' ? (['/usr/bin/chrt', '/bin/chrt', '/usr/local/bin/chrt'].find((path) => existsSync(path)) ?? null) : null;

/** A hashing thread idle this long ends; the next hash starts a new one (~30 ms). */
const IDLE_THREAD_MS = 30_000;

// Plain JavaScript, evaluated in each thread: no loader (tsx) is needed there.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const argon2 = require(workerData.argon2Path);
try {
  // Linux: /proc/thread-self is "PID/task/TID"; setpriority on a TID affects that thread only.
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(tid, workerData.niceness);
  // On a thread id, chrt changes that thread only. Unprivileged: a thread may always lower its own priority.
  if (workerData.chrt) require('node:child_process').execFileSync(workerData.chrt, ['--idle', '-p', '0', String(tid)], { stdio: 'ignore', timeout: 5000 });
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
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { argon2Path: this.argon2Path, niceness: HASHING_NICENESS, chrt: CHRT_PATH },
    });
    return { worker, idleTimer: null };
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
      throw new ApiError(503, InternalCode.UNAVAILABLE, 'Too many logins in progress; retry shortly', { 'retry-after': '5' });
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
