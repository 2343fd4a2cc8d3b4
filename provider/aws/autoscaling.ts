/**
 * Application Auto Scaling for one ECS service, between `minContainers` and `maxContainers`.
 *
 * Queue workers: target tracking on backlog per task, `(visible + in flight + buffer) / running`,
 * with `targetInputs` as the target (so each container is kept at its `@concurrent` target) and
 * `bufferContainers * targetInputs` added to the backlog as headroom while there is work. Target tracking cannot
 * scale out from zero tasks (its metric divides by zero). Whoever sends inputs wakes the unit
 * within the second (runtime/aws/waker.ts, from the table `wakeTableOf` gives every caller); for
 * inputs nobody woke it for (schedules, redrives) an alarm ("inputs waiting and nothing running")
 * sets the desired count to exactly 1 — ExactCapacity, so the action, which Application Auto
 * Scaling repeats while the alarm stays in ALARM through a GPU cold start, cannot walk it up.
 * Scale-in waits `scaledownWindow` after the last scale-in; note AWS's own target-tracking alarms
 * add their evaluation periods.
 *
 * Web servers behind the load balancer: target tracking on requests per target.
 *
 * `updateAutoscaler` (runtime/aws/autoscaler.ts) changes these same objects from inside any task of
 * the app: every task is told every service's scalable target (`GANTRY_SCALING_TARGETS`), which is
 * why services have fixed names (a task definition cannot wait for service names that are outputs,
 * its own service's included).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { tagsFor, type StackInfo } from "./component.ts";
import { ECS_SCALING_PRINCIPAL, type ScalingGrant } from "./iam.ts";
import { maxContainersOf, minContainersOf, type Unit } from "./units.ts";
import { backlogExpression as bufferedBacklog } from "../../runtime/aws/backlog.ts";

const PERIOD = 60;
/** requests per target per minute one `@concurrent` input slot is sized for (web servers) */
export const REQUESTS_PER_INPUT_PER_MINUTE = 60;

export interface AutoscalingInputs {
  unit: Unit;
  clusterName: pulumi.Input<string>;
  serviceName: pulumi.Input<string>;
  queueName: pulumi.Input<string>;
  /** for web servers: `app/<lb>/<id>/targetgroup/<tg>/<id>` */
  albResourceLabel: pulumi.Input<string> | null;
  tags: Record<string, string>;
  opts: pulumi.CustomResourceOptions;
}

/**
 * The unit's ECS service name. Fixed rather than auto-named so that every task definition can carry
 * every service's scaling target before the services exist; unit slugs are unique, and the cluster
 * is the stack's own.
 */
export function serviceNameOf(unit: Unit): string {
  return unit.slug;
}

/** The unit's service as Application Auto Scaling names it: `service/<cluster>/<service>`. */
export function scalingResourceId(clusterName: pulumi.Input<string>, unit: Unit): pulumi.Output<string> {
  return pulumi.interpolate`service/${clusterName}/${serviceNameOf(unit)}`;
}

/**
 * What `updateAutoscaler`'s grant names (iam.ts `scalingPolicyStatements`), in the cluster's
 * partition, region and account: the stack's scalable targets (by their tags), services and
 * target-tracking alarms (by the cluster), the app's task definition families, and the ECS
 * scaling service-linked role.
 */
export function scalingGrantOf(cluster: { arn: pulumi.Input<string>; name: pulumi.Input<string> }, info: StackInfo, taskFamilies: string[]): ScalingGrant {
  const at = pulumi.all([cluster.arn, cluster.name]).apply(([arn, clusterName]) => {
    const [, partition, , region, account] = arn.split(":");
    return { partition, region, account, clusterName, ecs: `arn:${partition}:ecs:${region}:${account}` };
  });
  return {
    scalableTargetArn: at.apply((a) => `arn:${a.partition}:application-autoscaling:${a.region}:${a.account}:scalable-target/*`),
    // the targets carry their FunctionService's tags (createAutoscaling); app and stack are what they share
    targetTags: tagsFor(info, null),
    serviceArn: at.apply((a) => `${a.ecs}:service/${a.clusterName}/*`),
    taskArn: at.apply((a) => `${a.ecs}:task/${a.clusterName}/*`),
    taskDefinitionArns: taskFamilies.map((f) => at.apply((a) => `${a.ecs}:task-definition/${f}:*`)),
    alarmArn: at.apply((a) => `arn:${a.partition}:cloudwatch:${a.region}:${a.account}:alarm:TargetTracking-service/${a.clusterName}/*`),
    serviceLinkedRoleArn: at.apply((a) => `arn:${a.partition}:iam::${a.account}:role/aws-service-role/${ECS_SCALING_PRINCIPAL}/AWSServiceRoleForApplicationAutoScaling_ECSService`),
  };
}

/** unit id -> what a caller needs to wake it from zero (its service comes from the scaling targets) */
export type WakeTable = Record<string, { targetInputs: number; maxContainers: number }>;

/** Queue units that can be at zero; web servers behind the load balancer never are. */
export function wakeTableOf(units: Unit[]): WakeTable {
  const table: WakeTable = {};
  for (const u of units) {
    if (u.server || minContainersOf(u) > 0) continue;
    table[u.id] = { targetInputs: u.concurrency.targetInputs, maxContainers: maxContainersOf(u) };
  }
  return table;
}

/** The backlog-per-task expression of a unit (the rule: runtime/aws/backlog.ts, which updateAutoscaler also writes). */
export function backlogExpression(unit: Unit): string {
  return bufferedBacklog(unit.options.bufferContainers * unit.concurrency.targetInputs);
}

