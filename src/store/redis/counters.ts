/**
 * Fixed-window counters in Redis, with the same meaning as the SQL backends':
 *
 *   counter:<name>     hash {count, resetAt, updatedAt}, expiring when its window ends
 *   counter-expiry     sorted set of names by resetAt, for the housekeeping sweep
 */
import type { Redis } from 'ioredis';
import { type Counter, type CounterBlock, type CounterStore, incrementNeverBlocked } from '../../security/counters.js';
import { DELETE_EXPIRED_COUNTERS, INCREMENT_COUNTER_UNLESS_BLOCKED, RELEASE_COUNTER } from './scripts.js';
import { defineScript, type RedisScript } from './script.js';

const SWEEP_BATCH = 500;

export class RedisCounterStore implements CounterStore {
  private readonly incrementUnlessBlocked: RedisScript;
  private readonly release: RedisScript;
  private readonly deleteExpired: RedisScript;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.incrementUnlessBlocked = defineScript(redis, 'loginServiceIncrementCounterUnlessBlocked', INCREMENT_COUNTER_UNLESS_BLOCKED);
    this.release = defineScript(redis, 'loginServiceReleaseCounter', RELEASE_COUNTER);
    this.deleteExpired = defineScript(redis, 'loginServiceDeleteExpiredCounters', DELETE_EXPIRED_COUNTERS);
  }

  private key(name: string) {
    return `${this.prefix}counter:${name}`;
  }

  incrementCounter(key: string, windowMs: number, now: number): Promise<Counter> {
    return incrementNeverBlocked(this, key, windowMs, now);
  }

  async incrementCounterUnlessBlocked(key: string, windowMs: number, now: number, block: CounterBlock): Promise<Counter | null> {
    // A script, so read-decide-write is one atomic step for every instance.
    const [count, resetAt] = (await this.incrementUnlessBlocked(this.prefix, key, windowMs, now, block.limit, block.baseMs, block.maxMs)) as [number, string?];
    return resetAt === undefined ? null : { count, resetAt: Number(resetAt), updatedAt: now };
  }

  async releaseCounter(key: string, resetAt: number): Promise<void> {
    await this.release(this.prefix, key, resetAt);
  }

  async getCounter(key: string, now: number): Promise<Counter | null> {
    const [count, resetAt, updatedAt] = await this.redis.hmget(this.key(key), 'count', 'resetAt', 'updatedAt');
    if (count === null || resetAt === null || Number(resetAt) <= now) return null;
    return { count: Number(count), resetAt: Number(resetAt), updatedAt: Number(updatedAt) };
  }

  async getCounters(keys: readonly string[], now: number): Promise<Map<string, Counter>> {
    const found = new Map<string, Counter>();
    if (keys.length === 0) return found;
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.hmget(this.key(key), 'count', 'resetAt', 'updatedAt');
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([error, value], i) => {
      if (error) throw error;
      const [count, resetAt, updatedAt] = value as Array<string | null>;
      if (count === null || count === undefined || resetAt === null || resetAt === undefined || Number(resetAt) <= now) return;
      found.set(keys[i]!, { count: Number(count), resetAt: Number(resetAt), updatedAt: Number(updatedAt) });
    });
    return found;
  }

  async deleteCounter(key: string): Promise<void> {
    await this.redis.multi().del(this.key(key)).zrem(`${this.prefix}counter-expiry`, key).exec();
  }

  async deleteExpiredCounters(now: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const [n, visited] = (await this.deleteExpired(this.prefix, now, SWEEP_BATCH)) as [number, number];
      removed += n;
      if (visited < SWEEP_BATCH) return removed;
    }
  }
}
