/**
 * The seam between the container-side input loop and where inputs come from. The loop (loop.ts)
 * is the same everywhere; a transport adapts one delivery system to it: the pipe to the local
 * supervisor of `gantry run` (runtime/local/pipe-transport.ts), and SQS/DynamoDB/S3 on AWS
 * (runtime/aws/transport.ts).
 *
 * Contract:
 * - `receive(max)` never returns more than `max` inputs (the loop's free concurrency slots). It may
 *   wait (a long poll); when `signal` aborts it returns what it already has (possibly []). It
 *   returns null once no input will ever come again (the supervisor said stop, the queue is gone).
 * - `complete` is called at most once per received input, after the input finished, failed, timed
 *   out or was cancelled; an input handed back (below) gets no `complete`. Payloads are opaque
 *   bytes made by runtime/serialize.ts; retries, redelivery and result storage are the transport's
 *   business (locally, the supervisor's). The loop awaits every `complete` before `close`.
 * - `handBack` is called once when the loop stops, after the drain and before the `@exit` hooks,
 *   with the inputs that still have no outcome (the drain budget ran out, or a pending batch was
 *   abandoned). The transport makes them deliverable elsewhere at once; the loop never reports
 *   them afterwards. Without it, such inputs simply get no outcome from this process.
 * - `ready` is called once the `@enter` hooks ran, `setupFailed` instead when they (or the import
 *   of the app) failed: that is reported as a setup failure, never as an input error.
 * - `attach` hands the transport the loop's controls, so it can push cancellations and stop
 *   requests (a supervisor message, SIGTERM, a spot interruption notice) into the loop.
 * - `endContainer` is called, synchronously, when one input ends the container: it called
 *   `process.exit`, or it blocked the event loop past its timeout (runtime/worker/watchdog.ts).
 *   Nothing else runs until it returns, and the process dies right after. The transport stores the
 *   culprit's outcome (charged as a failure, runtime/delivery.ts) and makes the other inputs
 *   deliverable elsewhere, uncharged and not counted as a crash. It returns false when it could
 *   not: the death then counts as a crash for every input in flight.
 */

export interface WorkInput {
  /** unique per delivery attempt; the transport maps it back to its own handle (receipt, etc.) */
  id: string;
  /** the call this input belongs to (stable across retries) */
  callId: string;
  /** class method name; null for a function */
  method: string | null;
  /**
   * class parameters of the instance this input is for; absent: the instance the container was
   * started with. A container that serves several parameter sets (on AWS, a class unit's queue
   * carries calls for all of them) keeps one instance per set; batches never mix two sets.
   */
  params?: Record<string, unknown>;
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
  /** after the drain, before the `@exit` hooks: the inputs still without an outcome */
  handBack?(unfinished: WorkInput[]): Promise<void>;
  /** synchronous last words of a container one input is ending (see above) */
  endContainer?(culprit: WorkInput, outcome: Extract<Outcome, { status: "error" }>, innocent: WorkInput[]): boolean;
  /** after the `@exit` hooks ran and every `complete` settled */
  close(): Promise<void>;
}
