/**
 * IAM scope: each declaration's roles reach its own queue, secrets, volumes, log group and bucket
 * prefix, and nothing of another declaration's (except sending it calls, which `.remote()` is, and
 * changing the scaling of the app's services, which `updateAutoscaler` is).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { llmApp } from "../fixtures/specs.ts";
import { planOf, type PlanView } from "../plan-view.ts";

let view: PlanView;
before(async () => { view = await planOf(llmApp(), { secretValues: { "dict-1a2b3c": { OPENAI_KEY: "x" } } }); });

interface Statement { Sid: string; Action: string[]; Resource: string | string[]; Condition?: any }
const statements = (roleName: string): Statement[] => JSON.parse(view.inputs("aws:iam/rolePolicy:RolePolicy", { name: roleName }).policy).Statement;
const resources = (s: Statement[]) => s.flatMap((x) => (Array.isArray(x.Resource) ? x.Resource : [x.Resource]));
const allowing = (s: Statement[], action: string) => resources(s.filter((x) => x.Action.includes(action)));
const arn = {
  queue: (n: string) => `arn:aws:sqs:us-east-1:000000000000:${n}-queue`,
  secret: (n: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:gantry/llm-demo/dev/${n}-AbCdEf`,
  bucket: "arn:aws:s3:::gantry-state-payloads",
};

describe("IAM scope per declaration", () => {
  it("a task role receives only from its own queue", () => {
    assert.deepEqual(allowing(statements("llama-inference-task"), "sqs:ReceiveMessage"), [arn.queue("llama-inference"), "arn:aws:sqs:us-east-1:000000000000:queue-jobs-queue"]);
    assert.deepEqual(allowing(statements("embedding-service-task"), "sqs:ReceiveMessage"), [arn.queue("embedding-service"), "arn:aws:sqs:us-east-1:000000000000:queue-jobs-queue"]);
    assert.ok(!allowing(statements("embedding-service-task"), "sqs:ReceiveMessage").includes(arn.queue("llama-inference")));
  });
  it("but may send to every function's queue (that is what .remote() does)", () => {
    assert.ok(allowing(statements("square-task"), "sqs:SendMessage").includes(arn.queue("llama-inference")));
  });
  it("one declaration cannot read another's secret", () => {
    assert.deepEqual(allowing(statements("llama-inference-exec"), "secretsmanager:GetSecretValue"), [arn.secret("huggingface-token")]);
    // api is a private webApp: its container's front door also reads the bearer token
    assert.deepEqual(allowing(statements("api-task"), "secretsmanager:GetSecretValue"), [arn.secret("api-secrets"), "arn:aws:secretsmanager:us-east-1:000000000000:secret:gantry-web-token-secret-AbCdEf"]);
    for (const role of ["embedding-service-exec", "embedding-service-task", "square-exec", "square-task", "api-exec"]) {
      assert.ok(!allowing(statements(role), "secretsmanager:GetSecretValue").includes(arn.secret("huggingface-token")), role);
    }
  });
  it("one declaration cannot mount another's volume; the mount is tied to the access point", () => {
    const mount = statements("llama-inference-task").find((s) => s.Action.includes("elasticfilesystem:ClientMount"))!;
    assert.equal(mount.Resource, "arn:aws:elasticfilesystem:us-east-1:000000000000:file-system/fs-volume-llm-model-weights-fs");
    assert.deepEqual(mount.Condition, { StringEquals: { "elasticfilesystem:AccessPointArn": "arn:aws:elasticfilesystem:us-east-1:000000000000:access-point/fsap-volume-llm-model-weights-ap" } });
    for (const role of ["embedding-service-task", "square-task", "nightly-task"]) assert.deepEqual(allowing(statements(role), "elasticfilesystem:ClientMount"), [], role);
  });
  it("large inputs are read from the calls made to the declaration only, large results from the calls it made (iam-scope.test.ts evaluates them)", () => {
    assert.deepEqual(allowing(statements("square-task"), "s3:GetObject").sort(), [`${arn.bucket}/inputs/*/square/*`, `${arn.bucket}/results/*/square/*`]);
    assert.deepEqual(allowing(statements("square-task"), "s3:DeleteObject"), [`${arn.bucket}/inputs/*/square/*`]);
  });
  it("the execution role pulls only its image and writes only its log group", () => {
    const exec = statements("llama-inference-exec");
    assert.deepEqual(allowing(exec, "ecr:BatchGetImage"), ["arn:aws:ecr:us-east-1:000000000000:repository/image-img-3f2a9c1d0b7e"]);
    assert.deepEqual(allowing(exec, "logs:PutLogEvents"), ["arn:aws:logs:us-east-1:000000000000:log-group:/gantry/llm-demo/dev/llama-inference:*"]);
  });
  it("no statement grants * except the two actions that have no resource form, each alone in its statement", () => {
    const unscoped = new Set<string>();
    for (const r of view.resources("aws:iam/rolePolicy:RolePolicy")) {
      for (const s of JSON.parse(r.inputs.policy as string).Statement as Statement[]) {
        if (!resources([s]).includes("*")) continue;
        assert.equal(s.Action.length, 1, `${r.name} ${s.Sid}`);
        assert.ok(["ecr:GetAuthorizationToken", "application-autoscaling:DescribeScalingPolicies"].includes(s.Action[0]), `${r.name} ${s.Sid}: ${s.Action[0]}`);
        assert.equal(s.Condition, undefined);
        unscoped.add(s.Action[0]);
      }
    }
    assert.equal(unscoped.size, 2);
  });
  it("the web gateway may only enqueue to the declarations that have endpoints", () => {
    assert.deepEqual(allowing(statements("gantry-gateway"), "sqs:SendMessage"), [arn.queue("embedding-service"), arn.queue("health")]);
  });
});

/** IAM's wildcard match of a Resource / StringLike pattern (`*` is any run of characters). */
const matchesPattern = (pattern: string, value: string) =>
  new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`).test(value);

describe("updateAutoscaler's grant", () => {
  const SIDS = ["ScaleAppServices", "ReadScalingPolicies", "DescribeAppServices", "UpdateAppServices", "TargetTrackingAlarms", "EcsScalingServiceLinkedRole"];
  const ECS = "arn:aws:ecs:us-east-1:000000000000";
  const scaling = (role: string) => statements(role).filter((s) => SIDS.includes(s.Sid));
  const taskRoles = () => view.resources("aws:iam/rolePolicy:RolePolicy", { name: /-task$/ }).map((r) => r.name);
  const families = ["embedding-service", "llama-inference", "llama-inference-gpu-h100", "api", "batch-train", "health", "hourly", "nightly", "square"];

  it("the task role's statements, exactly", () => {
    assert.deepEqual(scaling("square-task"), [
      {
        Sid: "ScaleAppServices", Effect: "Allow",
        Action: ["application-autoscaling:PutScalingPolicy", "application-autoscaling:RegisterScalableTarget"],
        Resource: "arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/*",
        Condition: { StringEquals: {
          "application-autoscaling:service-namespace": "ecs",
          "application-autoscaling:scalable-dimension": "ecs:service:DesiredCount",
          "aws:ResourceTag/gantry:app": "llm-demo",
          "aws:ResourceTag/gantry:stack": "dev",
        } },
      },
      { Sid: "ReadScalingPolicies", Effect: "Allow", Action: ["application-autoscaling:DescribeScalingPolicies"], Resource: "*" },
      { Sid: "DescribeAppServices", Effect: "Allow", Action: ["ecs:DescribeServices"], Resource: `${ECS}:service/gantry-capacity/*` },
      {
        Sid: "UpdateAppServices", Effect: "Allow", Action: ["ecs:UpdateService"], Resource: `${ECS}:service/gantry-capacity/*`,
        Condition: { StringLikeIfExists: { "ecs:task-definition": families.map((f) => `${ECS}:task-definition/llm-demo-dev-${f}:*`) } },
      },
      {
        Sid: "TargetTrackingAlarms", Effect: "Allow", Action: ["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm"],
        Resource: "arn:aws:cloudwatch:us-east-1:000000000000:alarm:TargetTracking-service/gantry-capacity/*",
      },
      {
        Sid: "EcsScalingServiceLinkedRole", Effect: "Allow", Action: ["iam:CreateServiceLinkedRole"],
        Resource: "arn:aws:iam::000000000000:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
        Condition: { StringEquals: { "iam:AWSServiceName": "ecs.application-autoscaling.amazonaws.com" } },
      },
    ]);
  });

  it("a task may protect the stack's tasks from scale-in while busy (the ECS agent's endpoint), nothing else's", () => {
    for (const role of taskRoles()) {
      assert.deepEqual(statements(role).find((s) => s.Sid === "ProtectTasksWhileBusy"), {
        Sid: "ProtectTasksWhileBusy", Effect: "Allow", Action: ["ecs:GetTaskProtection", "ecs:UpdateTaskProtection"], Resource: `${ECS}:task/gantry-capacity/*`,
      }, role);
    }
  });

  it("every task role has the same grant (any unit may scale any of the app's units); execution and other roles have none of it", () => {
    assert.equal(taskRoles().length, 9);
    for (const role of taskRoles()) assert.deepEqual(scaling(role), scaling("square-task"), role);
    for (const r of view.resources("aws:iam/rolePolicy:RolePolicy")) {
      if (r.name.endsWith("-task")) continue;
      // the gateway may wake the units it calls (runtime/aws/waker.ts), with nothing of the scaling grant
      const actions = (JSON.parse(r.inputs.policy as string).Statement as Statement[]).filter((s) => s.Sid !== "WakeUnits").flatMap((s) => s.Action);
      assert.ok(!actions.some((a) => /^(application-autoscaling|cloudwatch):|^ecs:(Describe|Update)Service|^iam:/.test(a)), r.name);
    }
  });

  it("reaches each of the stack's services, scalable targets and their target-tracking alarms", () => {
    const [target, describe, update, alarms] = ["ScaleAppServices", "DescribeAppServices", "UpdateAppServices", "TargetTrackingAlarms"]
      .map((sid) => scaling("square-task").find((s) => s.Sid === sid)!);
    const services = view.resources("aws:ecs/service:Service");
    assert.equal(services.length, 9);
    for (const svc of services) {
      const arn = `${(svc.inputs.cluster as string).replace(":cluster/", ":service/")}/${svc.inputs.name}`;
      assert.ok(matchesPattern(describe.Resource as string, arn) && matchesPattern(update.Resource as string, arn), arn);
      const t = view.inputs("aws:appautoscaling/target:Target", { declaration: svc.declaration });
      // what IAM sees of the target: its namespace, dimension and tags
      const context: Record<string, string> = {
        "application-autoscaling:service-namespace": t.serviceNamespace,
        "application-autoscaling:scalable-dimension": t.scalableDimension,
        ...Object.fromEntries(Object.entries(t.tags as Record<string, string>).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
      };
      for (const [key, value] of Object.entries(target.Condition.StringEquals)) assert.equal(context[key], value, `${svc.declaration}: ${key}`);
      // Application Auto Scaling names a target-tracking policy's alarms after the target
      for (const side of ["AlarmHigh", "AlarmLow"]) {
        const alarm = `arn:aws:cloudwatch:us-east-1:000000000000:alarm:TargetTracking-${t.resourceId}-${side}-d4f0770c-b46e-434a-a60f-3b36d653feca`;
        assert.ok(matchesPattern(alarms.Resource as string, alarm), alarm);
      }
    }
  });

  it("and nothing of another cluster's, stack's or app's; UpdateService cannot switch a service to a task definition outside the app", () => {
    const [target, describe, update, alarms] = ["ScaleAppServices", "DescribeAppServices", "UpdateAppServices", "TargetTrackingAlarms"]
      .map((sid) => scaling("square-task").find((s) => s.Sid === sid)!);
    assert.ok(!matchesPattern(describe.Resource as string, `${ECS}:service/other-cluster/square`));
    assert.ok(!matchesPattern(update.Resource as string, `${ECS}:service/gantry-capacity-prod/square`));
    assert.ok(!matchesPattern(alarms.Resource as string, "arn:aws:cloudwatch:us-east-1:000000000000:alarm:TargetTracking-service/other-cluster/square-AlarmHigh-1"));
    assert.ok(!matchesPattern(alarms.Resource as string, "arn:aws:cloudwatch:us-east-1:000000000000:alarm:square-from-zero"), "the stack's own step alarm is not the runtime's");
    assert.equal(target.Condition.StringEquals["aws:ResourceTag/gantry:stack"], "dev");
    assert.equal(target.Condition.StringEquals["aws:ResourceTag/gantry:app"], "llm-demo");
    // the condition lists the app's task definition families, all of them, and nothing else
    const allowed: string[] = update.Condition.StringLikeIfExists["ecs:task-definition"];
    const deployed = view.resources("aws:ecs/taskDefinition:TaskDefinition").map((td) => `${ECS}:task-definition/${td.inputs.family}:7`);
    assert.deepEqual(deployed.filter((arn) => allowed.some((p) => matchesPattern(p, arn))), deployed);
    for (const foreign of [`${ECS}:task-definition/admin-tools:1`, `${ECS}:task-definition/llm-demo-prod-square:3`, `${ECS}:task-definition/llm-demo-dev-square-x:1`]) {
      assert.ok(!allowed.some((p) => matchesPattern(p, foreign)), foreign);
    }
  });

  it("needs no iam:PassRole (the runtime passes no RoleARN) and no tagging", () => {
    for (const role of taskRoles()) {
      const actions = statements(role).flatMap((s) => s.Action);
      for (const a of ["iam:PassRole", "application-autoscaling:TagResource", "application-autoscaling:DeregisterScalableTarget", "application-autoscaling:DeleteScalingPolicy", "ecs:CreateService", "ecs:DeleteService"]) {
        assert.ok(!actions.includes(a), `${role}: ${a}`);
      }
    }
  });
});
