"""The Lua scripts of the shared key state (Redis), one per thing routing does with a key.

Redis runs a script as one command, so what one replica checks and what it writes cannot
be separated by another replica's request: that is how a key limited to 30 requests a
minute is sent at most 30 a minute whatever the number of replicas (``RESERVE`` counts
the request in the same step that finds room for it, as governance's ``ADMIT`` does for
tokens). The rules are :mod:`gate_service.routing.health`'s, line for line; only the
clock differs: every time is the Redis server's (``TIME``, in ms), so replicas whose
clocks differ agree on every cooldown. ``ARGV[1]`` may carry a clock for tests.

Layout, per key (``<prefix>k:<key id>``): a hash of the key's state (fields below, ms
integers; absent = never set), and, only for a key with its own limits, the sorted sets
``…:m`` and ``…:d`` of the requests sent in the last minute and day (member = request,
score = when). A model's cooldown (a provider 404) is ``<prefix>m:<provider>:<model>``,
expiring with the cooldown. The hash lives a week after its last change; an ``invalid``
mark is also kept in the database.

Every script answers the key's state after it ran (``_REPLY``), so the caller's own
book mirrors the shared truth without another round trip:
``{status, now, inv, cd, fail, deg, qu, qs, oa, ps, pu, rr, lr, rt, lt, qr, until}``.
"""

from __future__ import annotations

FIELDS = ("inv", "cd", "fail", "deg", "qu", "qs", "oa", "ps", "pu", "rr", "lr", "rt", "lt", "qr")
"""The hash's fields: invalid (1), cooldown until, consecutive outages, degraded until,
quarantined until, quarantine length, last outage at, probe sent at, probe until, the
provider's remaining and limit of requests and tokens, and when that quota resets."""

_COMMON = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local H = KEYS[1]
local F = {'inv','cd','fail','deg','qu','qs','oa','ps','pu','rr','lr','rt','lt','qr'}
local function load()
  local v = redis.call('HMGET', H, unpack(F))
  local s = {}
  for i, name in ipairs(F) do s[name] = tonumber(v[i]) end
  return s
end
local function num(x, d)
  if x == nil then return d end
  return x
