/**
 * Lua scripts behind the Redis sessions and counters. Each runs atomically in
 * Redis and costs one round trip, whatever number of keys it touches.
 *
 * Keys are derived inside the scripts from the key prefix (always ARGV[1]) and
 * the stored record, so this layout wants one Redis node (primary with
 * replicas, Sentinel), not Redis Cluster.
 *
 * Expiry. Timestamps in the records come from the service's clock; Redis
 * expires keys by its own. So that the two need not agree, keys get relative
 * TTLs: at creation, the session's length (end − createdAt); on extension, the
 * key's remaining TTL moved by exactly as much as the session's end moved. The
 * key then disappears when the session ends as the service's clock measures
 * it, even when the service and Redis disagree about the time of day.
 */

/** Key names and helpers shared by the session scripts. */
const SESSION_PRELUDE = `
local prefix = ARGV[1]
local expiryIndex = prefix .. 'session-expiry'
local function sessionKey(id) return prefix .. 'session:' .. id end
local function bearerKey(bearerHash) return prefix .. 'bearer:' .. bearerHash end
local function accountIndex(accountId) return prefix .. 'account-sessions:' .. accountId end
local function userIndex(accountId, userId) return prefix .. 'user-sessions:' .. accountId .. ':' .. userId end
local function appKeyIndex(accountId, appKey) return prefix .. 'appkey-sessions:' .. accountId .. ':' .. appKey end

-- An index lives as long as its longest-lived member.
local function keepAtLeast(key, ttl)
  local current = redis.call('PTTL', key)
  if current ~= -2 and current < ttl then redis.call('PEXPIRE', key, ttl) end
end

-- The moment Redis should forget a session: its idle end, capped by its hard end.
local function effectiveEnd(expiresAt, hardExpiresAt)
  if hardExpiresAt and hardExpiresAt < expiresAt then return hardExpiresAt end
  return expiresAt
end

-- Removes a session and its index entries; 1 when it existed.
local function endSession(id)
  redis.call('ZREM', expiryIndex, id)
  local f = redis.call('HMGET', sessionKey(id), 'bearerHash', 'accountId', 'userId', 'appKey')
  if not f[1] then return 0 end
  redis.call('DEL', sessionKey(id), bearerKey(f[1]))
  redis.call('ZREM', accountIndex(f[2]), id)
  redis.call('ZREM', userIndex(f[2], f[3]), id)
  if f[4] then redis.call('SREM', appKeyIndex(f[2], f[4]), id) end
  return 1
end
`;

const sessionScript = (body: string) => `${SESSION_PRELUDE}\n${body}`;

/** ARGV: prefix, idHash, ttl, then field, value, field, value… of the session hash. */
export const CREATE_SESSION = sessionScript(`
local id = ARGV[2]
local ttl = tonumber(ARGV[3])
local r = {}
for i = 4, #ARGV, 2 do r[ARGV[i]] = ARGV[i + 1] end
local key = sessionKey(id)
redis.call('DEL', key)
redis.call('HSET', key, unpack(ARGV, 4))
redis.call('PEXPIRE', key, ttl)
redis.call('SET', bearerKey(r.bearerHash), id, 'PX', ttl)
redis.call('ZADD', expiryIndex, r.expiresAt, id)
local byAccount = accountIndex(r.accountId)
redis.call('ZADD', byAccount, r.createdAt, id)
keepAtLeast(byAccount, ttl)
local byUser = userIndex(r.accountId, r.userId)
redis.call('ZADD', byUser, r.createdAt, id)
keepAtLeast(byUser, ttl)
if r.appKey then
  local byAppKey = appKeyIndex(r.accountId, r.appKey)
  redis.call('SADD', byAppKey, id)
  keepAtLeast(byAppKey, ttl)
end
return 1
`);

/**
 * ARGV: prefix, bearerHash. Returns the session hash as a flat field/value list, or nil.
 * The bearer key holds only the session's id: following it inside the script keeps the
 * bearer check at one round trip without a second copy of the record to keep in step.
 */
export const FIND_SESSION_BY_BEARER = sessionScript(`
local id = redis.call('GET', bearerKey(ARGV[2]))
if not id then return false end
return redis.call('HGETALL', sessionKey(id))
`);

/** ARGV: prefix, idHash, new expiresAt. Returns 1, or 0 when the session is gone. */
export const EXTEND_SESSION = sessionScript(`
local id = ARGV[2]
local key = sessionKey(id)
local f = redis.call('HMGET', key, 'expiresAt', 'hardExpiresAt', 'bearerHash', 'accountId', 'userId', 'appKey')
if not f[1] then
  redis.call('ZREM', expiryIndex, id)
  return 0
end
local hard = f[2] and tonumber(f[2]) or nil
local ttl = redis.call('PTTL', key) + effectiveEnd(tonumber(ARGV[3]), hard) - effectiveEnd(tonumber(f[1]), hard)
if ttl < 1 then ttl = 1 end
redis.call('HSET', key, 'expiresAt', ARGV[3])
redis.call('PEXPIRE', key, ttl)
redis.call('PEXPIRE', bearerKey(f[3]), ttl)
redis.call('ZADD', expiryIndex, ARGV[3], id)
keepAtLeast(accountIndex(f[4]), ttl)
keepAtLeast(userIndex(f[4], f[5]), ttl)
if f[6] then keepAtLeast(appKeyIndex(f[4], f[6]), ttl) end
return 1
`);

