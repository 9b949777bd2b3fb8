/**
 * Moves sessions, brute-force counters and OAuth grants (codes, refresh
 * tokens, revocation marks) to Redis, in front of any SQL backend that keeps
 * the identities (accounts, users, API keys, signing keys, events): the hot
 * paths (bearer check, refresh) then never touch the database.
 */
import { Redis } from 'ioredis';
import type { Stores } from '../stores.js';
import { RedisCounterStore } from './counters.js';
import { RedisSessionStore } from './sessions.js';
import { RedisOAuthGrantStore } from './oauth.js';

export interface RedisSessionsOptions {
  /** Starts every key, so installations and tests can share one Redis (default "ls:"). */
  keyPrefix?: string;
}

export const DEFAULT_REDIS_KEY_PREFIX = 'ls:';

export async function withRedisSessions(stores: Stores, redisUrl: string, options: RedisSessionsOptions = {}): Promise<Stores> {
  const prefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
  // Connect now, so a wrong URL or a Redis that is down fails the start instead of the first login.
  const redis = new Redis(redisUrl, { lazyConnect: true });
  // Failures reach callers through the commands that fail, and readiness through ping();
  // without a listener ioredis would print every reconnection error itself.
  let lastError: Error | null = null;
  redis.on('error', (e: Error) => {
    lastError = e;
  });
  try {
    await redis.connect();
  } catch (e) {
    redis.disconnect();
    // ioredis rejects with "Connection is closed"; the reason is in the error event before it.
    const { hostname, port } = new URL(redisUrl);
    throw new Error(`cannot connect to Redis at ${hostname}:${port || 6379}: ${(lastError ?? (e as Error)).message}`);
  }
  let closed = false;
  return {
    ...stores,
    backend: `${stores.backend}+redis`,
    sessions: new RedisSessionStore(redis, prefix),
    counters: new RedisCounterStore(redis, prefix),
    oauth: new RedisOAuthGrantStore(redis, prefix),
    async ping() {
      await Promise.all([stores.ping(), redis.ping()]);
    },
    async close() {
      if (closed) return;
      closed = true;
      // quit() waits for a reconnect when Redis is gone, which would hold a shutdown for a minute.
      if (redis.status !== 'ready') redis.disconnect();
      else {
        try {
          await redis.quit();
        } catch {
          redis.disconnect();
        }
      }
      await stores.close();
    },
  };
}
