/**
 * Password hashing with argon2id (OWASP minimum: 19 MiB, 2 iterations, 1 lane).
 * @node-rs/argon2 runs each hash on libuv's thread pool, off the event loop; a
 * semaphore bounds how many run at once so a login storm queues instead of
 * starving the threads that serve refreshes and bearer checks.
 */
import { availableParallelism } from 'node:os';
import { Algorithm, hash, verify } from '@node-rs/argon2';

export interface Argon2Params {
  memoryCost: number; // KiB
  timeCost: number;
  parallelism: number;
}

export const DEFAULT_ARGON2: Argon2Params = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

export class PasswordHasher {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly params: Argon2Params = DEFAULT_ARGON2,
    readonly maxConcurrent: number = availableParallelism(),
  ) {}

  hash(password: string): Promise<string> {
    return this.bounded(() => hash(password, { algorithm: Algorithm.Argon2id, ...this.params }));
  }

  /** False for a wrong password and for a malformed stored hash alike. */
  verify(storedHash: string, password: string): Promise<boolean> {
    return this.bounded(() => verify(storedHash, password).catch(() => false));
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
