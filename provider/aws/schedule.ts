/**
 * gantry:aws:Schedule — a function's `schedule` as EventBridge Scheduler schedules that put a
 * message on the function's queue: cron converted to AWS's six-field form (two schedules when
 * the cron restricts both day fields), `rate()` for periods, the IANA timezone, no flexible
 * window, a retry policy and a dead-letter queue for deliveries that fail, and a role that may
 * only send to that function's queue (and the schedule's dead-letter queue).
 *
 * Cost: EventBridge Scheduler, $1.00 per million invocations after the free tier.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ScheduleSpec } from "../../synth/spec.ts";
import { GantryComponent, formatSource, type DeclarationRef, type StackInfo } from "./component.ts";
import { CronError, toAwsCron, toAwsRate } from "./cron.ts";
import type { FunctionQueue } from "./function-queue.ts";
import { allow, assumeRolePolicy, policyDocument } from "./iam.ts";
import { WIRE_VERSION, type CallMessage } from "../../runtime/aws/wire.ts";
import { scheduleCallId } from "../../runtime/aws/call-keys.ts";

export const SCHEDULE_RETRIES = 3;
export const SCHEDULE_MAX_EVENT_AGE = 3600;

export interface ScheduleExpression {
  /** suffix of the logical name: `cron`, `day-of-month`, `day-of-week`, `rate` */
  suffix: string;
  expression: string;
  timezone: string;
}

/** The AWS schedule expressions of a schedule spec; errors carry the schedule's source location. */
export function scheduleExpressions(spec: ScheduleSpec): ScheduleExpression[] {
  if (spec.kind === "period") return [{ suffix: "rate", expression: toAwsRate(spec.seconds).expression, timezone: "UTC" }];
  let expressions: string[];
  try {
    expressions = toAwsCron(spec.expression);
  } catch (err) {
    if (err instanceof CronError) throw new Error(`${formatSource(spec.source)}: cron "${spec.expression}": ${err.message}`);
    throw err;
  }
  if (expressions.length === 1) return [{ suffix: "cron", expression: expressions[0], timezone: spec.timezone }];
  return [
    { suffix: "day-of-month", expression: expressions[0], timezone: spec.timezone },
    { suffix: "day-of-week", expression: expressions[1], timezone: spec.timezone },
  ];
}

/**
 * The message a schedule sends: an ordinary call message (runtime/aws/wire.ts) with no arguments.
 * EventBridge Scheduler fills the `<aws.scheduler.*>` context attributes at each invocation. The
 * call id comes from the scheduled time, not the execution id, so the two schedules a cron on
 * both day fields becomes (cron.ts) run the function once on a day both match, and the
 * Scheduler's own retries of one invocation are one call too. It reads `<fn>:@sched:<time>`
 * (runtime/aws/call-keys.ts), so the function's task role may write its result like that of any
 * call made to it (provider/aws/iam.ts). The Scheduler cannot put a number
 * into the body, so `enqueuedAt` is 0; the scheduled time is in the call id and `source`.
 */
export function scheduleMessage(functionName: string): string {
  const message: CallMessage = {
    v: WIRE_VERSION,
    kind: "call",
    callId: scheduleCallId(functionName, "<aws.scheduler.scheduled-time>"),
    function: functionName,
    method: null,
    encoding: "json",
    args: [],
    enqueuedAt: 0,
    source: "schedule <aws.scheduler.scheduled-time>",
  };
  return JSON.stringify(message);
}

export class Schedule extends GantryComponent {
  constructor(name: string, info: StackInfo, ref: DeclarationRef, functionName: string, spec: ScheduleSpec, queue: FunctionQueue, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:Schedule", name, info, ref, opts);
    const expressions = scheduleExpressions(spec);
    const dlq = this.createDeadLetterQueue(name);
    const role = this.createRole(name, queue, dlq);
    for (const e of expressions) this.createSchedule(name, functionName, e, queue, dlq, role);
    this.registerOutputs({ expressions: expressions.map((e) => e.expression) });
  }

  private createDeadLetterQueue(name: string): aws.sqs.Queue {
    return new aws.sqs.Queue(`${name}-schedule-dlq`, { messageRetentionSeconds: 1209600, sqsManagedSseEnabled: true, tags: this.tags }, this.childOpts);
  }

  private createRole(name: string, queue: FunctionQueue, dlq: aws.sqs.Queue): aws.iam.Role {
    const role = new aws.iam.Role(`${name}-scheduler`, {
      description: "gantry: EventBridge Scheduler sends this function's scheduled inputs",
      assumeRolePolicy: assumeRolePolicy("scheduler.amazonaws.com"),
      tags: this.tags,
    }, this.childOpts);
    new aws.iam.RolePolicy(`${name}-scheduler`, {
      role: role.id,
      policy: policyDocument([allow("SendScheduledInputs", ["sqs:SendMessage"], [queue.queue.arn, dlq.arn])]),
    }, this.childOpts);
    return role;
  }

  private createSchedule(name: string, functionName: string, e: ScheduleExpression, queue: FunctionQueue, dlq: aws.sqs.Queue, role: aws.iam.Role): void {
    new aws.scheduler.Schedule(`${name}-${e.suffix}`, {
      description: `gantry: ${functionName} on ${e.expression} (${e.timezone})`,
      scheduleExpression: e.expression,
      scheduleExpressionTimezone: e.timezone,
      flexibleTimeWindow: { mode: "OFF" },
      state: "ENABLED",
      target: {
        arn: queue.queue.arn,
        roleArn: role.arn,
        input: scheduleMessage(functionName),
        retryPolicy: { maximumRetryAttempts: SCHEDULE_RETRIES, maximumEventAgeInSeconds: SCHEDULE_MAX_EVENT_AGE },
        deadLetterConfig: { arn: dlq.arn },
      },
    }, this.childOpts);
  }
}
