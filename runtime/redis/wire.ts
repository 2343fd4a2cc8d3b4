/**
 * What travels through Redis between callers and workers (keys: runtime/redis/keys.ts).
 *
 * Call id: `<unit>/<local>` (`square/fc-3f…`): global, and it names the unit whose slot holds the
 * call, so `FunctionCall.fromId(id)` finds the result from any process that reaches the server.
 *
 * Per call (callKeys):
 * - `call:<local>` hash: `meta` (JSON CallMeta), `args` (bytes), counters `deliveries`, `failures`,
 *   `released` the workers keep while the call is pending (a crash is a delivery that ended without
 *   either: runtime/delivery.ts), `lastError`;
 * - `result:<local>`: the one result, written with SET NX (the first writer wins, forever): a
 *   msgpack ResultEnvelope;
 * - `waiters:<local>`: inboxes of callers waiting on it; the script that writes the result pushes
 *   the call id onto each.
 * A work-stream entry carries only `call` (the local id): retries, hand-backs and crash
 * redeliveries re-add that one field, the call's arguments stay in its hash.
 */
import { randomUUID } from "node:crypto";
import { pack, unpack } from "msgpackr";
import type { ErrorSummary } from "../aws/wire.ts";

export { summarize, type ErrorSummary } from "../aws/wire.ts";

export const REDIS_WIRE_VERSION = 1;

export type Encoding = "msgpack" | "json";

export interface CallMeta {
  v: number;
  callId: string;
  unit: string;
  method: string | null;
  params?: Record<string, unknown>;
  /** msgpack: args are runtime/serialize.ts `encodeArgs` bytes; json: a JSON array as text (web callers) */
  encoding: Encoding;
  kind?: "http";
  /** ms; per-input timeout when the caller sets one */
  timeoutMs?: number;
  enqueuedAt: number;
  source?: string;
}

export type ResultStatus = "ok" | "error" | "cancelled";

export interface ResultEnvelope {
  status: ResultStatus;
  encoding: Encoding;
  /** ok: the packed value (msgpack) or JSON text (json) */
  value?: Uint8Array | string;
  error?: ErrorSummary;
  /** the packed error (runtime/serialize.ts), for sdk callers */
  errorData?: Uint8Array;
  attempt?: number;
  /** which delivery wrote it (`<consumer>/<entry id>`), or `cancel` */
  by: string;
  finishedAt: number;
}

/** A fresh call id for `unit` (or the given local part, e.g. a schedule's `sched-<fn>-<time>`). */
export function newCallId(unit: string, local: string = `fc-${randomUUID()}`): string {
  if (local.includes("/")) throw new Error(`a call id's local part has no "/" (got ${JSON.stringify(local)})`);
  return `${unit}/${local}`;
}

export class UnknownCallIdError extends Error {
  override name = "UnknownCallIdError";
}

/** The unit and local part of a call id; a call id of another transport is refused with the reason. */
export function parseCallId(callId: string): { unit: string; local: string } {
  const at = callId.lastIndexOf("/");
  if (at <= 0 || at === callId.length - 1) {
    throw new UnknownCallIdError(`"${callId}" is not a call id of the Redis transport (they read <unit>/<id>, e.g. square/fc-…)`);
  }
  return { unit: callId.slice(0, at), local: callId.slice(at + 1) };
}

export function encodeEnvelope(envelope: ResultEnvelope): Buffer {
  return pack(envelope);
}

export function decodeEnvelope(bytes: Uint8Array): ResultEnvelope {
  const value = unpack(bytes) as ResultEnvelope;
  if (!value || typeof value !== "object" || !["ok", "error", "cancelled"].includes(value.status)) {
    throw new TypeError("a stored result is not a gantry result envelope");
  }
  return value;
}

export function parseMeta(raw: Uint8Array | string | null | undefined): CallMeta {
  if (!raw) throw new TypeError("the call has no meta field");
  const m = JSON.parse(typeof raw === "string" ? raw : Buffer.from(raw).toString("utf8")) as Partial<CallMeta>;
  if (m.v !== REDIS_WIRE_VERSION) throw new TypeError(`unsupported call version ${String(m.v)} (this runtime reads version ${REDIS_WIRE_VERSION})`);
  if (typeof m.callId !== "string" || typeof m.unit !== "string") throw new TypeError("the call's meta has no callId or unit");
  if (m.encoding !== "msgpack" && m.encoding !== "json") throw new TypeError(`unknown argument encoding ${String(m.encoding)}`);
  return { ...m, method: m.method ?? null } as CallMeta;
}
