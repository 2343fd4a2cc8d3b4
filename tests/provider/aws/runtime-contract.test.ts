/**
 * What the container runtime (runtime/container, runtime/aws) is told by the stack, on the exact
 * inputs AWS would receive. The contract round trip: the real Pulumi program runs under mocks
 * (provider/plan/build.ts), each task definition's environment is decoded by the container's own
 * decoder (runtime/contract.ts), and must equal the contract the provider meant to write: the
 * unit's options, and the numbers of the resources it was deployed with (its queue's visibility
 * and redrive count, its container's stop timeout, every service's scaling target). A variable
 * outside the contract fails, unless it is the user's own `env` or the SDK's region; secrets'
 * variables are the task's `secrets`, not its environment. Also here: the bearer token of private
 * web units, the container health check, the results-table and payload-bucket grants and lifetimes.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { HTTP_PORT, healthCheckOf } from "../../../provider/aws/function-service.ts";
import { unitsOf, type Unit } from "../../../provider/aws/units.ts";
import { callerConfigOf } from "../../../runtime/aws/config.ts";
import { AwsInvoker } from "../../../runtime/aws/invoker.ts";
import { ContainerContract, containerEnvNames, decodeContainerEnv, type ContainerContractInput } from "../../../runtime/contract.ts";
import { setupTimeoutSeconds } from "../../../runtime/delivery.ts";
import type { AppSpec } from "../../../synth/spec.ts";
import { app, fn, llmApp } from "../fixtures/specs.ts";
import { planOf, type PlanView } from "../plan-view.ts";

/** The AWS part of a decoded contract (these tests only build AWS tasks). */
function awsOf(contract: ContainerContract): Extract<ContainerContract["transport"], { kind: "aws" }> {
  assert.equal(contract.transport.kind, "aws");
  return contract.transport as Extract<ContainerContract["transport"], { kind: "aws" }>;
}

const Q = "aws:sqs/queue:Queue";
const TD = "aws:ecs/taskDefinition:TaskDefinition";
const TARGET = "aws:appautoscaling/target:Target";
const TOKEN_ARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:gantry-web-token-secret-AbCdEf";
const sqsUrl = (name: string) => `https://sqs.us-east-1.amazonaws.com/000000000000/${name}`;
let view: PlanView;
let web: PlanView;
let webSpec: AppSpec;

before(async () => {
  const at = { file: "tests/provider/fixtures/apps/llm/app.ts", line: 9, column: 30 };
  webSpec = app({
    functions: [
      fn("site", 9, { env: { SITE_TITLE: "hello" } }, { web: { kind: "app", public: true, source: at } }),
      fn("admin", 12, {}, { web: { kind: "server", port: 8080, startupTimeout: 30, public: false, source: { ...at, line: 12 } } }),
    ],
  });
  // one at a time: Pulumi's mock runtime is process-global
  view = await planOf(llmApp(), { secretValues: { "dict-1a2b3c": { OPENAI_KEY: "x" } } });
  web = await planOf(webSpec);
});

const container = (declaration: string, plan = view) => plan.json(TD, { declaration }, "containerDefinitions")[0];
const envOf = (declaration: string, plan = view): Record<string, string> =>
  Object.fromEntries(container(declaration, plan).environment.map((e: { name: string; value: string }) => [e.name, e.value]));
const env = (declaration: string) => envOf(declaration);
const redrive = (queue: string, plan = view) => JSON.parse(plan.inputs(Q, { name: queue }).redrivePolicy);
interface Statement { Sid: string; Action: string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string | string[]>> }
const statements = (policy: string): Statement[] => JSON.parse(view.inputs("aws:iam/rolePolicy:RolePolicy", { name: policy }).policy).Statement;
const resourcesOf = (s: Statement[], action: string) => s.filter((x) => x.Action.includes(action)).flatMap((x) => (Array.isArray(x.Resource) ? x.Resource : [x.Resource]));

/**
 * The contract the provider means to write for `u`, from the unit and the resources it was
 * deployed with in `plan`: its own queue's settings, not a second derivation of them.
 */
