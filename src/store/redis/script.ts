import type { Redis } from 'ioredis';

/** Runs a Lua script by its digest (EVALSHA), loading it on first use: KEYS first, then ARGV. */
export type RedisScript = (...keysThenArgs: Array<string | number>) => Promise<unknown>;

export function defineScript(redis: Redis, name: string, lua: string, numberOfKeys = 0): RedisScript {
  redis.defineCommand(name, { lua, numberOfKeys });
  const command = (redis as unknown as Record<string, RedisScript>)[name]!;
  return command.bind(redis);
}
