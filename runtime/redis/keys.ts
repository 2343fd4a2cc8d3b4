/**
 * Where a stack's state lives in Redis. One hash tag per unit (`{<namespace>:<unit>}`) puts every
 * key a unit's scripts touch in one cluster slot, so each completion, retry and claim is one Lua
 * script on one shard. The provider (ScaledObject triggers, ACL key patterns) and the transport
 * (runtime/redis/) both read names from here, never spell them.
 *
 *   work     stream of inputs, consumer group WORK_GROUP (KEDA reads its lag and pending entries)
 *   retry    sorted set of inputs waiting for their backoff, scored by ready time (ms)
 *   dead     stream of dead-lettered inputs (crash limit, retries exhausted)
 *   autoscaler  hash of the unit's `updateAutoscaler` settings (min/max/buffer/scaledownWindow, updatedAt)
 *   prefix   everything else of the unit (call records, results, the lists callers block on) starts here
 *
 * Per call (callKeys): `call:<id>` hash (arguments, delivery counters), `result:<id>` the one result
 * (SET NX), `waiters:<id>` set of caller inboxes to wake, `inbox:<process>` a caller's wake-up list.
 */

/** The consumer group every container of a unit reads the work stream through. */
export const WORK_GROUP = "workers";

export interface UnitKeys {
  /** the hash tag shared by every key below */
  tag: string;
  work: string;
  retry: string;
  dead: string;
  /** hash of the unit's `updateAutoscaler` settings, read by the Kubernetes side (KEDA's scaler) */
  autoscaler: string;
  /** `${prefix}<anything>`: the unit's other keys (call records, results, waiters) */
  prefix: string;
}

/** Keys of one unit (function, class or variant id) of the stack `namespace`. */
export function unitKeys(namespace: string, unit: string): UnitKeys {
  checkPart("namespace", namespace);
  checkPart("unit", unit);
  const tag = `{${namespace}:${unit}}`;
  const base = `gantry:${tag}:`;
  return { tag, work: `${base}work`, retry: `${base}retry`, dead: `${base}dead`, autoscaler: `${base}autoscaler`, prefix: base };
}

/** The keys of one call of a unit (its id's local part, runtime/redis/wire.ts), all in the unit's slot. */
export interface CallKeys {
  /** hash: meta (JSON), args (bytes), deliveries, failures, released, lastError */
  call: string;
  /** the call's one result (SET NX PX): a packed envelope (runtime/redis/wire.ts) */
  result: string;
  /** set of caller inboxes to wake when the call ends */
  waiters: string;
}

export function callKeys(unit: UnitKeys, callId: string): CallKeys {
  return { call: `${unit.prefix}call:${callId}`, result: `${unit.prefix}result:${callId}`, waiters: `${unit.prefix}waiters:${callId}` };
}

/** A caller process's wake-up list for the calls it waits on in this unit (call ids are pushed on it). */
export function inboxKey(unit: UnitKeys, caller: string): string {
  return `${unit.prefix}inbox:${caller}`;
}

/** Keys of a `Dict` or `Queue` declared by name (its own slot: shared by every unit that uses it). */
export function stateKey(namespace: string, kind: "dict" | "queue", name: string): string {
  checkPart("namespace", namespace);
  checkPart(kind, name);
  return `gantry:{${namespace}:${kind}:${name}}`;
}

/** The pattern of every key of the stack (`KEYS`-style glob; ACL `~pattern`). */
export function namespacePattern(namespace: string): string {
  checkPart("namespace", namespace);
  return `gantry:{${namespace}:*`;
}

function checkPart(what: string, value: string): void {
  // braces would move the hash tag; whitespace and glob characters would break ACL key patterns
  if (!value || /[{}\s*?[\]\\]/.test(value.replace(/\[[^\]]*\]$/, ""))) {
    throw new Error(`${what} ${JSON.stringify(value)} cannot name a Redis key (no braces, whitespace or glob characters)`);
  }
}

/** `literal` followed by anything, as a Redis glob (ACL `~…`, SCAN MATCH): variant ids' brackets escaped. */
export function globPrefix(literal: string): string {
  return `${literal.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
}
