/**
 * The delivery rules every transport follows (the embedded pipe, AWS SQS/DynamoDB, Redis): how long
 * `@enter` may take, how long to wait before a retry, and what a failure and a crash do to a call.
 * Transports differ in how they carry a call; what happens to it is decided here, once.
 *
 * - A failure of the user's code (an error, a timeout) is charged an attempt: the call is retried
 *   after `retryDelayMs` while attempts are left, then ends with that error.
 * - A crash (the container died under the input and nobody can say which input did it: `kill -9`,
 *   an OOM kill, a lost instance) is not charged: the input is redelivered, up to MAX_REDELIVERIES
 *   times, then the call ends with ContainerCrashedError.
 * - An input that ended its own container (it called `process.exit`, or blocked the event loop past
 *   its timeout) is the culprit: it is charged, as a failure. The other inputs of that container
 *   are innocent: they are redelivered neither charged nor counted as a crash (`released`).
 */
import type { RetriesSpec } from "../synth/spec.ts";

/** Redeliveries of one input after its container died, before the call fails. */
export const MAX_REDELIVERIES = 3;

/**
 * Time a local container always gets to import the app, on top of its `@enter` hooks (bounded by
 * `setupTimeoutSeconds`), before the supervisor counts it as failed to start.
 */
export const APP_IMPORT_ALLOWANCE_MS = 60_000;

/** Milliseconds to wait before the next attempt, after `failures` (>= 1) failed attempts. */
export function retryDelayMs(retries: RetriesSpec, failures: number): number {
  return Math.min(retries.maxDelay, retries.initialDelay * retries.backoffCoefficient ** Math.max(0, failures - 1)) * 1000;
}

/**
 * Seconds a container's `@enter` hooks may take before the container is counted as failed to
 * start. Modal's rule: the declaration's `timeout` (its `startup_timeout` defaults to it).
 */
export function setupTimeoutSeconds(options: { timeout: number }): number {
  return options.timeout;
}

/** What happens to a call after an attempt failed in the user's code. */
export type AfterFailure = { kind: "retry"; delayMs: number } | { kind: "fail" };

/** After `failures` (>= 1, this one included) failed attempts of a call. */
export function afterFailure(retries: RetriesSpec, failures: number): AfterFailure {
  return failures <= retries.maxRetries ? { kind: "retry", delayMs: retryDelayMs(retries, failures) } : { kind: "fail" };
}

/** What happens to a call whose container died under it, after `crashes` (this one included) such deaths. */
export type AfterCrash = { kind: "redeliver" } | { kind: "fail" };

export function afterCrash(crashes: number): AfterCrash {
  return crashes <= MAX_REDELIVERIES ? { kind: "redeliver" } : { kind: "fail" };
}

/** How one input's stay in a container ended, when it got no outcome of its own. */
export type Ending =
  /** the container died and no input was named as the cause */
  | "crash"
  /** another input of the same container ended it (or the container was stopped): not this input's doing */
  | "innocent";

/** Whether an ending counts towards the crash limit (it never costs an attempt). */
export function countsAsCrash(ending: Ending): boolean {
  return ending === "crash";
}

/** The message of the error an input is charged with when it ended its container with `process.exit`. */
export function exitMessage(label: string, code: number | string | null | undefined, attempt: number): string {
  return `${label} called process.exit(${code ?? ""}) (attempt ${attempt}); the container was ended and its other inputs redelivered`;
}
