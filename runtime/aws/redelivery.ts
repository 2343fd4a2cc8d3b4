/**
 * How an input that did not finish goes back on its queue, and when repeated crashes end a call.
 *
 * SQS counts receives, not attempts: a retry (ChangeMessageVisibility to the backoff delay), a
 * drained input (visibility 0) and a crash (the visibility timeout runs out) all count, and past
 * the queue's `maxReceiveCount` SQS moves the message to the dead-letter queue on its own, without
 * a result. So the worker counts attempts itself in the results table (deliveries, failures,
 * releases) and keeps the SQS count out of the way:
 * - a failure or a release keeps the message (ChangeMessageVisibility) while enough receives are
 *   left to notice later crashes; otherwise it re-enqueues a fresh copy (receive count 0) and
 *   deletes the old one;
 * - a call whose deliveries crashed more than MAX_REDELIVERIES times ends with ContainerCrashedError
 *   (like the local runtime), recorded as its result and sent to the dead-letter queue.
 */
import type { CallRecord } from "./wire.ts";

/** redeliveries after a crash before the call fails (the local runtime's rule) */
export const MAX_REDELIVERIES = 3;

/** Crashes tolerated with this queue: fewer when `maxReceiveCount` leaves no room to notice them. */
export function crashLimit(maxReceiveCount: number): number {
  return Math.min(MAX_REDELIVERIES, maxReceiveCount - 2);
}

/**
 * After a failed or released delivery with SQS receive count `receiveCount`: keep the message (its
 * visibility changed), or re-enqueue a copy because SQS would dead-letter it before a crash-looping
 * input could be told apart.
 */
export function redeliveryVia(receiveCount: number, maxReceiveCount: number): "visibility" | "requeue" {
  // the receives a crash-looping input needs: crashLimit + 1 crashed ones, then one that notices
  const needed = Math.max(1, crashLimit(maxReceiveCount) + 2);
  return receiveCount + needed <= maxReceiveCount ? "visibility" : "requeue";
}

/** Deliveries of this call that ended without an outcome (its container died). */
export function crashesOf(record: Pick<CallRecord, "deliveries" | "failures" | "released">): number {
  return Math.max(0, (record.deliveries ?? 1) - 1 - (record.failures ?? 0) - (record.released ?? 0));
}

export function crashedTooOften(record: Pick<CallRecord, "deliveries" | "failures" | "released">, maxReceiveCount: number): boolean {
  const limit = crashLimit(maxReceiveCount);
  return limit >= 0 && crashesOf(record) > limit;
}