/** ARGV: prefix, idHash. Returns 1 when the session existed. */
export const DELETE_SESSION = sessionScript(`return endSession(ARGV[2])`);

/** KEYS: one index (sorted set, or set when ARGV[2] is 'set'). Ends every session in it; returns how many existed. */
export const DELETE_INDEXED_SESSIONS = sessionScript(`
local ids
if ARGV[2] == 'set' then ids = redis.call('SMEMBERS', KEYS[1]) else ids = redis.call('ZRANGE', KEYS[1], 0, -1) end
local ended = 0
for _, id in ipairs(ids) do ended = ended + endSession(id) end
redis.call('DEL', KEYS[1])
return ended
`);

/**
 * KEYS: a sorted index (by createdAt). ARGV: prefix, now. Returns the live
 * sessions oldest first (ties by id, as the SQL backends order them). Members
 * whose session Redis has already expired are removed on the way.
 */
export const LIST_SESSIONS = sessionScript(`
local now = tonumber(ARGV[2])
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = sessionKey(id)
  local expiresAt = redis.call('HGET', key, 'expiresAt')
  if not expiresAt then
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', expiryIndex, id)
  elseif tonumber(expiresAt) > now then
    out[#out + 1] = redis.call('HGETALL', key)
  end
end
return out
`);

/** ARGV: prefix, now, batch size. Returns {sessions ended, index members visited}. */
export const DELETE_EXPIRED_SESSIONS = sessionScript(`
local now = tonumber(ARGV[2])
local ids = redis.call('ZRANGEBYSCORE', expiryIndex, '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local ended = 0
for _, id in ipairs(ids) do
  local expiresAt = redis.call('HGET', sessionKey(id), 'expiresAt')
  if expiresAt and tonumber(expiresAt) > now then
    redis.call('ZADD', expiryIndex, expiresAt, id)
  else
    ended = ended + endSession(id)
  end
end
return {ended, #ids}
`);

/** Key names shared by the counter scripts; ARGV[2] is a counter's name where a script has one. */
const COUNTER_PRELUDE = `
local prefix = ARGV[1]
local expiryIndex = prefix .. 'counter-expiry'
local function counterKey(name) return prefix .. 'counter:' .. name end
`;

const counterScript = (body: string) => `${COUNTER_PRELUDE}\n${body}`;

/**
 * ARGV: prefix, name, windowMs, now, limit, baseMs, maxMs. Fixed window: the
 * count starts again at 1 once the window has ended. Returns {count, resetAt};
 * when the counter is blocked (src/security/counters.ts, CounterBlock),
 * nothing changes and the answer is {0}.
 */
export const INCREMENT_COUNTER_UNLESS_BLOCKED = counterScript(`
local key = counterKey(ARGV[2])
local now = tonumber(ARGV[4])
local c = redis.call('HMGET', key, 'count', 'resetAt', 'updatedAt')
local count, resetAt
if c[1] and tonumber(c[2]) > now then
  local current = tonumber(c[1])
  local limit = tonumber(ARGV[5])
  if current >= limit then
    local blockMs = math.min(tonumber(ARGV[6]) * 2 ^ math.min(current - limit, 30), tonumber(ARGV[7]))
    if tonumber(c[3]) + blockMs > now then return {0} end
  end
  count = current + 1
  resetAt = c[2]
else
  count = 1
  resetAt = string.format('%.0f', now + tonumber(ARGV[3]))
end
redis.call('HSET', key, 'count', count, 'resetAt', resetAt, 'updatedAt', ARGV[4])
local ttl = tonumber(resetAt) - now
if ttl < 1 then ttl = 1 end
redis.call('PEXPIRE', key, ttl)
redis.call('ZADD', expiryIndex, resetAt, ARGV[2])
return {count, resetAt}
`);

/** ARGV: prefix, name, resetAt. Takes back one increment of the window ending at resetAt. */
export const RELEASE_COUNTER = counterScript(`
local key = counterKey(ARGV[2])
local c = redis.call('HMGET', key, 'count', 'resetAt')
if c[1] and c[2] == ARGV[3] and tonumber(c[1]) > 0 then redis.call('HINCRBY', key, 'count', -1) end
return 1
`);

/** ARGV: prefix, now, batch size. Returns {counters removed, index members visited}. */
export const DELETE_EXPIRED_COUNTERS = counterScript(`
local now = tonumber(ARGV[2])
local names = redis.call('ZRANGEBYSCORE', expiryIndex, '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local removed = 0
for _, name in ipairs(names) do
  local key = counterKey(name)
  local resetAt = redis.call('HGET', key, 'resetAt')
  if resetAt and tonumber(resetAt) > now then
    redis.call('ZADD', expiryIndex, resetAt, name)
  else
    if resetAt then
      redis.call('DEL', key)
      removed = removed + 1
    end
    redis.call('ZREM', expiryIndex, name)
  end
end
return {removed, #names}
`);
