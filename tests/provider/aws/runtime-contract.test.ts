/**
 * What the container runtime (runtime/container, runtime/aws) needs from the stack, on the exact
 * inputs AWS would receive: the redrive count it re-enqueues against, every environment variable
 * it reads, the bearer token of private web units, the container health check, the results-table
 * and payload-bucket grants and lifetimes. The plan's environment is also fed to the runtime's own
 * config readers, so a name or format the runtime does not accept fails here.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { HEALTH_PORT, HTTP_PORT, healthCheckOf } from "../../../provider/aws/function-service.ts";
import { unitsOf, type Unit } from "../../../provider/aws/units.ts";
import { callerConfigFromEnv, workerConfigFromEnv } from "../../../runtime/aws/config.ts";
import { AwsInvoker } from "../../../runtime/aws/invoker.ts";
import { containerConfigFromEnv, DEFAULT_HEALTH_PORT } from "../../../runtime/container/config.ts";
import { app, fn, llmApp } from "../fixtures/specs.ts";
import { planOf, type PlanView } from "../plan-view.ts";

const Q = "aws:sqs/queue:Queue";
const TD = "aws:ecs/taskDefinition:TaskDefinition";
const TARGET = "aws:appautoscaling/target:Target";
const TOKEN_ARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:gantry-web-token-secret-AbCdEf";
let view: PlanView;

before(async () => {
  view = await planOf(llmApp(), { secretValues: { "dict-1a2b3c": { OPENAI_KEY: "x" } } });
});

const container = (declaration: string) => view.json(TD, { declaration }, "containerDefinitions")[0];
const env = (declaration: string): Record<string, string> =>
  Object.fromEntries(container(declaration).environment.map((e: { name: string; value: string }) => [e.name, e.value]));
const redrive = (queue: string) => JSON.parse(view.inputs(Q, { name: queue }).redrivePolicy);
interface Statement { Sid: string; Action: string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string | string[]>> }
const statements = (policy: string): Statement[] => JSON.parse(view.inputs("aws:iam/rolePolicy:RolePolicy", { name: policy }).policy).Statement;
const resourcesOf = (s: Statement[], action: string) => s.filter((x) => x.Action.includes(action)).flatMap((x) => (Array.isArray(x.Resource) ? x.Resource : [x.Resource]));

describe("the redrive count leaves room for the runtime's retries and crashes", () => {
  it("maxReceiveCount is maxRetries + 5, so retries: 0 no longer dead-letters on the first crash", () => {
    assert.deepEqual(redrive("hourly-queue"), { deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:hourly-dlq", maxReceiveCount: 5 });
    assert.deepEqual(redrive("llama-inference-queue"), { deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:llama-inference-dlq", maxReceiveCount: 7 });
    assert.equal(redrive("nightly-queue").maxReceiveCount, 8);
  });
  it("the container is told the same count (GANTRY_MAX_RECEIVE_COUNT), unit by unit", () => {
    for (const [declaration, queue] of [["hourly", "hourly-queue"], ["LlamaInference", "llama-inference-queue"], ["LlamaInference[gpu=H100]", "llama-inference-gpu-h100-queue"], ["nightly", "nightly-queue"]]) {
      assert.equal(env(declaration).GANTRY_MAX_RECEIVE_COUNT, String(redrive(queue).maxReceiveCount), declaration);
      // above 1: the runtime re-enqueues a fresh copy on the last receive instead of letting SQS dead-letter it
      assert.ok(redrive(queue).maxReceiveCount > 1);
    }
  });
});

describe("the environment is what the runtime reads", () => {
  it("a worker's environment, parsed by the runtime's own readers", () => {
    const e = env("LlamaInference");
    const c = containerConfigFromEnv(e);
    assert.deepEqual([c.appName, c.kind, c.name, c.unit, c.maxInputs, c.timeoutMs, c.setupTimeoutMs, c.idleExitMs, c.stopTimeoutMs, c.healthPort, c.httpPort],
      ["llm-demo", "class", "LlamaInference", "LlamaInference", 8, 600_000, 600_000, null, 120_000, 8081, null]);
    const w = workerConfigFromEnv(e);
    assert.deepEqual([w.unit, w.queueUrl, w.dlqUrl, w.resultsTable, w.bucket, w.maxMessageBytes, w.visibilityTimeoutS, w.maxReceiveCount, w.resultTtlDays], [
      "LlamaInference",
      "https://sqs.us-east-1.amazonaws.com/000000000000/llama-inference-queue",
      "https://sqs.us-east-1.amazonaws.com/000000000000/llama-inference-dlq",
      "gantry-state-results",
      "gantry-state-payloads",
      1048576, 660, 7, 7,
    ]);
    assert.deepEqual(w.retries, { maxRetries: 2, backoffCoefficient: 2, initialDelay: 1, maxDelay: 60 });
    // the queue's visibility timeout and the one the heartbeat renews agree
    assert.equal(view.inputs(Q, { name: "llama-inference-queue" }).visibilityTimeoutSeconds, w.visibilityTimeoutS);
  });
  it("each GANTRY_* variable the container reads is set, or left to a default on purpose", () => {
    const worker = Object.keys(env("square")).filter((k) => k.startsWith("GANTRY_"));
    assert.deepEqual(worker, [
      "GANTRY_APP", "GANTRY_BATCHING", "GANTRY_DECLARATION", "GANTRY_DICTS", "GANTRY_DLQ_URL", "GANTRY_HEALTH_PORT", "GANTRY_IDLE_EXIT",
      "GANTRY_KIND", "GANTRY_MAX_INPUTS", "GANTRY_MAX_RECEIVE_COUNT", "GANTRY_MEMORY_SNAPSHOT", "GANTRY_PAYLOAD_BUCKET", "GANTRY_QUEUES",
      "GANTRY_QUEUE_URL", "GANTRY_RESULTS_TABLE", "GANTRY_RESULT_TTL_DAYS", "GANTRY_RETRIES", "GANTRY_SCALEDOWN_WINDOW", "GANTRY_SCALING_TARGETS", "GANTRY_SECRET_ARNS",
      "GANTRY_SETUP_TIMEOUT", "GANTRY_SPEC_HASH", "GANTRY_SQS_MAX_BYTES", "GANTRY_STACK", "GANTRY_STATE_QUEUES", "GANTRY_STOP_TIMEOUT",
      "GANTRY_TARGET_INPUTS", "GANTRY_TIMEOUT", "GANTRY_TRANSPORT", "GANTRY_VARIANT", "GANTRY_VISIBILITY_TIMEOUT", "GANTRY_VOLUMES",
    ]);
    // defaults kept on purpose: GANTRY_PARAMS (a class's first instance: its default parameters),
    // GANTRY_DRAIN_SECONDS (3/4 of the stop timeout), GANTRY_APP_DIR (the image's ENV), and the tuning knobs
    for (const name of ["GANTRY_PARAMS", "GANTRY_DRAIN_SECONDS", "GANTRY_SQS_WAIT_SECONDS", "GANTRY_HEARTBEAT_MS", "GANTRY_CANCEL_POLL_MS", "GANTRY_WEB_TOKEN"]) {
      assert.equal(env("square")[name], undefined, name);
    }
    assert.equal(env("square").GANTRY_RESULT_TTL_DAYS, "7");
    assert.equal(env("square").GANTRY_SETUP_TIMEOUT, "300");
    assert.equal(env("batchTrain").GANTRY_SETUP_TIMEOUT, "7200");
  });
  it("the stack's health port is the runtime's", () => {
    assert.equal(HEALTH_PORT, DEFAULT_HEALTH_PORT);
    assert.equal(env("square").GANTRY_HEALTH_PORT, "8081");
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
      const e = Object.fromEntries(JSON.parse(td.inputs.containerDefinitions as string)[0].environment.map((x: { name: string; value: string }) => [x.name, x.value]));
      assert.deepEqual(callerConfigFromEnv(e).scalingTargets, deployed, td.declaration!);
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
    const inv = new AwsInvoker({ config: callerConfigFromEnv(env("square")), clients: { sqs: none, ddb: none, s3: none, autoscaling } });
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
    assert.equal(put.CustomizedMetricSpecification.Metrics.find((m: { Id: string }) => m.Id === "backlog").Expression, "(visible + inflight + 6) / running");
  });
});

describe("private webApp / webServer containers get the bearer token", () => {
  it("a private webApp: GANTRY_TOKEN_SECRET_ARN, read by the task role (the runtime reads it at start), no other unit", () => {
    const e = env("api");
    assert.equal(e.GANTRY_TOKEN_SECRET_ARN, TOKEN_ARN);
    assert.equal(e.GANTRY_HTTP_PORT, "8000");
    assert.equal(e.GANTRY_HEALTH_PORT, undefined);
    assert.equal(containerConfigFromEnv(e).httpPort, 8000);
    // the task role reads exactly its own whole-loaded secret and the token
    assert.deepEqual(statements("api-task").filter((s) => s.Action.includes("secretsmanager:GetSecretValue")), [{
      Sid: "Secrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"],
      Resource: ["arn:aws:secretsmanager:us-east-1:000000000000:secret:gantry/llm-demo/dev/api-secrets-AbCdEf", TOKEN_ARN],
    }]);
    // not injected by ECS: the execution role has no reason to read it
    assert.deepEqual(resourcesOf(statements("api-exec"), "secretsmanager:GetSecretValue"), []);
    // the token is not loaded into the environment with the app's secrets
    assert.ok(!JSON.parse(e.GANTRY_SECRET_ARNS).includes(TOKEN_ARN));
    for (const [d, slug] of [["square", "square"], ["health", "health"], ["EmbeddingService", "embedding-service"], ["LlamaInference", "llama-inference"]]) {
      assert.equal(env(d).GANTRY_TOKEN_SECRET_ARN, undefined, d);
      for (const role of [`${slug}-task`, `${slug}-exec`]) assert.ok(!resourcesOf(statements(role), "secretsmanager:GetSecretValue").includes(TOKEN_ARN), role);
    }
  });
  it("a public webApp needs no token, and a private webServer gets it as a webApp does", async () => {
    const at = { file: "tests/provider/fixtures/apps/llm/app.ts", line: 9, column: 30 };
    const web = await planOf(app({
      functions: [
        fn("site", 9, {}, { web: { kind: "app", public: true, source: at } }),
        fn("admin", 12, {}, { web: { kind: "server", port: 8080, startupTimeout: 30, public: false, source: { ...at, line: 12 } } }),
      ],
    }));
    const envOf = (d: string) => Object.fromEntries(web.json(TD, { declaration: d }, "containerDefinitions")[0].environment.map((e: { name: string; value: string }) => [e.name, e.value]));
    const tokenArn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:gantry-web-token-secret-AbCdEf";
    assert.equal(envOf("site").GANTRY_TOKEN_SECRET_ARN, undefined);
    assert.equal(envOf("admin").GANTRY_TOKEN_SECRET_ARN, tokenArn);
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
    // timeout 60: the setup budget is still 5 minutes, (10 - 1) x 35 = 315 s
    assert.deepEqual(container("square").healthCheck, { command: ["CMD", "node", "-e", probe(8081)], interval: 35, timeout: 10, retries: 10, startPeriod: 60 });
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
        assert.ok((h.retries - 1) * h.interval >= Math.min(Math.max(u.options.timeout, 300), 2700), what);
      }
    }
  });
});

describe("results and payloads", () => {
  it("the task role may BatchGetItem the results table, and nothing else", () => {
    const results = statements("square-task").find((s) => s.Sid === "Results")!;
    assert.deepEqual(results, {
      Sid: "Results", Effect: "Allow",
      Action: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
      Resource: "arn:aws:dynamodb:us-east-1:000000000000:table/gantry-state-results",
    });
    for (const s of statements("square-task")) {
      if (s.Sid !== "Results") assert.ok(!s.Action.includes("dynamodb:BatchGetItem"), s.Sid);
    }
    // the web gateway waits with the same poller
    assert.deepEqual(statements("gantry-gateway").find((s) => s.Sid === "ReadResults"), {
      Sid: "ReadResults", Effect: "Allow", Action: ["dynamodb:BatchGetItem", "dynamodb:GetItem"],
      Resource: "arn:aws:dynamodb:us-east-1:000000000000:table/gantry-state-results",
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
