"""The Lua scripts of the Redis counter store.

Redis runs a script as one command: nothing else executes between its first and its last
call, on any connection. That is the whole exactness argument for the Redis backend: the
check ("is there room in every window and every hard budget?") and the write ("record
the request, reserve its worst case") cannot be separated by another replica's request.

Layout (every key of one brand carries the brand's ``{client_id}`` hash tag, so a script
touching a token's and its brand's keys stays in one Redis Cluster slot):

- a window: a sorted set, member = request id, score = admission time (ms);
- a budget: a hash with ``spent`` and ``reserved`` (integer nano-dollars) and one field
  ``r:<request id>`` per open reservation holding its amount, plus a sorted set of those
  request ids scored by when the reservation expires (ms).

Time: ``ARGV[1]`` is the caller's clock in ms, or empty to use the Redis server's clock
(``TIME``), the default, so that replicas with skewed clocks still share one timeline.
Budget keys expire relative to that same clock (``PEXPIRE`` of ``expire_at - now``, at
least an hour), so an injected clock and Redis's own never disagree about them.
Integers travel as strings and are only ever added as integers (``HINCRBY``).
"""

from __future__ import annotations

_NOW = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function keep_until(key, expire_at)
  redis.call('PEXPIRE', key, math.max(tonumber(expire_at) - now, 3600000))
end
"""

# KEYS: the window sets, then per budget its hash and its reservation set.
# ARGV: now_ms|'', member, n_windows, n_budgets, amount, reservation_ttl_ms,
#       per window: span_ms, limit; per budget: cap, hard (1/0), expire_at_ms.
# Returns: {refused_window (1-based, 0 none), refused_budget (same),
#           per window: count, reset_ms; per budget: spent, reserved}.
ADMIT = (
    _NOW
    + """
local member = ARGV[2]
local nw = tonumber(ARGV[3])
local nb = tonumber(ARGV[4])
local amount = ARGV[5]
local ttl = tonumber(ARGV[6])
local a = 7
local refused_w = 0
local windows = {}
for i = 1, nw do
  local key = KEYS[i]
  local span = tonumber(ARGV[a])
  local limit = tonumber(ARGV[a + 1])
  a = a + 2
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
  local count = redis.call('ZCARD', key)
  local reset = span
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if oldest[2] then reset = tonumber(oldest[2]) + span - now end
  windows[i] = {count, reset, span}
  if refused_w == 0 and count >= limit then refused_w = i end
end
local refused_b = 0
local budgets = {}
for j = 1, nb do
  local h = KEYS[nw + 2 * j - 1]
  local z = KEYS[nw + 2 * j]
  local cap = tonumber(ARGV[a])
  local hard = ARGV[a + 1] == '1'
  local expire_at = ARGV[a + 2]
  a = a + 3
  local expired = redis.call('ZRANGEBYSCORE', z, '-inf', now)
  for _, id in ipairs(expired) do
    local amt = redis.call('HGET', h, 'r:' .. id)
    if amt then
      redis.call('HDEL', h, 'r:' .. id)
      redis.call('HINCRBY', h, 'reserved', -tonumber(amt))
    end
  end
  if #expired > 0 then redis.call('ZREMRANGEBYSCORE', z, '-inf', now) end
  local spent = tonumber(redis.call('HGET', h, 'spent') or '0')
  local reserved = tonumber(redis.call('HGET', h, 'reserved') or '0')
  budgets[j] = {spent, reserved, h, z, expire_at}
  if hard and refused_b == 0 and spent + reserved + tonumber(amount) > cap then
    refused_b = j
  end
end
if refused_w == 0 and refused_b == 0 then
  for i = 1, nw do
    redis.call('ZADD', KEYS[i], now, member)
    redis.call('PEXPIRE', KEYS[i], windows[i][3])
    windows[i][1] = windows[i][1] + 1
  end
  for j = 1, nb do
    local b = budgets[j]
    redis.call('HSET', b[3], 'r:' .. member, amount)
    redis.call('HINCRBY', b[3], 'reserved', amount)
    redis.call('ZADD', b[4], now + ttl, member)
    keep_until(b[3], b[5])
    keep_until(b[4], b[5])
  end
end
local out = {refused_w, refused_b}
for i = 1, nw do
  out[#out + 1] = windows[i][1]
  out[#out + 1] = windows[i][2]
end
for j = 1, nb do
  out[#out + 1] = budgets[j][1]
  out[#out + 1] = budgets[j][2]
end
return out
"""
)

# KEYS: the window sets. ARGV: now_ms|'', per window: span_ms.
# Returns: per window: count, reset_ms, as ADMIT reports them but recording nothing.
# Read-only: a request is in its window while ``now - score < span``, which is exactly
# what ADMIT leaves after trimming ``score <= now - span``.
PEEK = (
    _NOW
    + """
local out = {}
for i = 1, #KEYS do
  local span = tonumber(ARGV[i + 1])
  local after = '(' .. (now - span)
  local count = redis.call('ZCOUNT', KEYS[i], after, '+inf')
  local reset = span
  local oldest = redis.call('ZRANGEBYSCORE', KEYS[i], after, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if oldest[2] then reset = tonumber(oldest[2]) + span - now end
  out[#out + 1] = count
  out[#out + 1] = reset
end
return out
"""
)

# KEYS: per budget its hash and its reservation set.
# ARGV: now_ms|'', member, actual (nano, '' to release without spending),
#       per budget: expire_at_ms.
SETTLE = (
    _NOW
    + """
local member = ARGV[2]
local actual = ARGV[3]
for j = 1, #KEYS / 2 do
  local h = KEYS[2 * j - 1]
  local z = KEYS[2 * j]
  local amt = redis.call('HGET', h, 'r:' .. member)
  if amt then
    redis.call('HDEL', h, 'r:' .. member)
    redis.call('HINCRBY', h, 'reserved', -tonumber(amt))
    redis.call('ZREM', z, member)
  end
  if actual ~= '' then
    redis.call('HINCRBY', h, 'spent', actual)
    keep_until(h, ARGV[3 + j])
  end
end
return 1
"""
)

# KEYS: a budget's hash. ARGV: now_ms|'', spent (nano) from the ledger, expire_at_ms.
# The spend only ever goes up: the ledger is written behind, so it may lag what the
# counter already holds, and must not pull it down.
SEED = (
    _NOW
    + """
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
if tonumber(ARGV[2]) > spent then
  redis.call('HSET', KEYS[1], 'spent', ARGV[2])
end
keep_until(KEYS[1], ARGV[3])
return 1
"""
)
