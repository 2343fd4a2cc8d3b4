/**
 * Redis ACL rules (Redis 7 `ACL SETUSER <user> on ><password> <rules…>`) that give each unit only
 * its own keys plus what its calls need, and KEDA a read-only view. The Kubernetes provider writes
 * them into the server's ACL file (or applies them to an existing server); the transport tests
 * prove a unit is refused (NOPERM) on another unit's keys.
 *
 * First version: a unit gets every command a transport needs on its own keys, on the keys of the
 * units it calls, and on the Dicts and Queues it uses; nothing else, no admin or dangerous
 * commands. (The Redis transport tightens caller access to enqueue + read-result as its key
 * layout settles.)
 */
import { globPrefix, namespacePattern, stateKey, unitKeys } from "./keys.ts";

export interface UnitAccess {
  /** the unit's own id */
  unit: string;
  /** unit ids it calls with `.remote()` / `.spawn()` / `.map()` */
  calls: string[];
  dicts: string[];
  queues: string[];
}

/** The commands a unit's connection may run (node-redis' HELLO/AUTH/CLIENT SETNAME handshake included). */
const UNIT_COMMANDS = [
  "-@all",
  "+@read", "+@write", "+@stream", "+@list", "+@hash", "+@sortedset", "+@string", "+@keyspace", "+@scripting",
  "+@connection", "+@transaction", "+@blocking",
  "-@admin", "-@dangerous",
  // TIME: the transport's scripts date retries by the server's clock (runtime/redis/scripts.ts)
  "+ping", "+info", "+time",
];

/** Rules after `ACL SETUSER <user> on ><password>`: the unit's key patterns and commands. */
export function unitAclRules(namespace: string, access: UnitAccess): string[] {
  const patterns = [access.unit, ...access.calls].map((u) => `~${globPrefix(unitKeys(namespace, u).prefix)}`);
  for (const d of access.dicts) patterns.push(`~${globPrefix(stateKey(namespace, "dict", d))}`);
  for (const q of access.queues) patterns.push(`~${globPrefix(stateKey(namespace, "queue", q))}`);
  return ["resetkeys", "resetchannels", ...[...new Set(patterns)].sort(), ...UNIT_COMMANDS];
}

/** KEDA's scaler: read-only stream, list and sorted-set sizes of every key of the stack. */
export function kedaAclRules(namespace: string): string[] {
  return [
    "resetkeys", "resetchannels", `%R~${namespacePattern(namespace)}`,
    "-@all", "+xinfo", "+xpending", "+xlen", "+llen", "+zcard", "+zcount", "+ping", "+info", "+hello", "+auth", "+client|setname", "+select",
  ];
}
