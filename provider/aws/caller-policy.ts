/**
 * The least IAM policy a process outside the stack needs to call one deployed unit with
 * `Function.fromName(app, fn, { stack })` (or `Cls.fromName`): what runtime/aws/deployed-invoker.ts
 * and the AwsInvoker it builds send, on that unit's resources only. Printed by
 * `gantry synth <app.ts> --stack S --caller-policy F`, offline.
 *
 * Offline, the physical names are unknown (Pulumi appends a random suffix to each logical name)
 * and so is the account: resources are named by pattern from the provider's own logical names
 * (names.ts), and where the service supports it (SQS, DynamoDB, ECS) narrowed to this app and
 * stack by the tags every resource of the stack carries (`gantry:app`, `gantry:stack`).
 * - ecs:DescribeTaskDefinition, to find the unit: it has no resource form in IAM, so `*`.
 * - sqs:SendMessage on the unit's queue (SendMessageBatch is authorized as SendMessage).
 * - dynamodb:GetItem / BatchGetItem (waiting for results), UpdateItem (`.cancel()`) on the results
 *   table, for the keys of calls an external caller makes to this unit (`<unit>:@ext:*`,
 *   runtime/aws/call-keys.ts: `dynamodb:LeadingKeys`).
 * - s3:PutObject on `inputs/@ext/<unit>/*`, s3:GetObject on `results/<unit>/@ext/*` of the payload
 *   bucket (arguments / results too large for a message / an item). Object ARNs take no bucket
 *   tags: the bucket pattern matches every gantry stack's payload bucket in the account, the
 *   prefix keeps it to external calls of this unit's name.
 * - ecs:DescribeServices / UpdateService on the unit's service, when it can be at zero: the
 *   caller wakes it within the second (runtime/aws/waker.ts); without them it still runs, started
 *   by the stack's alarm within minutes, and each call logs the refused wake.
 * Every process given this policy is the same caller, `@ext`: one of them can read or cancel
 * another's calls to this unit when it knows their ids; nothing of the calls made inside the
 * stack, or to other units.
 * `FunctionCall.fromId(id, { app, stack })` of a call to F needs the same (GetItem, UpdateItem)
 * and reaches only `@ext`'s calls to F.
 */
import { EXTERNAL_CALLER, keyPatterns, leadingKeys } from "../../runtime/aws/call-keys.ts";
import { tagsFor } from "./component.ts";
import { serviceNameOf, wakeTableOf } from "./autoscaling.ts";
import { AUTONAME_SUFFIX, CALL_STATE_NAME, CAPACITY_NAME, functionQueueName, payloadBucketName, resultsTableName } from "./names.ts";
import type { Unit } from "./units.ts";

export interface CallerPolicyInput {
  app: string;
  stack: string;
  /** every unit of the app (the wake table needs them), and the one called */
  units: Unit[];
  unit: Unit;
  /** default `*` (any region) */
  region?: string;
  /** default `*`: an identity policy is attached in the account that owns the stack */
  account?: string;
  partition?: string;
}

export interface CallerStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface CallerPolicy {
  Version: "2012-10-17";
  Statement: CallerStatement[];
}

/** The physical-name pattern of a resource Pulumi auto-names from `logical`. */
export const autonamed = (logical: string) => `${logical}${AUTONAME_SUFFIX}`;

export function callerPolicy(i: CallerPolicyInput): CallerPolicy {
  const p = i.partition ?? "aws";
  const region = i.region ?? "*";
  const account = i.account ?? "*";
  const stackTags = Object.fromEntries(Object.entries(tagsFor({ app: i.app, stack: i.stack }, null)).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
  const ofThisStack = { StringEquals: stackTags };
  const bucket = `arn:${p}:s3:::${autonamed(payloadBucketName(CALL_STATE_NAME))}`;
  const ext = keyPatterns(EXTERNAL_CALLER);
  const statements: CallerStatement[] = [
    { Sid: "FindFunction", Effect: "Allow", Action: ["ecs:DescribeTaskDefinition"], Resource: "*" },
    { Sid: "CallFunction", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: `arn:${p}:sqs:${region}:${account}:${autonamed(functionQueueName(i.unit.slug))}`, Condition: ofThisStack },
    {
      Sid: "Results", Effect: "Allow", Action: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
      Resource: `arn:${p}:dynamodb:${region}:${account}:table/${autonamed(resultsTableName(CALL_STATE_NAME))}`,
      Condition: { ...ofThisStack, ...leadingKeys([ext.callsMadeTo(i.unit.id)]) },
    },
    { Sid: "SendLargeInputs", Effect: "Allow", Action: ["s3:PutObject"], Resource: `${bucket}/${ext.inputsWrittenFor(i.unit.id)}` },
    { Sid: "ReadLargeResults", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${bucket}/${ext.resultsToReadFrom(i.unit.id)}` },
  ];
  if (wakeTableOf(i.units)[i.unit.id]) {
    statements.push({
      Sid: "WakeFunction", Effect: "Allow", Action: ["ecs:DescribeServices", "ecs:UpdateService"],
      Resource: `arn:${p}:ecs:${region}:${account}:service/${autonamed(CAPACITY_NAME)}/${serviceNameOf(i.unit)}`, Condition: ofThisStack,
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}
