/**
 * The delivery rules every transport follows (the embedded pipe, AWS SQS/DynamoDB, Redis): how long
 * `@enter` may take, how long to wait before a retry, and what a failure and a crash do to a call.
 * Transports differ in how they carry a call; what happens to it is decided here, once.
 *
 * - A failure of the user's code (an error, a timeout) is charged an attempt: the call is retried
 *   after `retryDelayMs` while attempts are left, then ends with that error.
 * - A crash (the container died under the input: `process.exit`, `kill -9`, an OOM kill, a lost
 *   instance) is not charged: the input is redelivered, up to MAX_REDELIVERIES times, then the
 *   call ends with ContainerCrashedError.
 * - An input that did not cause its container's end (a neighbour crashed or timed out in the same
 *   container) is redelivered uncharged as well; only the input that caused it is charged.
 */
import type { RetriesSpec } from "../synth/spec.ts";

/** Redeliveries of one input after its container died, before the call fails. */
export const MAX_REDELIVERIES = 3;

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

export function afterFailure(retries: RetriesSpec, failures: number): AfterFailure {
  return failures <= retries.maxRetries ? { kind: "retry", delayMs: retryDelayMs(retries, failures) } : { kind: "fail" };
}

/** What happens to a call whose container died under it, after `crashes` such deaths. */
export type AfterCrash = { kind: "redeliver" } | { kind: "fail" };

export function afterCrash(crashes: number): AfterCrash {
  return crashes <= MAX_REDELIVERIES ? { kind: "redeliver" } : { kind: "fail" };
}
