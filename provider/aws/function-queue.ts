/**
 * gantry:aws:FunctionQueue — the inputs of one function or class variant: an SQS queue and its
 * dead-letter queue. The runtime dead-letters failed calls itself, with their error; the queue's
 * redrive (`maxReceiveCount`) is only a backstop with room for retries and crashes (see
 * `maxReceiveCount` below). The visibility timeout is above the function timeout, so an input is
 * not redelivered while its attempt may still be running; SQS keeps a message invisible at most
 * 12 hours after its receive, so longer timeouts are refused at synth (index.ts).
 *
 * Cost: $0.40 per million requests; idle queues cost nothing (workers long-poll 20 s).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { MAX_REDELIVERIES } from "../../runtime/delivery.ts";
import { GantryComponent, type DeclarationRef, type StackInfo } from "./component.ts";
import { functionQueueName } from "./names.ts";
import type { Unit } from "./units.ts";

/** SQS: a message stays invisible at most 12 hours after it was received, heartbeats included. */
export const MAX_VISIBILITY_TIMEOUT = 43200;
/** SQS's largest message; bigger arguments and results go through the payload bucket */
export const MAX_MESSAGE_BYTES = 1048576;
/** 14 days, SQS's maximum: time to inspect and redrive a failed call (state.ts keeps its large arguments as long) */
export const DLQ_RETENTION_SECONDS = 1209600;
const QUEUE_RETENTION_SECONDS = 345600; // 4 days

/** The slack between an attempt's timeout and its message becoming visible again. */
export const VISIBILITY_MARGIN_SECONDS = 60;
/**
 * The longest `timeout` AWS can honour: the visibility set at receive (timeout + margin) must fit
 * in SQS's 12 hours, or the input becomes visible mid-attempt and a second container runs it
 * (the runtime's heartbeats cannot extend past 12 hours either).
 */
export const MAX_TIMEOUT_SECONDS = MAX_VISIBILITY_TIMEOUT - VISIBILITY_MARGIN_SECONDS;

/** The queue's visibility timeout for a unit's `timeout`; the container is told the same number (its contract). */
export function visibilityTimeout(timeoutSeconds: number): number {
  return Math.min(MAX_VISIBILITY_TIMEOUT, timeoutSeconds + VISIBILITY_MARGIN_SECONDS);
}

/**
 * The redrive `maxReceiveCount` of a unit's queue; the container is told the same number through
 * its contract (no fallback on its side), and the two must agree. The runtime counts attempts, crashes and
 * releases in the results table, ends every call with a result, and dead-letters failures itself
 * (runtime/aws/redelivery.ts). It re-enqueues a fresh copy of a message on the last receive SQS
 * allows, so SQS never moves a message to the DLQ silently, but only when that count is above 1:
 * with `retries: 0` and a count of 1, one crash sent the input to the DLQ with no result and its
 * caller waited forever. `maxRetries + 5` (runtime/aws/README.md, "Retries") keeps every receive
 * that may run an attempt below the last one: `1 + maxRetries` attempts and the MAX_REDELIVERIES
 * (3) crash redeliveries the runtime tolerates take `maxRetries + 4` receives. Beyond that (the receive
 * that ends a call with ContainerCrashedError after a 4th crash, inputs released by a drain)
 * the runtime's fresh copy takes over.
 */
export function maxReceiveCount(retries: { maxRetries: number }): number {
  const receivesThatMayRun = 1 + retries.maxRetries + MAX_REDELIVERIES;
  // one more: the last receive, where the runtime re-enqueues instead of running
  return receivesThatMayRun + 1;
}

export class FunctionQueue extends GantryComponent {
  readonly queue: aws.sqs.Queue;
  readonly deadLetterQueue: aws.sqs.Queue;

  constructor(name: string, info: StackInfo, ref: DeclarationRef, unit: Unit, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:FunctionQueue", name, info, ref, opts);
    this.deadLetterQueue = this.createDeadLetterQueue(name);
    this.queue = this.createQueue(name, unit);
    this.registerOutputs({ url: this.queue.url, deadLetterUrl: this.deadLetterQueue.url });
  }

  private createDeadLetterQueue(name: string): aws.sqs.Queue {
    return new aws.sqs.Queue(`${name}-dlq`, {
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      maxMessageSize: MAX_MESSAGE_BYTES,
      sqsManagedSseEnabled: true,
      tags: this.tags,
    }, this.childOpts);
  }

  private createQueue(name: string, unit: Unit): aws.sqs.Queue {
    return new aws.sqs.Queue(functionQueueName(name), {
      visibilityTimeoutSeconds: visibilityTimeout(unit.options.timeout),
      messageRetentionSeconds: QUEUE_RETENTION_SECONDS,
      receiveWaitTimeSeconds: 20,
      maxMessageSize: MAX_MESSAGE_BYTES,
      sqsManagedSseEnabled: true,
      redrivePolicy: pulumi.jsonStringify({
        deadLetterTargetArn: this.deadLetterQueue.arn,
        maxReceiveCount: maxReceiveCount(unit.options.retries),
      }),
      tags: this.tags,
    }, this.childOpts);
  }
}
