/**
 * gantry:aws:TaskRoles — the two roles of one declaration's tasks, each scoped to that declaration:
 *
 * - execution role (used by the ECS agent): pull from this image's repository, write this
 *   declaration's log group, read the secrets injected as environment variables;
 * - task role (used by the code): receive from its own queue only, send to the queues of the
 *   app's functions (that is what `.remote()` does); in the results table and the payload bucket,
 *   only the calls made to it (to run and end them) and the calls it made (to send their large
 *   arguments, wait for them, cancel them), by key (runtime/aws/call-keys.ts); mount its own
 *   volumes through their access points, read its own secrets, use the Dicts and Queues its code
 *   uses, and change the scaling of the app's services (`updateAutoscaler`, see
 *   `scalingPolicyStatements`).
 *
 * Nothing grants `*` on a resource except `ecr:GetAuthorizationToken` and
 * `application-autoscaling:DescribeScalingPolicies`, which have no resource form.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { keyPatterns, leadingKeys } from "../../runtime/aws/call-keys.ts";
import { GantryComponent, type DeclarationRef, type StackInfo } from "./component.ts";

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: pulumi.Input<string> | pulumi.Input<string>[];
  Condition?: Record<string, Record<string, pulumi.Input<string> | pulumi.Input<string>[]>>;
}

export { leadingKeys };

export function allow(sid: string, actions: string[], resources: pulumi.Input<string>[], condition?: PolicyStatement["Condition"]): PolicyStatement | null {
  if (resources.length === 0) return null;
  return { Sid: sid, Effect: "Allow", Action: [...actions].sort(), Resource: resources.length === 1 ? resources[0] : resources, ...(condition ? { Condition: condition } : {}) };
}

export function policyDocument(statements: Array<PolicyStatement | null>): pulumi.Output<string> {
  return pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements.filter((s): s is PolicyStatement => s !== null) });
}

export function assumeRolePolicy(service: string): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });
}

export interface VolumeGrant {
  fileSystemArn: pulumi.Input<string>;
  accessPointArn: pulumi.Input<string>;
  readOnly: boolean;
}

export interface TaskRolesInputs {
  declaration: string;
  logGroupArn: pulumi.Input<string>;
  repositoryArn: pulumi.Input<string>;
  ownQueueArn: pulumi.Input<string>;
  ownDlqArn: pulumi.Input<string>;
  /** every function / class queue of the app (callable with `.remote()`) */
  callableQueueArns: pulumi.Input<string>[];
  resultsTableArn: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  /** the Dicts / Queues the declaration's code uses (synth's `usedBy`, see state-use.ts) */
  dictTableArns: pulumi.Input<string>[];
  stateQueueArns: pulumi.Input<string>[];
  /** secrets ECS injects key by key (read by the execution role) */
  injectedSecretArns: pulumi.Input<string>[];
  /** secrets the runtime loads whole at start (read by the task role) */
  loadedSecretArns: pulumi.Input<string>[];
  volumes: VolumeGrant[];
  scaling: ScalingGrant;
}

