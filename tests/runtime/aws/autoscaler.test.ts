/**
 * updateAutoscaler on AWS: exact Application Auto Scaling calls against the scaling objects the
 * stack creates (provider/aws/autoscaling.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AwsInvoker } from "../../../runtime/aws/invoker.ts";
import { backlogExpression } from "../../../runtime/aws/backlog.ts";
import { backlogExpression as stackExpression } from "../../../provider/aws/autoscaling.ts";
import type { Unit } from "../../../provider/aws/units.ts";
import { Recorder } from "./fixtures/recorder.ts";

const RESOURCE = "service/gantry-cluster/llm-Model-svc";

/** The target-tracking policy as the stack creates it for a queue worker with targetInputs 4, no buffer. */
function deployedPolicy() {
  const metric = (id: string, name: string) => ({
    Id: id, Label: name, ReturnData: false,
    MetricStat: { Metric: { Namespace: "AWS/SQS", MetricName: name, Dimensions: [{ Name: "QueueName", Value: "llm-Model" }] }, Stat: "Maximum" },
  });
  return {
    PolicyName: "model-backlog-1a2b3c", PolicyARN: "arn:aws:autoscaling:us-east-1:1:scalingPolicy:x", ServiceNamespace: "ecs",
    ResourceId: RESOURCE, ScalableDimension: "ecs:service:DesiredCount", PolicyType: "TargetTrackingScaling", CreationTime: new Date(0),
    Alarms: [{ AlarmName: "TargetTracking-x-AlarmHigh", AlarmARN: "arn:aws:cloudwatch:::alarm:x" }],
    TargetTrackingScalingPolicyConfiguration: {
      TargetValue: 4, ScaleInCooldown: 60, ScaleOutCooldown: 60,
      CustomizedMetricSpecification: {
        Metrics: [
          metric("visible", "ApproximateNumberOfMessagesVisible"),
          metric("inflight", "ApproximateNumberOfMessagesNotVisible"),
          { Id: "running", Label: "RunningTaskCount", ReturnData: false, MetricStat: { Metric: { Namespace: "ECS/ContainerInsights", MetricName: "RunningTaskCount" }, Stat: "Average" } },
          { Id: "backlog", Label: "backlog per task", Expression: "(visible + inflight) / running", ReturnData: true },
        ],
      },
    },
  };
}

function setup(policies: unknown[] = [deployedPolicy(), { PolicyName: "model-from-zero", PolicyType: "StepScaling" }]) {
  const rec = new Recorder();
  const fake = {
    send: async (command: { constructor: { name: string } }) => {
      switch (command.constructor.name) {
        case "DescribeScalingPoliciesCommand": return { ScalingPolicies: policies };
        default: return {};
      }
    },
  };
  const none = { send: async () => ({}) };
  const inv = new AwsInvoker({
    config: {
      queues: {}, resultsTable: "r", bucket: "b", maxMessageBytes: 262144, resultTtlDays: 7,
      scalingTargets: { Model: RESOURCE, "Model[gpu=H100]": "service/gantry-cluster/llm-Model-h100" },
    },
    clients: { sqs: none, ddb: none, s3: none, autoscaling: rec.wrap("autoscaling", fake) },
  });
  return { inv, rec };
}

const model = { app: "llm", name: "Model", params: { size: "7b" } };

test("minContainers and maxContainers: RegisterScalableTarget on the unit's service, nothing else", async () => {
  const { inv, rec } = setup();
  await inv.updateAutoscaler(model, { minContainers: 2, maxContainers: 6 });
  assert.deepEqual(rec.log.map((r) => [r.action, r.input]), [
    ["RegisterScalableTarget", { ServiceNamespace: "ecs", ResourceId: RESOURCE, ScalableDimension: "ecs:service:DesiredCount", MinCapacity: 2, MaxCapacity: 6 }],
  ]);
  rec.log.length = 0;
  await inv.updateAutoscaler({ ...model, variant: "Model[gpu=H100]" }, { maxContainers: 1 });
  assert.deepEqual(rec.log.map((r) => [r.action, r.input]), [
    ["RegisterScalableTarget", { ServiceNamespace: "ecs", ResourceId: "service/gantry-cluster/llm-Model-h100", ScalableDimension: "ecs:service:DesiredCount", MaxCapacity: 1 }],
  ]);
});

