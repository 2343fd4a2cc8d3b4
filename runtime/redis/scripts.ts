/**
 * The Lua scripts that move a call between its states (keys: runtime/redis/keys.ts, fields:
 * runtime/redis/wire.ts). Each touches the keys of one unit only (one hash tag, one cluster slot),
 * so each step is atomic: a result and the wake-ups of its callers, a retry and the removal of
 * the delivery it replaces, a hand-back and its new entry.
 *
 * Every script that ends a delivery acknowledges AND deletes its stream entry (XACK + XDEL): the
 * stream holds only waiting and running work, so its length and pending count are what KEDA scales on.
 * Times come from the server (TIME), so pods with skewed clocks agree on when a retry is due.
 */
import { WORK_GROUP } from "./keys.ts";
import { script } from "./client.ts";

const NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)";
const ACK = (key: string, id: string) => `if ${id} ~= '' then redis.call('XACK', ${key}, '${WORK_GROUP}', ${id}) redis.call('XDEL', ${key}, ${id}) end`;
const GROUP = (key: string) => `if redis.call('EXISTS', ${key}) == 0 then redis.pcall('XGROUP', 'CREATE', ${key}, '${WORK_GROUP}', '0', 'MKSTREAM') end`;

/**
 * A new call. KEYS: call, work. ARGV: meta, args, ttlMs, local id.
 * The consumer group is created from the stream's start if nobody made it yet, so no entry is skipped.
 */
const ENQUEUE_BODY = `
${GROUP("KEYS[2]")}
redis.call('HSET', KEYS[1], 'meta', ARGV[1], 'args', ARGV[2], 'deliveries', 0, 'failures', 0, 'released', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('XADD', KEYS[2], '*', 'call', ARGV[4])
`;
export const ENQUEUE = script("enqueue", ENQUEUE_BODY);

/**
 * A call that may be made more than once under one id (a schedule's tick: the CronJob retries its
 * Job with the same name): ENQUEUE unless the call's record exists. Same KEYS and ARGV; returns
 * the entry id, or 0 when the call was already made. Its source goes into the CronJob's
 * `redis-cli EVAL` (provider/kubernetes/schedule.ts).
 */
export const ENQUEUE_ONCE = script("enqueue-once", `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end${ENQUEUE_BODY}`);

/**
 * A delivery is admitted. KEYS: call, result, work. ARGV: entry id.
 * {0}: the call already ended (duplicate, cancelled): the entry is dropped.
 * {-1}: the call record is gone (expired, or never written): the entry is dropped.
 * {1, deliveries, failures, released, meta, args}: run it (deliveries counts this one).
 */
export const ADMIT = script("admit", `
if redis.call('EXISTS', KEYS[2]) == 1 then ${ACK("KEYS[3]", "ARGV[1]")} return {0} end
if redis.call('EXISTS', KEYS[1]) == 0 then ${ACK("KEYS[3]", "ARGV[1]")} return {-1} end
local d = redis.call('HINCRBY', KEYS[1], 'deliveries', 1)
local v = redis.call('HMGET', KEYS[1], 'failures', 'released', 'meta', 'args')
return {1, d, tonumber(v[1] or '0'), tonumber(v[2] or '0'), v[3], v[4] or ''}
`);

/**
 * The call's one result. KEYS: result, call, waiters, work, dead. ARGV: envelope, ttlMs, entry id
 * ('' for a cancel), error summary ('' when ok or cancelled: nothing dead-lettered), local id, attempt.
 * SET NX: the first result stays; a later one is dropped (returns 0). The winner wakes the callers
 * registered in `waiters` (RPUSH of the call id on each inbox) and, for a final error, dead-letters the call.
 */
