/**
 * gantry:aws:FunctionQueue — the inputs of one function or class variant: an SQS queue and its
 * dead-letter queue. A message that fails `retries + 1` receives moves to the dead-letter queue.
 * The visibility timeout is above the function timeout, so an input is not redelivered while its
 * attempt may still be running (SQS's maximum is 12 hours; longer attempts rely on the runtime's
 * visibility heartbeat).
 *
 * Cost: $0.40 per million requests; idle queues cost nothing (workers long-poll 20 s).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GantryComponent, type DeclarationRef, type StackInfo } from "./component.ts";
import type { Unit } from "./units.ts";

export const MAX_VISIBILITY_TIMEOUT = 43200;
/** SQS's largest message; bigger arguments and results go through the payload bucket */
export const MAX_MESSAGE_BYTES = 1048576;
const DLQ_RETENTION_SECONDS = 1209600; // 14 days, SQS's maximum
const QUEUE_RETENTION_SECONDS = 345600; // 4 days

/** The slack between an attempt's timeout and its message becoming visible again. */
export const VISIBILITY_MARGIN_SECONDS = 60;

export function visibilityTimeout(timeoutSeconds: number): number {
  return Math.min(MAX_VISIBILITY_TIMEOUT, timeoutSeconds + VISIBILITY_MARGIN_SECONDS);
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
    return new aws.sqs.Queue(`${name}-queue`, {
      visibilityTimeoutSeconds: visibilityTimeout(unit.options.timeout),
      messageRetentionSeconds: QUEUE_RETENTION_SECONDS,
      receiveWaitTimeSeconds: 20,
      maxMessageSize: MAX_MESSAGE_BYTES,
      sqsManagedSseEnabled: true,
      redrivePolicy: pulumi.jsonStringify({
        deadLetterTargetArn: this.deadLetterQueue.arn,
        maxReceiveCount: unit.options.retries.maxRetries + 1,
      }),
      tags: this.tags,
    }, this.childOpts);
  }
}
