/**
 * Lua scripts behind the OAuth grants in Redis (oauth.ts). Each runs
 * atomically and costs one round trip; keys are derived from the prefix
 * (always ARGV[1]) and the records, so this wants one Redis node, as the
 * session scripts do (scripts.ts).
 *
 * Codes and refresh tokens get relative TTLs from their own times (their
 * life as the service's clock measures it), so Redis forgets them when the
 * service would. Revocation marks hold their end (`until`) and are compared
 * with the caller's `now`; their TTL only frees the memory.
 */

const OAUTH_PRELUDE = `
local prefix = ARGV[1]
local function codeKey(h) return prefix .. 'oauth-code:' .. h end
local function tokenKey(h) return prefix .. 'oauth-refresh:' .. h end
local function familyKey(f) return prefix .. 'oauth-family:' .. f end
local function familyMarkKey(f) return prefix .. 'oauth-family-revoked:' .. f end
local function userIndex(a, u) return prefix .. 'oauth-user-families:' .. a .. ':' .. u end
local function clientIndex(a, c) return prefix .. 'oauth-client-families:' .. a .. ':' .. c end

-- An index lives as long as its longest-lived member.
local function keepAtLeast(key, ttl)
  local current = redis.call('PTTL', key)
  if current ~= -2 and current < ttl then redis.call('PEXPIRE', key, ttl) end
end

-- A revocation mark holding its end; a later mark never shortens it.
local function mark(key, endText, ttl)
  local current = redis.call('GET', key)
  if current and tonumber(current) >= tonumber(endText) then
    keepAtLeast(key, ttl)
    return
  end
  local left = redis.call('PTTL', key)
  if left > ttl then ttl = left end
  redis.call('SET', key, endText, 'PX', ttl)
end

local function familyRevoked(f, now)
  local e = redis.call('GET', familyMarkKey(f))
  return e and tonumber(e) > now
end

-- Indexes a code ('c:') or refresh token ('r:') under its family, and the family under its user and client.
local function index(member, familyId, accountId, userId, clientId, ttl)
  local fk = familyKey(familyId)
  redis.call('SADD', fk, member)
  keepAtLeast(fk, ttl)
  local uk = userIndex(accountId, userId)
  redis.call('SADD', uk, familyId)
  keepAtLeast(uk, ttl)
  local ck = clientIndex(accountId, clientId)
  redis.call('SADD', ck, familyId)
  keepAtLeast(ck, ttl)
end

-- Deletes a family's refresh tokens, and its codes too when withCodes; returns how many of them still existed.
local function endFamily(f, withCodes)
  local fk = familyKey(f)
  local existed = 0
  for _, m in ipairs(redis.call('SMEMBERS', fk)) do
    local kind = string.sub(m, 1, 1)
    local h = string.sub(m, 3)
    if kind == 'r' then
      existed = existed + redis.call('DEL', tokenKey(h))
      redis.call('SREM', fk, m)
    elseif withCodes then
      existed = existed + redis.call('DEL', codeKey(h))
      redis.call('SREM', fk, m)
    end
  end
  return existed
end

local function toTable(flat)
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end
`;

const oauthScript = (body: string) => `${OAUTH_PRELUDE}\n${body}`;

/** ARGV: prefix, ttl, then field, value… of the code. */
export const SAVE_CODE = oauthScript(`
local ttl = tonumber(ARGV[2])
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
local c = toTable(fields)
local key = codeKey(c.codeHash)
redis.call('DEL', key)
redis.call('HSET', key, 'uses', '0', unpack(fields))
redis.call('PEXPIRE', key, ttl)
index('c:' .. c.codeHash, c.familyId, c.accountId, c.userId, c.clientId, ttl)
return 1
`);