export function createAutoscaling(name: string, i: AutoscalingInputs): void {
  const target = new aws.appautoscaling.Target(`${name}-scaling`, {
    serviceNamespace: "ecs",
    scalableDimension: "ecs:service:DesiredCount",
    resourceId: pulumi.interpolate`service/${i.clusterName}/${i.serviceName}`,
    minCapacity: minContainersOf(i.unit),
    maxCapacity: maxContainersOf(i.unit),
    tags: i.tags,
  }, i.opts);
  if (i.albResourceLabel) createRequestTracking(name, i, target, i.albResourceLabel);
  else {
    createBacklogTracking(name, i, target);
    createScaleFromZero(name, i, target);
  }
}

function sqsMetric(id: string, metricName: string, queueName: pulumi.Input<string>) {
  return {
    id,
    label: metricName,
    returnData: false,
    metricStat: {
      metric: { namespace: "AWS/SQS", metricName, dimensions: [{ name: "QueueName", value: queueName }] },
      stat: "Maximum",
    },
  };
}

function runningMetric(i: AutoscalingInputs) {
  return {
    id: "running",
    label: "RunningTaskCount",
    returnData: false,
    metricStat: {
      metric: {
        namespace: "ECS/ContainerInsights",
        metricName: "RunningTaskCount",
        dimensions: [{ name: "ClusterName", value: i.clusterName }, { name: "ServiceName", value: i.serviceName }],
      },
      stat: "Average",
    },
  };
}

function createBacklogTracking(name: string, i: AutoscalingInputs, target: aws.appautoscaling.Target): void {
  new aws.appautoscaling.Policy(`${name}-backlog`, {
    policyType: "TargetTrackingScaling",
    serviceNamespace: target.serviceNamespace,
    scalableDimension: target.scalableDimension,
    resourceId: target.resourceId,
    targetTrackingScalingPolicyConfiguration: {
      targetValue: i.unit.concurrency.targetInputs,
      scaleInCooldown: i.unit.options.scaledownWindow,
      scaleOutCooldown: PERIOD,
      customizedMetricSpecification: {
        metrics: [
          sqsMetric("visible", "ApproximateNumberOfMessagesVisible", i.queueName),
          sqsMetric("inflight", "ApproximateNumberOfMessagesNotVisible", i.queueName),
          runningMetric(i),
          { id: "backlog", label: "backlog per task", expression: backlogExpression(i.unit), returnData: true },
        ],
      },
    },
  }, i.opts);
}

/** The step alarm's condition: inputs visible, no task running, none asked for. */
export const FROM_ZERO_EXPRESSION = "IF(visible > 0 AND FILL(running, 0) == 0 AND FILL(desired, 0) == 0, 1, 0)";

function createScaleFromZero(name: string, i: AutoscalingInputs, target: aws.appautoscaling.Target): void {
  const step = new aws.appautoscaling.Policy(`${name}-from-zero`, {
    policyType: "StepScaling",
    serviceNamespace: target.serviceNamespace,
    scalableDimension: target.scalableDimension,
    resourceId: target.resourceId,
    stepScalingPolicyConfiguration: {
      // exactly one task, however often the alarm repeats the action during a cold start
      adjustmentType: "ExactCapacity",
      cooldown: PERIOD,
      metricAggregationType: "Maximum",
      stepAdjustments: [{ metricIntervalLowerBound: "0", scalingAdjustment: 1 }],
    },
  }, i.opts);
  new aws.cloudwatch.MetricAlarm(`${name}-from-zero`, {
    alarmDescription: `gantry: inputs are waiting for ${i.unit.id} and no task runs or is asked for; start one`,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    threshold: 1,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: "notBreaching",
    metricQueries: [
      { id: "visible", returnData: false, metric: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: i.queueName }, period: PERIOD, stat: "Maximum" } },
      {
        id: "running", returnData: false,
        metric: { namespace: "ECS/ContainerInsights", metricName: "RunningTaskCount", dimensions: { ClusterName: i.clusterName, ServiceName: i.serviceName }, period: PERIOD, stat: "Maximum" },
      },
      {
        id: "desired", returnData: false,
        metric: { namespace: "ECS/ContainerInsights", metricName: "DesiredTaskCount", dimensions: { ClusterName: i.clusterName, ServiceName: i.serviceName }, period: PERIOD, stat: "Maximum" },
      },
      // not while tasks are asked for: ExactCapacity 1 would cut a wake of several tasks still starting
      { id: "idle", label: "waiting with nothing running or asked for", expression: FROM_ZERO_EXPRESSION, returnData: true },
    ],
    alarmActions: [step.arn],
    tags: i.tags,
  }, i.opts);
}

function createRequestTracking(name: string, i: AutoscalingInputs, target: aws.appautoscaling.Target, label: pulumi.Input<string>): void {
  new aws.appautoscaling.Policy(`${name}-requests`, {
    policyType: "TargetTrackingScaling",
    serviceNamespace: target.serviceNamespace,
    scalableDimension: target.scalableDimension,
    resourceId: target.resourceId,
    targetTrackingScalingPolicyConfiguration: {
      targetValue: i.unit.concurrency.targetInputs * REQUESTS_PER_INPUT_PER_MINUTE,
      scaleInCooldown: i.unit.options.scaledownWindow,
      scaleOutCooldown: PERIOD,
      predefinedMetricSpecification: { predefinedMetricType: "ALBRequestCountPerTarget", resourceLabel: label },
    },
  }, i.opts);
}
