/**
 * IAM scope: each declaration's roles reach its own queue, secrets, volumes, log group and bucket
 * prefix, and nothing of another declaration's (except sending it calls, which `.remote()` is).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { llmApp } from "../fixtures/specs.ts";
import { planOf, type PlanView } from "../plan-view.ts";

let view: PlanView;
before(async () => { view = await planOf(llmApp(), { secretValues: { "dict-1a2b3c": { OPENAI_KEY: "x" } } }); });

interface Statement { Sid: string; Action: string[]; Resource: string | string[]; Condition?: unknown }
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
  it("large inputs are read from the declaration's own prefix only", () => {
    assert.deepEqual(allowing(statements("square-task"), "s3:GetObject").sort(), [`${arn.bucket}/inputs/square/*`, `${arn.bucket}/results/*`]);
    assert.deepEqual(allowing(statements("square-task"), "s3:DeleteObject"), [`${arn.bucket}/inputs/square/*`]);
  });
  it("the execution role pulls only its image and writes only its log group", () => {
    const exec = statements("llama-inference-exec");
    assert.deepEqual(allowing(exec, "ecr:BatchGetImage"), ["arn:aws:ecr:us-east-1:000000000000:repository/image-img-3f2a9c1d0b7e"]);
    assert.deepEqual(allowing(exec, "logs:PutLogEvents"), ["arn:aws:logs:us-east-1:000000000000:log-group:/gantry/llm-demo/dev/llama-inference:*"]);
  });
  it("no statement grants * except ecr:GetAuthorizationToken (which has no resource form)", () => {
    for (const r of view.resources("aws:iam/rolePolicy:RolePolicy")) {
      for (const s of JSON.parse(r.inputs.policy as string).Statement as Statement[]) {
        if (resources([s]).includes("*")) assert.deepEqual(s.Action, ["ecr:GetAuthorizationToken"], r.name);
      }
    }
  });
  it("the web gateway may only enqueue to the declarations that have endpoints", () => {
    assert.deepEqual(allowing(statements("gantry-gateway"), "sqs:SendMessage"), [arn.queue("embedding-service"), arn.queue("health")]);
  });
});