test("bufferContainers and scaledownWindow: the target-tracking policy is read, then put back with the new buffer and cooldown", async () => {
  const { inv, rec } = setup();
  await inv.updateAutoscaler(model, { bufferContainers: 2, scaledownWindow: 300 });
  assert.deepEqual(rec.log.map((r) => r.action), ["DescribeScalingPolicies", "PutScalingPolicy"]);
  assert.deepEqual(rec.log[0].input, { ServiceNamespace: "ecs", ResourceId: RESOURCE, ScalableDimension: "ecs:service:DesiredCount" });
  const expected = deployedPolicy().TargetTrackingScalingPolicyConfiguration;
  expected.ScaleInCooldown = 300;
  (expected.CustomizedMetricSpecification.Metrics[3] as { Expression?: string }).Expression = "(visible + inflight + IF((visible + inflight) > 0, 8, 0)) / running";
  assert.deepEqual(rec.log[1].input, {
    ServiceNamespace: "ecs", ResourceId: RESOURCE, ScalableDimension: "ecs:service:DesiredCount",
    PolicyName: "model-backlog-1a2b3c", PolicyType: "TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration: expected,
  });
});

test("all four at once: the scalable target first, then the policy", async () => {
  const { inv, rec } = setup();
  await inv.updateAutoscaler(model, { minContainers: 0, maxContainers: 3, bufferContainers: 0, scaledownWindow: 2.5 });
  assert.deepEqual(rec.log.map((r) => r.action), ["RegisterScalableTarget", "DescribeScalingPolicies", "PutScalingPolicy"]);
  const config = rec.log[2].input.TargetTrackingScalingPolicyConfiguration;
  assert.equal(config.ScaleInCooldown, 3, "whole seconds, rounded up");
  assert.equal(config.CustomizedMetricSpecification.Metrics[3].Expression, "(visible + inflight) / running");
});

test("the runtime writes the backlog expression exactly as the stack does", () => {
  for (const [buffer, targetInputs] of [[0, 1], [2, 4], [1, 16]]) {
    const unit = { options: { bufferContainers: buffer }, concurrency: { targetInputs } } as unknown as Unit;
    assert.equal(backlogExpression(buffer * targetInputs), stackExpression(unit));
  }
});

test("bad settings and unknown units are refused before any call", async () => {
  const { inv, rec } = setup();
  await assert.rejects(inv.updateAutoscaler(model, { minContainers: 5, maxContainers: 2 }), /Model\.updateAutoscaler: minContainers \(5\) is more than maxContainers \(2\)/);
  await assert.rejects(inv.updateAutoscaler(model, { maxContainers: 1.5 }), /maxContainers must be a whole number >= 0, not 1\.5/);
  await assert.rejects(inv.updateAutoscaler({ ...model, variant: "Model[gpu=T4]" }, { minContainers: 1 }), /the stack has no ECS service for "Model\[gpu=T4\]" \(deployed: "Model", "Model\[gpu=H100\]"\)/);
  assert.deepEqual(rec.log, []);
});

test("bufferContainers on a service that does not track a backlog (a web server) is an error, and nothing changes", async () => {
  const web = { PolicyName: "web-requests", PolicyType: "TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration: { TargetValue: 60, PredefinedMetricSpecification: { PredefinedMetricType: "ALBRequestCountPerTarget" } } };
  const { inv, rec } = setup([web]);
  await assert.rejects(inv.updateAutoscaler(model, { bufferContainers: 1, scaledownWindow: 10 }), /bufferContainers applies to queue workers/);
  assert.deepEqual(rec.log.map((r) => r.action), ["DescribeScalingPolicies"]);
});
