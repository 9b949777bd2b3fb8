/**
 * Password hashing with argon2id (OWASP minimum: 19 MiB, 2 iterations, 1 lane).
 *
 * Hashing runs on worker threads (hashing.worker.js) that take the lowest
 * priority an unprivileged thread may (Linux: niceness 19, that thread only),
 * so a login storm yields the CPU to the event loop whenever it has a refresh
 * or a bearer check to answer. Finer isolation (CPU weights, cpusets,
 * scheduling policies) is the deployment's job: docs/DEPLOYMENT.md.
 *
 * A semaphore bounds how many hashes run at once (HASH_CONCURRENCY, default
 * one per core); further hashes queue, and past the queue's bound the caller
 * gets an overload error (503 with Retry-After) at once instead of a wait
 * longer than any client's timeout.
 *
 * The threads are shared by every hasher in the process, started on first
 * use, and end after a while idle; an idle thread never keeps the process
 * alive.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Algorithm } from '@node-rs/argon2';
import { errors } from '../errors.js';

export interface Argon2Params {
  memoryCost: number; // KiB
  timeCost: number;
  parallelism: number;
}

export const DEFAULT_ARGON2: Argon2Params = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/**
 * Niceness of the hashing threads: the lowest priority. The cost: while other
 * processes on the host keep the CPU busy, logins get only what they leave.
 */
export const HASHING_NICENESS = 19;

/** Seconds an overloaded caller is told to wait (the original's guidance: retry 5xx after 5 s). */
const OVERLOAD_RETRY_AFTER_S = 5;

/** A hashing thread idle this long ends; the next hash starts a new one (~30 ms). */
const IDLE_THREAD_MS = 30_000;

const WORKER_FILE = new URL('./hashing.worker.js', import.meta.url);

type HashTask = { op: 'hash'; password: string; options: object } | { op: 'verify'; storedHash: string; password: string };
type ThreadReply = { ok: true; value: string | boolean } | { ok: false; message: string };

interface HashingThread {
  worker: Worker;
  idleTimer: NodeJS.Timeout | null;
}

/** The process's hashing threads: one task per thread at a time. */
class HashingThreads {
  private readonly idle: HashingThread[] = [];

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
    // No loader (tsx) in the thread: the worker is plain JavaScript.
    const worker = new Worker(WORKER_FILE, { execArgv: [], workerData: { niceness: HASHING_NICENESS } });
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
    /** Hashes allowed to wait for a thread; beyond, an overload error instead of an ever longer queue. */
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
      throw errors.overloaded('Too many logins in progress; retry shortly', OVERLOAD_RETRY_AFTER_S);
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