function meant(spec: AppSpec, plan: PlanView, u: Unit): ContainerContractInput {
  const queue = plan.inputs(Q, { name: `${u.slug}-queue` });
  // a named secret without required keys is read whole at start; the others are injected key by key
  const whole = u.options.secrets.map((id) => spec.secrets.find((s) => s.id === id)!).flatMap((s) => (s.kind === "named" && !s.requiredKeys.length ? [s.name] : []));
  const scalingTargets = Object.fromEntries(plan.resources(TARGET).map((t) => [t.declaration!, t.inputs.resourceId as string]));
  // every unit that can be at zero, sized as its deployed scaling says (backlog target, max capacity)
  const wake = Object.fromEntries(plan.resources(TARGET)
    .filter((t) => t.inputs.minCapacity === 0 && plan.resources("aws:appautoscaling/policy:Policy", { name: `${t.name.replace(/-scaling$/, "")}-backlog` }).length)
    .map((t) => {
      const backlog = plan.inputs("aws:appautoscaling/policy:Policy", { name: `${t.name.replace(/-scaling$/, "")}-backlog` });
      return [t.declaration!, { targetInputs: backlog.targetTrackingScalingPolicyConfiguration.targetValue as number, maxContainers: t.inputs.maxCapacity as number }];
    }));
  const privateWeb = u.server !== null && !u.server.public;
  return {
    app: spec.app.name,
    stack: "dev",
    specHash: plan.plan.specHash,
    kind: u.kind,
    declaration: u.name,
    unit: u.id,
    timeout: u.options.timeout,
    setupTimeout: setupTimeoutSeconds(u.options),
    retries: u.options.retries,
    maxInputs: u.concurrency.maxInputs,
    batching: u.batching,
    idleExit: null,
    stopTimeout: container(u.id, plan).stopTimeout,
    healthPort: u.server ? null : 8081,
    httpPort: u.server ? 8000 : null,
    volumes: Object.fromEntries(u.options.volumes.map((m) => [m.mountPath, m.volume])),
    transport: {
      kind: "aws",
      queueUrl: sqsUrl(`${u.slug}-queue`),
      dlqUrl: sqsUrl(`${u.slug}-dlq`),
      resultsTable: "gantry-state-results",
      bucket: "gantry-state-payloads",
      maxMessageBytes: queue.maxMessageSize,
      visibilityTimeout: queue.visibilityTimeoutSeconds,
      maxReceiveCount: JSON.parse(queue.redrivePolicy).maxReceiveCount,
      resultTtlDays: 7,
      queues: Object.fromEntries(unitsOf(spec).map((x) => [x.id, sqsUrl(`${x.slug}-queue`)])),
      dicts: Object.fromEntries(spec.dicts.map((d) => [d.name, `dict-${d.name}-table`])),
      stateQueues: Object.fromEntries(spec.queues.map((q) => [q.name, sqsUrl(`queue-${q.name}-queue`)])),
      scalingTargets,
      wake,
      secretArns: whole.map((name) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:gantry/${spec.app.name}/dev/${name}-AbCdEf`),
      ...(privateWeb ? { tokenSecretArn: TOKEN_ARN } : {}),
    },
  };
}

/** Variables in a task's environment that are neither the contract's, nor the user's `env`, nor the SDK's region. */
function strayVariables(environment: Record<string, string>, u: Unit): string[] {
  const allowed = new Set([...containerEnvNames("aws"), "AWS_REGION", ...Object.keys(u.options.env)]);
  return Object.keys(environment).filter((name) => !allowed.has(name));
}

describe("the container contract, round trip: what the provider encodes is what the container decodes", () => {
  for (const [label, plan, spec] of [["llm-demo", () => view, llmApp], ["web units", () => web, () => webSpec]] as const) {
    it(`${label}: every task definition's environment decodes to the contract meant for its unit`, () => {
      const units = unitsOf(spec());
      assert.equal(plan().resources(TD).length, units.length);
      for (const u of units) {
        const e = envOf(u.id, plan());
        assert.deepEqual(decodeContainerEnv(e), ContainerContract.parse(meant(spec(), plan(), u)), u.id);
        assert.deepEqual(strayVariables(e, u), [], `${u.id}: variables outside the contract`);
        assert.equal(e.AWS_REGION, "us-east-1");
        for (const [k, v] of Object.entries(u.options.env)) assert.equal(e[k], v, `${u.id}: the user's ${k}`);
      }
    });
  }
  it("a variable outside the contract is caught", () => {
    const u = unitsOf(llmApp()).find((x) => x.id === "square")!;
    assert.deepEqual(strayVariables({ ...env("square"), GANTRY_MEMORY_SNAPSHOT: "false", GANTRY_TARGET_INPUTS: "1" }, u), ["GANTRY_MEMORY_SNAPSHOT", "GANTRY_TARGET_INPUTS"]);
  });
  it("secrets with known keys are the task's secrets (valueFrom), not its environment", () => {
    assert.deepEqual(container("LlamaInference").secrets, [{ name: "HF_TOKEN", valueFrom: "arn:aws:secretsmanager:us-east-1:000000000000:secret:gantry/llm-demo/dev/huggingface-token-AbCdEf:HF_TOKEN::" }]);
    assert.equal(env("LlamaInference").HF_TOKEN, undefined);
  });
});