/** The task role's statements; exported so tests and review tools can read the scope. */
export function taskPolicyStatements(i: TaskRolesInputs): Array<PolicyStatement | null> {
  const bucketPath = (path: string) => pulumi.interpolate`${i.bucketArn}/${path}`;
  const keys = keyPatterns(i.declaration);
  return [
    allow("ReceiveOwnInputs", ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"], [i.ownQueueArn]),
    allow("DeadLetterOwnInputs", ["sqs:SendMessage"], [i.ownDlqArn]),
    allow("CallFunctions", ["sqs:SendMessage"], i.callableQueueArns),
    // the results table is keyed by `<callee>:<caller>:<id>` (runtime/aws/call-keys.ts):
    // a worker claims, counts and ends the calls made to it (BatchGetItem: its cancellation poll) ...
    allow("ResultsOfCallsToSelf", ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], [i.resultsTableArn], leadingKeys([keys.callsTo])),
    // ... and its code waits for (100 at a time: runtime/aws/waiter.ts) and cancels the calls it made
    allow("ResultsOfOwnCalls", ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:UpdateItem"], [i.resultsTableArn], leadingKeys([keys.callsMadeBy])),
    allow("SendLargeInputs", ["s3:PutObject"], [bucketPath(keys.inputsWritten)]),
    allow("ReadOwnLargeInputs", ["s3:GetObject", "s3:DeleteObject"], [bucketPath(keys.inputsToRead)]),
    allow("WriteOwnLargeResults", ["s3:PutObject"], [bucketPath(keys.resultsWritten)]),
    allow("ReadLargeResultsOfOwnCalls", ["s3:GetObject"], [bucketPath(keys.resultsToRead)]),
    allow("Dicts", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:DescribeTable"], i.dictTableArns),
    allow("Queues", ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"], i.stateQueueArns),
    allow("Secrets", ["secretsmanager:GetSecretValue"], i.loadedSecretArns),
    ...i.volumes.map((v, n) => allow(`Volume${n + 1}`, v.readOnly ? ["elasticfilesystem:ClientMount"] : ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"], [v.fileSystemArn], {
      StringEquals: { "elasticfilesystem:AccessPointArn": v.accessPointArn },
    })),
    ...scalingPolicyStatements(i.scaling),
    // a worker protects its own task from scale-in while inputs run (runtime/aws/task-protection.ts);
    // the agent's endpoint calls these with the task role
    allow("ProtectTasksWhileBusy", ["ecs:UpdateTaskProtection", "ecs:GetTaskProtection"], [i.scaling.taskArn]),
  ];
}

/**
 * What `updateAutoscaler` may touch: the app's services and their scaling, nothing else's. Every
 * entry is one pattern, whatever the number of units, except the task definition families: a
 * role's inline policies share 10,240 characters, and per-unit scalable-target and service ARNs
 * would use them up at about 16 units.
 */
export interface ScalingGrant {
  /** `arn:…:application-autoscaling:<region>:<account>:scalable-target/*` (their ids are opaque) */
  scalableTargetArn: pulumi.Input<string>;
  /** tags every scalable target of the app and stack carries (`gantry:app`, `gantry:stack`) */
  targetTags: Record<string, string>;
  /** `arn:…:ecs:<region>:<account>:service/<cluster>/*`: the cluster is the stack's own */
  serviceArn: pulumi.Input<string>;
  /** `arn:…:ecs:<region>:<account>:task/<cluster>/*`: the stack's tasks (scale-in protection) */
  taskArn: pulumi.Input<string>;
  /** the app's task definition families, `arn:…:ecs:<region>:<account>:task-definition/<family>:*` */
  taskDefinitionArns: pulumi.Input<string>[];
  /** `arn:…:cloudwatch:<region>:<account>:alarm:TargetTracking-service/<cluster>/*` */
  alarmArn: pulumi.Input<string>;
  /** `arn:…:iam::<account>:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService` */
  serviceLinkedRoleArn: pulumi.Input<string>;
}

export const ECS_SCALING_PRINCIPAL = "ecs.application-autoscaling.amazonaws.com";

/**
 * The task role's grant for `updateAutoscaler` (runtime/aws/autoscaler.ts), as tight as IAM allows:
 * - RegisterScalableTarget / PutScalingPolicy act on the scalable-target resource type, whose ARN
 *   ends in an opaque id; both take the `service-namespace` / `scalable-dimension` condition keys,
 *   and scalable targets take `aws:ResourceTag`: ECS desired counts of this app and stack only;
 * - DescribeScalingPolicies has no resource type: `*`;
 * - Application Auto Scaling checks that the caller itself may act on the target service and on
 *   CloudWatch (for ECS: DescribeServices, UpdateService, DescribeAlarms, PutMetricAlarm,
 *   DeleteAlarms): the stack's services, UpdateService unable to point one at a task definition
 *   outside the app (`ecs:task-definition`, when the request names one), and the target-tracking
 *   alarms of the stack's cluster (`TargetTracking-service/<cluster>/<service>-Alarm…`);
 * - CreateServiceLinkedRole (used only if the account lacks it) for that one role and principal.
 * No `iam:PassRole`: RegisterScalableTarget needs it only when given a RoleARN, and neither the
 * runtime nor the stack gives one (ECS scaling runs under the service-linked role). Nor
 * `application-autoscaling:TagResource`: the runtime sends no tags.
 */
export function scalingPolicyStatements(g: ScalingGrant): Array<PolicyStatement | null> {
  const tags = Object.fromEntries(Object.entries(g.targetTags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
  return [
    allow("ScaleAppServices", ["application-autoscaling:PutScalingPolicy", "application-autoscaling:RegisterScalableTarget"], [g.scalableTargetArn], {
      StringEquals: { "application-autoscaling:service-namespace": "ecs", "application-autoscaling:scalable-dimension": "ecs:service:DesiredCount", ...tags },
    }),
    allow("ReadScalingPolicies", ["application-autoscaling:DescribeScalingPolicies"], ["*"]),
    allow("DescribeAppServices", ["ecs:DescribeServices"], [g.serviceArn]),
    allow("UpdateAppServices", ["ecs:UpdateService"], [g.serviceArn], {
      StringLikeIfExists: { "ecs:task-definition": g.taskDefinitionArns },
    }),
    allow("TargetTrackingAlarms", ["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm"], [g.alarmArn]),
    allow("EcsScalingServiceLinkedRole", ["iam:CreateServiceLinkedRole"], [g.serviceLinkedRoleArn], {
      StringEquals: { "iam:AWSServiceName": ECS_SCALING_PRINCIPAL },
    }),
  ];
}

export function executionPolicyStatements(i: TaskRolesInputs): Array<PolicyStatement | null> {
  return [
    allow("EcrAuth", ["ecr:GetAuthorizationToken"], ["*"]),
    allow("PullOwnImage", ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], [i.repositoryArn]),
    allow("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [pulumi.interpolate`${i.logGroupArn}:*`]),
    allow("InjectOwnSecrets", ["secretsmanager:GetSecretValue"], i.injectedSecretArns),
  ];
}

export class TaskRoles extends GantryComponent {
  readonly taskRole: aws.iam.Role;
  readonly executionRole: aws.iam.Role;

  constructor(name: string, info: StackInfo, ref: DeclarationRef, inputs: TaskRolesInputs, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:TaskRoles", name, info, ref, opts);
    this.executionRole = this.createRole(`${name}-exec`, "the ECS agent (image pull, logs, injected secrets)", executionPolicyStatements(inputs));
    this.taskRole = this.createRole(`${name}-task`, "the code in the containers", taskPolicyStatements(inputs));
    this.registerOutputs({ taskRoleArn: this.taskRole.arn, executionRoleArn: this.executionRole.arn });
  }

  private createRole(name: string, purpose: string, statements: Array<PolicyStatement | null>): aws.iam.Role {
    const role = new aws.iam.Role(name, {
      description: `gantry: ${purpose}`,
      assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com"),
      tags: this.tags,
    }, this.childOpts);
    new aws.iam.RolePolicy(name, { role: role.id, policy: policyDocument(statements) }, this.childOpts);
    return role;
  }
}
