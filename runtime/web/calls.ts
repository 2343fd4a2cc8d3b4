/**
 * Calls that outlive the synchronous window. The endpoint answers `303 See Other` with
 * `Location: /_gantry/calls/<callId>?ticket=<hmac>`; a GET there waits up to the window again and
 * answers the result or another 303. It only ever asks the backend for the result, so the
 * function is never re-run.
 *
 * The ticket is an HMAC of the call id and whether the endpoint was public. It keeps the result
 * URL from being a way to read arbitrary calls by id, lets public endpoints' results be fetched
 * without a token, and needs no shared state: every front-door instance holding the same signing
 * key accepts it.
 */
import { createHmac, randomBytes } from "node:crypto";
import { isTimeoutError, isUnknownCallError, type WebBackend } from "./backend.ts";
import { safeEqual } from "./auth.ts";
import { errorResponse, json } from "./http.ts";

export const CALLS_PREFIX = "/_gantry/calls/";

export class CallTickets {
  private readonly key: Uint8Array;

  constructor(key?: string | Uint8Array) {
    this.key = key === undefined ? randomBytes(32) : typeof key === "string" ? Buffer.from(key, "utf8") : key;
  }

  location(callId: string, isPublic: boolean): string {
    return `${CALLS_PREFIX}${encodeURIComponent(callId)}?ticket=${this.sign(callId, isPublic)}`;
  }

  /** Whether the ticket is valid, and for which kind of endpoint; null when it is not. */
  verify(callId: string, ticket: string): { public: boolean } | null {
    // both candidates are always computed and compared: no timing difference between them
    const asPublic = safeEqual(this.sign(callId, true), ticket);
    const asPrivate = safeEqual(this.sign(callId, false), ticket);
    if (asPublic) return { public: true };
    if (asPrivate) return { public: false };
    return null;
  }

  private sign(callId: string, isPublic: boolean): string {
    return createHmac("sha256", this.key).update(`${callId}\n${isPublic ? "public" : "private"}`).digest("base64url").slice(0, 32);
  }
}

export type CallOutcome =
  | { state: "done"; value: unknown }
  | { state: "failed"; error: unknown }
  | { state: "pending" };

/** Waits up to `windowMs` for a call (or until `signal` aborts: the caller went away). */
export async function waitForCall(backend: WebBackend, callId: string, windowMs: number, signal?: AbortSignal): Promise<CallOutcome> {
  const result = backend.result(callId, { timeoutMs: windowMs }).then(
    (value): CallOutcome => ({ state: "done", value }),
    (error): CallOutcome => (isTimeoutError(error) ? { state: "pending" } : { state: "failed", error }),
  );
  if (!signal) return result;
  if (signal.aborted) return { state: "pending" };
  let onAbort!: () => void;
  const aborted = new Promise<CallOutcome>((resolve) => {
    onAbort = () => resolve({ state: "pending" });
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([result, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * The HTTP answer for an outcome: 200 with the value, 500 for a failed call, or 303 to the result
 * URL. `exposeErrors` puts the error's type and message in the 500 (default: a generic body).
 */
export function outcomeResponse(outcome: CallOutcome, callId: string, location: string, exposeErrors = false): Response {
  const headers = { "x-gantry-call-id": callId };
  if (outcome.state === "done") {
    try {
      return json(200, outcome.value, headers);
    } catch (e) {
      return errorResponse(500, "ResultNotSerializable", `the result cannot be sent as JSON: ${e instanceof Error ? e.message : String(e)}`, { callId }, headers);
    }
  }
  if (outcome.state === "failed") {
    if (isUnknownCallError(outcome.error)) return errorResponse(404, "NotFound", "no such call (its result may have expired)", { callId }, headers);
    return exposeErrors ? userErrorResponse(outcome.error, callId) : failedCallResponse(callId);
  }
  return json(303, { callId, status: "running", location }, { ...headers, location, "retry-after": "1" });
}

/**
 * A failed call, by default: no text of the error at all (a message may quote a secret, a query
 * or a path), only the call id to find it in the server's log, where the front door logs it.
 */
export function failedCallResponse(callId: string): Response {
  return errorResponse(500, "InternalError", `the call failed; its error is in the server log (call ${callId})`, { callId }, { "x-gantry-call-id": callId });
}

/**
 * A failed call with `exposeErrors`: the error's type and message, nothing else — no stack, no cause, no properties
 * (which may carry environment values or request data); the full error goes to the logs only.
 */
export function userErrorResponse(error: unknown, callId: string): Response {
  const type = error instanceof Error && typeof error.name === "string" ? error.name : "Error";
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : "the function failed";
  return errorResponse(500, type, message, { callId }, { "x-gantry-call-id": callId });
}

/**
 * Follows calls past their HTTP request so their capacity slot is released when they finish, and
 * at the latest after `limitMs` (a call lost by the backend must not hold a slot forever).
 */
export class CallTracker {
  private closed = false;
  private readonly pending = new Set<() => void>();

  constructor(private readonly backend: WebBackend, private readonly pollMs: number) {}

  track(callId: string, release: () => void, limitMs: number): void {
    const deadline = Date.now() + limitMs;
    const done = () => {
      this.pending.delete(done);
      release();
    };
    this.pending.add(done);
    void (async () => {
      while (!this.closed && Date.now() < deadline) {
        const outcome = await waitForCall(this.backend, callId, Math.max(1, Math.min(this.pollMs, deadline - Date.now())));
        if (outcome.state !== "pending") break;
      }
      done();
    })();
  }

  get size(): number {
    return this.pending.size;
  }

  /** Stops following calls (their polls end at the next window) and releases their slots. */
  close(): void {
    this.closed = true;
    for (const done of [...this.pending]) done();
  }
}