/** ARGV: prefix, codeHash, now. Counts a use; returns the code's fields (with `uses`), or nil when unknown or expired. */
export const TAKE_CODE = oauthScript(`
local key = codeKey(ARGV[2])
local expiresAt = redis.call('HGET', key, 'expiresAt')
if not expiresAt or tonumber(expiresAt) <= tonumber(ARGV[3]) then return false end
redis.call('HINCRBY', key, 'uses', 1)
return redis.call('HGETALL', key)
`);

/** ARGV: prefix, ttl, then field, value… of the token. Nothing is saved into a revoked family. */
export const SAVE_REFRESH_TOKEN = oauthScript(`
local ttl = tonumber(ARGV[2])
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
local r = toTable(fields)
if redis.call('EXISTS', familyMarkKey(r.familyId)) == 1 then return 0 end
local key = tokenKey(r.tokenHash)
redis.call('DEL', key)
redis.call('HSET', key, 'rotated', '0', unpack(fields))
redis.call('PEXPIRE', key, ttl)
index('r:' .. r.tokenHash, r.familyId, r.accountId, r.userId, r.clientId, ttl)
return 1
`);

/** ARGV: prefix, tokenHash, now. The token's fields when it is current, unexpired and its family unrevoked; else nil. */
export const FIND_REFRESH_TOKEN = oauthScript(`
local stored = redis.call('HGETALL', tokenKey(ARGV[2]))
if #stored == 0 then return false end
local r = toTable(stored)
if r.rotated == '1' or tonumber(r.expiresAt) <= tonumber(ARGV[3]) or familyRevoked(r.familyId, tonumber(ARGV[3])) then return false end
return stored
`);

/**
 * ARGV: prefix, tokenHash, now, reuse mark end, reuse mark ttl, next token's ttl, then field, value… of
 * the next token (its familyId is replaced by the presented token's). Returns {'rotated', fields of the
 * presented token}, {'reused', familyId} or {'unknown'}.
 */
export const ROTATE_REFRESH_TOKEN = oauthScript(`
local now = tonumber(ARGV[3])
local key = tokenKey(ARGV[2])
local stored = redis.call('HGETALL', key)
if #stored == 0 then return {'unknown'} end
local r = toTable(stored)
if tonumber(r.expiresAt) <= now or familyRevoked(r.familyId, now) then return {'unknown'} end
if r.rotated == '1' then
  mark(familyMarkKey(r.familyId), ARGV[4], tonumber(ARGV[5]))
  endFamily(r.familyId, false)
  return {'reused', r.familyId}
end
redis.call('HSET', key, 'rotated', '1')
local ttl = tonumber(ARGV[6])
local fields = {}
for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
local n = toTable(fields)
local nextKey = tokenKey(n.tokenHash)
redis.call('DEL', nextKey)
redis.call('HSET', nextKey, 'rotated', '0', unpack(fields))
redis.call('HSET', nextKey, 'familyId', r.familyId)
redis.call('PEXPIRE', nextKey, ttl)
index('r:' .. n.tokenHash, r.familyId, n.accountId, n.userId, n.clientId, ttl)
return {'rotated', stored}
`);

/** ARGV: prefix, familyId, until, ttl. Marks the family and deletes its refresh tokens (its codes stay). */
export const REVOKE_FAMILY = oauthScript(`
mark(familyMarkKey(ARGV[2]), ARGV[3], tonumber(ARGV[4]))
endFamily(ARGV[2], false)
return 1
`);

/**
 * KEYS: a user's or client's family index. ARGV: prefix, until, ttl. Deletes the codes and tokens of
 * every family in it and marks those that had any; returns how many did.
 */
export const REVOKE_INDEXED_FAMILIES = oauthScript(`
local ended = 0
for _, f in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if endFamily(f, true) > 0 then
    mark(familyMarkKey(f), ARGV[2], tonumber(ARGV[3]))
    ended = ended + 1
  end
end
redis.call('DEL', KEYS[1])
return ended
`);

/** KEYS: the mark. ARGV: prefix, until, ttl. */
export const MARK = oauthScript(`
mark(KEYS[1], ARGV[2], tonumber(ARGV[3]))
return 1
`);
