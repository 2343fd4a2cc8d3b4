/**
 * What travels through SQS, DynamoDB and S3 on AWS, shared by callers (the sdk invoker, the Lambda
 * gateway in runtime/aws/gateway/handler.ts) and the container's transport.
 *
 * Message body (JSON text, because SQS bodies are text):
 *   { v: 1, kind: "call", callId, function, method, params?, encoding, args | argsKey, enqueuedAt, source }
 * - `function`: the unit id (function name, class name, or variant id `Model[gpu=H100]`);
 * - `encoding: "msgpack"`: `args` is the base64 of runtime/serialize.ts `encodeArgs` bytes (sdk callers);
 *   `encoding: "json"`: `args` is a JSON array (the web gateway);
 * - `callId`: `<callee>:<caller>:<id>` (call-keys.ts), which is what IAM scopes the call state by;
 * - `argsKey`: S3 key (`inputs/<caller>/<callee>/<callId>`, call-keys.ts) holding the arguments
 *   when the body would pass the queue's size limit (raw msgpack bytes, or JSON text).
 *
 * Results table item (one per call, keyed by `callId`):
 *   status: "pending" | "ok" | "error" | "cancelled"
 *   deliveries / failures / released: counters the worker keeps while the call is pending
 *   encoding, value (B for msgpack, S for json) | resultKey (S3), error (S: JSON {name, message}),
 *   errorData (B: the packed error, msgpack callers), attempt, finishedAt, expiresAt (TTL, epoch s)
 */

export const WIRE_VERSION = 1;

export type Encoding = "msgpack" | "json";

export interface CallMessage {
  v: number;
  kind: "call";
  callId: string;
  function: string;
  method: string | null;
  params?: Record<string, unknown>;
  encoding: Encoding;
  /** base64 (msgpack) or an argument array (json) */
  args?: string | unknown[];
  argsKey?: string;
  enqueuedAt: number;
  source?: string;
}

export type CallStatus = "pending" | "ok" | "error" | "cancelled";
export const FINAL_STATUSES: readonly CallStatus[] = ["ok", "error", "cancelled"];

export interface ErrorSummary {
  name: string;
  message: string;
}

/** The results table item, as the DynamoDB document client reads and writes it. */
export interface CallRecord {
  callId: string;
  status: CallStatus;
  deliveries?: number;
  failures?: number;
  released?: number;
  lastError?: string;
  encoding?: Encoding;
  value?: Uint8Array | string;
  resultKey?: string;
  /** JSON of an ErrorSummary */
  error?: string;
  errorData?: Uint8Array;
  attempt?: number;
  function?: string;
  finishedAt?: number;
  expiresAt?: number;
}

export function isFinal(record: Pick<CallRecord, "status"> | null | undefined): boolean {
  return !!record && FINAL_STATUSES.includes(record.status);
}

/** Parses a message body; throws a readable error for anything that is not a gantry call. */
export function parseMessage(body: string | undefined): CallMessage {
  let value: unknown;
  try {
    value = JSON.parse(body ?? "");
  } catch {
    throw new TypeError("the message body is not JSON");
  }
  const m = value as Partial<CallMessage> | null;
  if (!m || typeof m !== "object" || m.kind !== "call") throw new TypeError("the message is not a gantry call (kind !== \"call\")");
  if (m.v !== WIRE_VERSION) throw new TypeError(`unsupported message version ${String(m.v)} (this runtime reads version ${WIRE_VERSION})`);
  if (typeof m.callId !== "string" || !m.callId) throw new TypeError("the message has no callId");
  if (m.encoding !== "msgpack" && m.encoding !== "json") throw new TypeError(`unknown argument encoding ${String(m.encoding)}`);
  if (m.args === undefined && typeof m.argsKey !== "string") throw new TypeError("the message has neither args nor argsKey");
  return { ...m, method: m.method ?? null } as CallMessage;
}

/** The call id a body names, when the body is readable enough for that (to record a failure). */
export function callIdOf(body: string | undefined): string | null {
  try {
    const id = (JSON.parse(body ?? "") as { callId?: unknown }).callId;
    return typeof id === "string" && id ? id : null;
  } catch {
    return null;
  }
}

export function summarize(error: Error): ErrorSummary {
  return { name: error.name || "Error", message: String(error.message) };
}

export function parseSummary(text: string | undefined): ErrorSummary | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<ErrorSummary>;
    return { name: typeof v.name === "string" ? v.name : "Error", message: typeof v.message === "string" ? v.message : "" };
  } catch {
    return { name: "Error", message: text };
  }
}
