/**
 * How an input that did not finish goes back on its queue, and when repeated crashes end a call.
 *
 * SQS counts receives, not attempts: a retry (ChangeMessageVisibility to the backoff delay), a
 * drained input (visibility 0) and a crash (the visibility timeout runs out) all count, and past
 * the queue's `maxReceiveCount` SQS moves the message to the dead-letter queue on its own, without
 * a result. So the worker keeps attempts in the results table (deliveries, failures, releases) and
 * keeps the SQS count out of the way:
 * - a message received for the last time SQS allows is not run: a fresh copy (receive count 0)
 *   is enqueued and the old one deleted, so a crash while running it cannot dead-letter it
 *   silently. Retries and releases can then always use ChangeMessageVisibility;
 * - a call whose deliveries crashed more than MAX_REDELIVERIES times ends with
 *   ContainerCrashedError (runtime/delivery.ts `afterCrash`), recorded as its result and
 *   dead-lettered. Inputs released by a container that an input ended are counted as released,
 *   not as crashes.
 * With `maxReceiveCount` 1 (no retries) a copy would be due on every receive: there, retries and
 * releases enqueue the copy instead, and a crash leaves the message to the queue's redrive.
 */
import type { CallRecord } from "./wire.ts";

import { afterCrash, MAX_REDELIVERIES } from "../delivery.ts";

// the rule is runtime/delivery.ts's; re-exported for the modules that imported it from here
export { MAX_REDELIVERIES };

/** A message SQS will dead-letter on its next receive: re-enqueue it before running it. */
export function lastReceive(receiveCount: number, maxReceiveCount: number): boolean {
  return maxReceiveCount > 1 && receiveCount >= maxReceiveCount;
}

/** After a failed or released delivery: change its visibility, or enqueue a fresh copy. */
export function redeliveryVia(maxReceiveCount: number): "visibility" | "requeue" {
  return maxReceiveCount > 1 ? "visibility" : "requeue";
}

/** Deliveries of this call that ended without an outcome (its container died). */
export function crashesOf(record: Pick<CallRecord, "deliveries" | "failures" | "released">): number {
  return Math.max(0, (record.deliveries ?? 1) - 1 - (record.failures ?? 0) - (record.released ?? 0));
}

export function crashedTooOften(record: Pick<CallRecord, "deliveries" | "failures" | "released">): boolean {
  return afterCrash(crashesOf(record)).kind === "fail";
}