end
local function int(x) return string.format('%d', x) end
local function reply(status, s, untl)
  local out = {status, int(now)}
  for _, name in ipairs(F) do
    if s[name] == nil then out[#out + 1] = '' else out[#out + 1] = int(s[name]) end
  end
  out[#out + 1] = int(untl or 0)
  return out
end
local function save(s, changed)
  for _, name in ipairs(changed) do
    if s[name] == nil then
      redis.call('HDEL', H, name)
    else
      redis.call('HSET', H, name, int(s[name]))
    end
  end
  redis.call('PEXPIRE', H, 604800000)
end
"""

# KEYS: the hash, the minute set, the day set, the model's cooldown.
# ARGV: now|'', rpm (0: none), rpd (0: none), member, probe_hold_ms.
# A refusal names the reason routing records (``skip_reason``) and until when it holds.
RESERVE = (
    _COMMON
    + """
local s = load()
local mc = tonumber(redis.call('GET', KEYS[4]))
if mc and mc > now then return reply('model_cooldown', s, mc) end
if s.inv == 1 then return reply('invalid', s, 0) end
if num(s.cd, 0) > now then return reply('cooldown', s, s.cd) end
local fail = num(s.fail, 0)
if fail >= 3 and num(s.qu, 0) > now then return reply('unhealthy', s, s.qu) end
if fail >= 3 and num(s.pu, 0) > now then return reply('probing', s, s.pu) end
if num(s.qr, 0) > now and (s.rr == 0 or s.rt == 0) then
  return reply('no_headroom', s, s.qr)
end
local windows = {}
local rpm, rpd = tonumber(ARGV[2]), tonumber(ARGV[3])
if rpm > 0 then windows[#windows + 1] = {KEYS[2], 60000, rpm} end
if rpd > 0 then windows[#windows + 1] = {KEYS[3], 86400000, rpd} end
for _, w in ipairs(windows) do
  redis.call('ZREMRANGEBYSCORE', w[1], '-inf', now - w[2])
  if redis.call('ZCARD', w[1]) >= w[3] then
    local oldest = redis.call('ZRANGE', w[1], 0, 0, 'WITHSCORES')
    return reply('no_headroom', s, tonumber(oldest[2]) + w[2])
  end
end
for _, w in ipairs(windows) do
  redis.call('ZADD', w[1], now, ARGV[4])
  redis.call('PEXPIRE', w[1], w[2] + 1000)
end
local changed = {}
if s.rr and s.rr > 0 then
  s.rr = s.rr - 1
  changed[#changed + 1] = 'rr'
end
if fail >= 3 then
  s.ps = now
  s.pu = now + tonumber(ARGV[5])
  changed[#changed + 1] = 'ps'
  changed[#changed + 1] = 'pu'
end
if #changed > 0 then save(s, changed) end
return reply('ok', s, 0)
"""
)

# KEYS: the hash, the model's cooldown.
# ARGV: now|'', kind (bad|auth|model|rate|outage), sent_ms|'', retry_after_ms|'',
#       default_cooldown_ms, model_cooldown_ms, quarantine_ms, max_quarantine_ms,
#       outage_window_ms, degraded_ms.
FAILED = (
    _COMMON
    + """
local s = load()
local kind = ARGV[2]
local sent = tonumber(ARGV[3])
local changed = {}
if sent == nil or sent >= num(s.ps, -1) then
  s.pu = 0
  changed[#changed + 1] = 'pu'
end
if kind == 'auth' then
  s.inv = 1
  changed[#changed + 1] = 'inv'
elseif kind == 'model' then
  local span = tonumber(ARGV[6])
  redis.call('SET', KEYS[2], int(now + span), 'PX', span)
elseif kind == 'rate' then
  local wait = tonumber(ARGV[4]) or tonumber(ARGV[5])
  s.cd = now + wait
  s.rr = 0
  s.qr = s.cd
  changed[#changed + 1] = 'cd'
  changed[#changed + 1] = 'rr'
  changed[#changed + 1] = 'qr'
elseif kind == 'outage' then
  local fail = num(s.fail, 0)
  local new
  if fail >= 3 and num(s.qu, 0) > now then
    new = false
  elseif sent == nil then
    new = true
  elseif s.oa ~= nil and sent < s.oa then
    new = false
  else
    new = not (fail > 0 and s.oa ~= nil and now - s.oa < tonumber(ARGV[9]))
  end
  if new then
    fail = fail + 1
    s.fail = fail
    s.oa = now
    s.deg = now + tonumber(ARGV[10])
    if fail >= 3 then
      local qs = num(s.qs, 0)
      if qs > 0 then qs = qs * 2 else qs = tonumber(ARGV[7]) end
      qs = math.min(tonumber(ARGV[8]), qs)
      s.qs = qs
      s.qu = now + qs
      s.pu = 0
    end
    for _, name in ipairs({'fail', 'oa', 'deg', 'qs', 'qu'}) do changed[#changed + 1] = name end
  end
end
save(s, changed)
return reply('ok', s, 0)
"""
)

# KEYS: the hash. ARGV: now|'', sent_ms|'', quota (1/0), remaining requests, remaining
# tokens, limit requests, limit tokens (each ''), quota reset in ms.
SUCCEEDED = (
    _COMMON
    + """
local s = load()
local sent = tonumber(ARGV[2])
local changed = {}
if sent == nil or sent >= num(s.oa, -1) then
  s.fail, s.deg, s.qu, s.qs, s.pu = 0, 0, 0, 0, 0
  for _, name in ipairs({'fail', 'deg', 'qu', 'qs', 'pu'}) do changed[#changed + 1] = name end
end
if ARGV[3] == '1' then
  s.rr, s.rt = tonumber(ARGV[4]), tonumber(ARGV[5])
  s.lr, s.lt = tonumber(ARGV[6]), tonumber(ARGV[7])
  s.qr = now + tonumber(ARGV[8])
  for _, name in ipairs({'rr', 'rt', 'lr', 'lt', 'qr'}) do changed[#changed + 1] = name end
end
save(s, changed)
return reply('ok', s, 0)
"""
)

# KEYS: the hash. ARGV: now|'', sent_ms. Frees the probe slot if this request was it.
RELEASED = (
    _COMMON
    + """
local s = load()
if tonumber(ARGV[2]) >= num(s.ps, -1) and num(s.pu, 0) > 0 then
  s.pu = 0
  save(s, {'pu'})
end
return reply('ok', s, 0)
"""
)
