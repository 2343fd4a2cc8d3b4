/**
 * The seam between the container-side input loop and where inputs come from. The loop (loop.ts)
 * is the same everywhere; a transport adapts one delivery system to it: the pipe to the local
 * supervisor of `gantry run` (runtime/local/pipe-transport.ts), and later SQS/DynamoDB/S3 on AWS.
 *
 * Contract:
 * - `receive(max)` never returns more than `max` inputs (the loop's free concurrency slots). It may
 *   wait (a long poll); when `signal` aborts it returns what it already has (possibly []). It
 *   returns null once no input will ever come again (the supervisor said stop, the queue is gone).
 * - `complete` is called exactly once per received input, after the input finished, failed, timed
 *   out or was cancelled. Payloads are opaque bytes made by runtime/serialize.ts; retries,
 *   redelivery and result storage are the transport's business (locally, the supervisor's).
 * - `ready` is called once the `@enter` hooks ran, `setupFailed` instead when they (or the import
 *   of the app) failed: that is reported as a setup failure, never as an input error.
 * - `attach` hands the transport the loop's controls, so it can push cancellations and stop
 *   requests (a supervisor message, SIGTERM, a spot interruption notice) into the loop.
 */

export interface WorkInput {
  /** unique per delivery attempt; the transport maps it back to its own handle (receipt, etc.) */
  id: string;
  /** the call this input belongs to (stable across retries) */
  callId: string;
  /** class method name; null for a function */
  method: string | null;
  /** the packed argument list */
  payload: Uint8Array;
  /** 1 for the first attempt */
  attempt: number;
  /** per-input timeout; the worker's default when absent */
  timeoutMs?: number;
  /**
   * "http": the payload is one forwarded HTTP request (a `SerializedRequest`) for a webApp/webServer
   * container, answered with a `SerializedResponse` (see WorkerTarget.forward). Absent: a call.
   */
  kind?: "http";
}

export type Outcome =
  | { status: "ok"; value: Uint8Array }
  | { status: "error"; error: Uint8Array; timedOut: boolean }
  | { status: "cancelled" };

export interface WorkerControl {
  /** drop an input: removed from a pending batch, or its result discarded when it finishes */
  cancel(inputId: string): void;
  /** stop receiving, wait up to `drainMs` for inputs in flight, run `@exit` hooks, return */
  stop(options?: { drainMs?: number; reason?: string }): void;
}

export interface Transport {
  attach?(control: WorkerControl): void;
  ready(): Promise<void>;
  setupFailed(error: Uint8Array): Promise<void>;
  receive(max: number, signal: AbortSignal): Promise<WorkInput[] | null>;
  complete(input: WorkInput, outcome: Outcome): Promise<void>;
  /** after the `@exit` hooks ran */
  close(): Promise<void>;
}