export const FINISH = script("finish", `
local won = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
if won then
  for _, inbox in ipairs(redis.call('SMEMBERS', KEYS[3])) do
    redis.call('RPUSH', inbox, ARGV[5])
    redis.call('PEXPIRE', inbox, 86400000)
  end
  redis.call('DEL', KEYS[3])
  if ARGV[4] ~= '' then
    redis.call('XADD', KEYS[5], 'MAXLEN', '~', '100000', '*', 'call', ARGV[5], 'error', ARGV[4], 'attempts', ARGV[6])
  elseif ARGV[3] ~= '' then
    redis.call('HDEL', KEYS[2], 'args')
  end
end
${ACK("KEYS[4]", "ARGV[3]")}
if won then return 1 end
return 0
`);

/**
 * A failed attempt with attempts left. KEYS: result, call, work, retry. ARGV: entry id, delay ms,
 * local id, last error. The entry is replaced by a member of the retry set due after the delay
 * (promoted back onto the stream by PROMOTE). Returns the call's failures, or -1 when it ended meanwhile.
 */
export const RETRY = script("retry", `
${ACK("KEYS[3]", "ARGV[1]")}
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local f = redis.call('HINCRBY', KEYS[2], 'failures', 1)
redis.call('HSET', KEYS[2], 'lastError', ARGV[4])
${NOW}
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[2]), ARGV[3])
return f
`);

/**
 * A delivery handed back unfinished (drain ran out, a neighbour ended the container): a fresh
 * entry at once, counted as released (not a crash, not an attempt). KEYS: result, call, work.
 * ARGV: entry id, local id. Returns 1, or 0 when the call ended meanwhile.
 */
export const RELEASE = script("release", `
${ACK("KEYS[3]", "ARGV[1]")}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HINCRBY', KEYS[2], 'released', 1)
redis.call('XADD', KEYS[3], '*', 'call', ARGV[2])
return 1
`);

/**
 * Due retries back onto the stream. KEYS: retry, work. ARGV: at most this many.
 * Returns {moved, ms until the next one is due (-1: none waits)}.
 */
export const PROMOTE = script("promote", `
${NOW}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, id in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', 'call', id)
  redis.call('ZREM', KEYS[1], id)
end
local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #nxt == 0 then return {#due, -1} end
return {#due, math.max(0, tonumber(nxt[2]) - now)}
`);

/**
 * Keeps this consumer's running entries from being claimed (resets their idle time), only for the
 * entries it still owns: one another consumer claimed is not taken back. KEYS: work. ARGV: consumer,
 * entry ids... Returns the ids it no longer owns.
 */
export const HEARTBEAT = script("heartbeat", `
local lost = {}
for i = 2, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], '${WORK_GROUP}', ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == ARGV[1] then
    redis.call('XCLAIM', KEYS[1], '${WORK_GROUP}', ARGV[1], 0, ARGV[i], 'JUSTID')
  else
    table.insert(lost, ARGV[i])
  end
end
return lost
`);

/**
 * A dead-lettered call back on the work stream (`gantry redrive`, runtime/redis/ops.ts). KEYS:
 * result, call, work, dead. ARGV: dead entry id, local id, ttl ms, dry run ('1' changes nothing).
 * A dead entry exists only beside the call's failed result (FINISH writes both), so: the result
 * is deleted (a worker drops an entry whose call already ended), the counters reset (the retries
 * and the crash limit start over), the record's life renewed, a fresh work entry added with the
 * same local id, the dead entry deleted, all at once. Returns 1 (moved), 0 (the call record or its
 * arguments expired: nothing to run), 2 (no result: the call is pending again); the entry stays
 * on 0 and 2, as on AWS.
 */
export const REDRIVE = script("redrive", `
if redis.call('HEXISTS', KEYS[2], 'args') == 0 then return 0 end
if redis.call('EXISTS', KEYS[1]) == 0 then return 2 end
if ARGV[4] == '1' then return 1 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], 'deliveries', 0, 'failures', 0, 'released', 0)
redis.call('HDEL', KEYS[2], 'lastError')
redis.call('PEXPIRE', KEYS[2], ARGV[3])
${GROUP("KEYS[3]")}
redis.call('XADD', KEYS[3], '*', 'call', ARGV[2])
redis.call('XDEL', KEYS[4], ARGV[1])
return 1
`);