describe("the redrive count leaves room for the runtime's retries and crashes", () => {
  it("maxReceiveCount is maxRetries + 5, so retries: 0 no longer dead-letters on the first crash", () => {
    assert.deepEqual(redrive("hourly-queue"), { deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:hourly-dlq", maxReceiveCount: 5 });
    assert.deepEqual(redrive("llama-inference-queue"), { deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:llama-inference-dlq", maxReceiveCount: 7 });
    assert.equal(redrive("nightly-queue").maxReceiveCount, 8);
  });
  it("the container is told the same count and visibility as its queue, unit by unit", () => {
    for (const [declaration, queue] of [["hourly", "hourly-queue"], ["LlamaInference", "llama-inference-queue"], ["LlamaInference[gpu=H100]", "llama-inference-gpu-h100-queue"], ["nightly", "nightly-queue"]]) {
      const told = awsOf(decodeContainerEnv(env(declaration)));
      assert.equal(told.maxReceiveCount, redrive(queue).maxReceiveCount, declaration);
      assert.equal(told.visibilityTimeout, view.inputs(Q, { name: queue }).visibilityTimeoutSeconds, declaration);
      // above 1: the runtime re-enqueues a fresh copy on the last receive instead of letting SQS dead-letter it
      assert.ok(told.maxReceiveCount > 1);
    }
  });
  it("the setup timeout is the declaration's timeout (Modal's rule), on AWS as locally", () => {
    assert.equal(decodeContainerEnv(env("square")).setupTimeout, 60);
    assert.equal(decodeContainerEnv(env("LlamaInference")).setupTimeout, 600);
    assert.equal(decodeContainerEnv(env("batchTrain")).setupTimeout, 7200);
  });
});

describe("updateAutoscaler: every task is told every service's scalable target, and may change it", () => {
  it("GANTRY_SCALING_TARGETS, exactly: unit id -> service/<cluster>/<service>", () => {
    assert.equal(env("square").GANTRY_SCALING_TARGETS, JSON.stringify({
      EmbeddingService: "service/gantry-capacity/embedding-service",
      LlamaInference: "service/gantry-capacity/llama-inference",
      "LlamaInference[gpu=H100]": "service/gantry-capacity/llama-inference-gpu-h100",
      api: "service/gantry-capacity/api",
      batchTrain: "service/gantry-capacity/batch-train",
      health: "service/gantry-capacity/health",
      hourly: "service/gantry-capacity/hourly",
      nightly: "service/gantry-capacity/nightly",
      square: "service/gantry-capacity/square",
    }));
  });
  it("read by the runtime's caller config, in every task, it names each unit's scalable target and service as deployed", () => {
    const deployed = Object.fromEntries(view.resources(TARGET).map((t) => [t.declaration, t.inputs.resourceId]));
    assert.equal(Object.keys(deployed).length, 9);
    for (const td of view.resources(TD)) {
      assert.deepEqual(callerConfigOf(decodeContainerEnv(env(td.declaration!))).scalingTargets, deployed, td.declaration!);
    }
    // the service names are fixed, so the names the tasks carry are the services' own
    for (const svc of view.resources("aws:ecs/service:Service")) {
      assert.equal(deployed[svc.declaration!], `service/gantry-capacity/${svc.inputs.name}`);
      assert.equal(svc.inputs.cluster, "arn:aws:ecs:us-east-1:000000000000:cluster/gantry-capacity");
    }
  });
  it("the runtime's calls land on the stack's targets, within its task role's grant", async () => {
    const calls: Array<{ action: string; input: Record<string, any> }> = [];
    const none = { send: async () => ({}) };
    const autoscaling = {
      send: async (command: { input: Record<string, any>; constructor: { name: string } }) => {
        const action = command.constructor.name.replace(/Command$/, "");
        calls.push({ action, input: command.input });
        if (action !== "DescribeScalingPolicies") return {};
        // the policy the stack declared for the class (aws:appautoscaling/policy:Policy), as AWS describes it
        const cfg = view.inputs("aws:appautoscaling/policy:Policy", { name: "llama-inference-backlog" }).targetTrackingScalingPolicyConfiguration;
        return { ScalingPolicies: [{
          PolicyName: "llama-inference-backlog", PolicyType: "TargetTrackingScaling",
          TargetTrackingScalingPolicyConfiguration: {
            TargetValue: cfg.targetValue, ScaleInCooldown: cfg.scaleInCooldown, ScaleOutCooldown: cfg.scaleOutCooldown,
            CustomizedMetricSpecification: { Metrics: cfg.customizedMetricSpecification.metrics.map((m: any) => ({ Id: m.id, Label: m.label, ReturnData: m.returnData, ...(m.expression ? { Expression: m.expression } : {}) })) },
          },
        }] };
      },
    };
    // called from inside another unit's task, with that task's environment
    const inv = new AwsInvoker({ config: callerConfigOf(decodeContainerEnv(env("square"))), clients: { sqs: none, ddb: none, s3: none, autoscaling } });
    await inv.updateAutoscaler({ app: "llm-demo", name: "LlamaInference", params: { modelName: "x" } }, { minContainers: 1, maxContainers: 3, bufferContainers: 1, scaledownWindow: 120 });
    assert.deepEqual(calls.map((c) => c.action), ["RegisterScalableTarget", "DescribeScalingPolicies", "PutScalingPolicy"]);

    const target = view.inputs(TARGET, { declaration: "LlamaInference" });
    const grant = statements("square-task");
    for (const { action, input } of calls) {
      assert.deepEqual([input.ServiceNamespace, input.ResourceId, input.ScalableDimension], [target.serviceNamespace, target.resourceId, target.scalableDimension], action);
      assert.equal(input.RoleARN, undefined, "no RoleARN: no iam:PassRole needed");
      assert.equal(input.Tags, undefined, "no Tags: no TagResource needed");
      const allowing = grant.filter((s) => s.Action.includes(`application-autoscaling:${action}`));
      assert.equal(allowing.length, 1, action);
      const [s] = allowing;
      if (action === "DescribeScalingPolicies") {
        assert.equal(s.Resource, "*");
        continue;
      }
      assert.equal(s.Resource, "arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/*");
      // what IAM evaluates for the call: the target's namespace, dimension and tags
      const context: Record<string, string> = {
        "application-autoscaling:service-namespace": input.ServiceNamespace,
        "application-autoscaling:scalable-dimension": input.ScalableDimension,
        ...Object.fromEntries(Object.entries(target.tags as Record<string, string>).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
      };
      assert.deepEqual(Object.keys(s.Condition!), ["StringEquals"]);
      for (const [key, value] of Object.entries(s.Condition!.StringEquals)) assert.equal(context[key], value, `${action}: ${key}`);
    }
    // bufferContainers rewrote the stack's own backlog expression: 1 buffer container x 6 target inputs
    const put = calls[2].input.TargetTrackingScalingPolicyConfiguration;
    assert.equal(put.ScaleInCooldown, 120);
    assert.equal(put.CustomizedMetricSpecification.Metrics.find((m: { Id: string }) => m.Id === "backlog").Expression, "(visible + inflight + IF((visible + inflight) > 0, 6, 0)) / running");
  });
});

describe("private webApp / webServer containers get the bearer token", () => {
  it("a private webApp: its token's secret, read by the task role (the runtime reads it at start), no other unit", () => {
    const e = env("api");
    const told = decodeContainerEnv(e);
    assert.equal(awsOf(told).tokenSecretArn, TOKEN_ARN);
    assert.deepEqual([told.httpPort, told.healthPort], [8000, null]);
    // the task role reads exactly its own whole-loaded secret and the token
    assert.deepEqual(statements("api-task").filter((s) => s.Action.includes("secretsmanager:GetSecretValue")), [{
      Sid: "Secrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"],
      Resource: ["arn:aws:secretsmanager:us-east-1:000000000000:secret:gantry/llm-demo/dev/api-secrets-AbCdEf", TOKEN_ARN],
    }]);
    // not injected by ECS: the execution role has no reason to read it
    assert.deepEqual(resourcesOf(statements("api-exec"), "secretsmanager:GetSecretValue"), []);
    // the token is not loaded into the environment with the app's secrets
    assert.ok(!awsOf(told).secretArns.includes(TOKEN_ARN));
    for (const [d, slug] of [["square", "square"], ["health", "health"], ["EmbeddingService", "embedding-service"], ["LlamaInference", "llama-inference"]]) {
      assert.equal(awsOf(decodeContainerEnv(env(d))).tokenSecretArn, undefined, d);
      for (const role of [`${slug}-task`, `${slug}-exec`]) assert.ok(!resourcesOf(statements(role), "secretsmanager:GetSecretValue").includes(TOKEN_ARN), role);
    }
  });
  it("a public webApp needs no token, and a private webServer gets it as a webApp does", () => {
    const tokenArn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:gantry-web-token-secret-AbCdEf";
    assert.equal(awsOf(decodeContainerEnv(envOf("site", web))).tokenSecretArn, undefined);
    assert.equal(awsOf(decodeContainerEnv(envOf("admin", web))).tokenSecretArn, tokenArn);
    const grants = (role: string) => (JSON.parse(web.inputs("aws:iam/rolePolicy:RolePolicy", { name: role }).policy).Statement as Statement[])
      .filter((s) => s.Action.includes("secretsmanager:GetSecretValue")).flatMap((s) => [s.Resource].flat());
    assert.deepEqual(grants("admin-task"), [tokenArn]);
    assert.deepEqual(grants("site-task"), []);
    // the webServer's health check waits out its startupTimeout
    assert.deepEqual(web.json(TD, { declaration: "admin" }, "containerDefinitions")[0].healthCheck, {
      command: ["CMD", "node", "-e", `require("http").get("http://127.0.0.1:8000/livez",(r)=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1))`],
      interval: 30, timeout: 10, retries: 3, startPeriod: 90,
    });
  });
});

describe("a container health check on /livez", () => {
  const probe = (port: number) => `require("http").get("http://127.0.0.1:${port}/livez",(r)=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1))`;
  it("workers: node (every image has it) asks the health port; tolerance covers a blocked loop for the setup budget", () => {
    // timeout 600: (10 - 1) x 70 s = 630 s >= 600 s
    assert.deepEqual(container("LlamaInference").healthCheck, { command: ["CMD", "node", "-e", probe(8081)], interval: 70, timeout: 10, retries: 10, startPeriod: 60 });
    // timeout 60: the setup budget is the timeout too (runtime/delivery.ts), (3 - 1) x 30 = 60 s
    assert.deepEqual(container("square").healthCheck, { command: ["CMD", "node", "-e", probe(8081)], interval: 30, timeout: 10, retries: 3, startPeriod: 60 });
    // timeout 7200: ECS's ceiling, 9 x 300 s
    assert.deepEqual(container("batchTrain").healthCheck, { command: ["CMD", "node", "-e", probe(8081)], interval: 300, timeout: 10, retries: 10, startPeriod: 60 });
  });
  it("a webApp answers /livez on its web port, behind no token", () => {
    assert.deepEqual(container("api").healthCheck, { command: ["CMD", "node", "-e", probe(HTTP_PORT)], interval: 30, timeout: 10, retries: 3, startPeriod: 60 });
  });
  it("stays within ECS's limits for every declaration the spec allows", () => {
    const base = unitsOf(llmApp()).find((u) => u.id === "square")!;
    const variants: Unit[] = [];
    for (const timeout of [1, 60, 300, 301, 900, 3600, 43140]) variants.push({ ...base, options: { ...base.options, timeout } });
    for (const startupTimeout of [0.5, 5, 239, 240, 241, 600, 3600]) {
      variants.push({ ...base, server: { kind: "server", port: 8080, startupTimeout, public: false, source: base.source } });
    }
    for (const u of variants) {
      const h = healthCheckOf(u);
      const what = JSON.stringify({ timeout: u.options.timeout, server: u.server });
      assert.ok(Number.isInteger(h.interval) && h.interval >= 5 && h.interval <= 300, what);
      assert.ok(h.timeout >= 2 && h.timeout <= 60, what);
      assert.ok(Number.isInteger(h.retries) && h.retries >= 1 && h.retries <= 10, what);
      assert.ok(Number.isInteger(h.startPeriod) && h.startPeriod >= 0 && h.startPeriod <= 300, what);
      // a webServer's startup beyond the start period is covered by the retries
      if (u.server?.kind === "server") {
        const needed = Math.ceil(u.server.startupTimeout) + 60 - h.startPeriod;
        assert.ok((h.retries - 1) * h.interval >= Math.min(needed, 2700), what);
      } else {
        assert.ok((h.retries - 1) * h.interval >= Math.min(setupTimeoutSeconds(u.options), 2700), what);
      }
    }
  });
});

describe("results and payloads", () => {
  it("the task role may BatchGetItem the results table, by key, and nothing else", () => {
    const table = "arn:aws:dynamodb:us-east-1:000000000000:table/gantry-state-results";
    const sids = ["ResultsOfCallsToSelf", "ResultsOfOwnCalls"];
    assert.deepEqual(statements("square-task").filter((s) => sids.includes(s.Sid)), [
      {
        Sid: "ResultsOfCallsToSelf", Effect: "Allow",
        Action: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        Resource: table, Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": "square:*" } },
      },
      {
        Sid: "ResultsOfOwnCalls", Effect: "Allow",
        Action: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
        Resource: table, Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": "*:square:*" } },
      },
    ]);
    for (const s of statements("square-task")) {
      if (!sids.includes(s.Sid)) assert.ok(!s.Action.includes("dynamodb:BatchGetItem"), s.Sid);
    }
    // the web gateway waits with the same poller, on its own calls to the units with endpoints
    assert.deepEqual(statements("gantry-gateway").find((s) => s.Sid === "ReadResults"), {
      Sid: "ReadResults", Effect: "Allow", Action: ["dynamodb:BatchGetItem", "dynamodb:GetItem"], Resource: table,
      Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["EmbeddingService:@web:*", "health:@web:*"] } },
    });
  });
  it("large payloads outlive the dead-letter queue's retention (a redrive finds its arguments)", () => {
    const dlqDays = view.inputs(Q, { name: "llama-inference-dlq" }).messageRetentionSeconds / 86400;
    assert.equal(dlqDays, 14);
    const rules = view.inputs("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").rules;
    assert.deepEqual(rules, [
      { expiration: { days: 14 }, filter: { prefix: "inputs/" }, id: "expire-inputs", status: "Enabled" },
      { expiration: { days: 14 }, filter: { prefix: "results/" }, id: "expire-results", status: "Enabled" },
    ]);
    for (const r of rules) assert.ok(r.expiration.days >= dlqDays);
  });
});
