import { test } from "node:test";
import assert from "node:assert/strict";
import type { PolicyResource } from "@pulumi/policy";
import { contextFromEngine, packPolicies, validateWith } from "../../policy/pack.ts";
import { POLICIES } from "../../policy/run.ts";
import { gpuBudget } from "../../policy/rules/gpu-budget.ts";
import { inlineCostSettings, stackConfigFromEnv } from "../../policy/stack-config.ts";
import { cls, gpu, spec } from "./helpers.ts";

const app = spec({ classes: [cls("LlamaInference", 17, { gpu: gpu("H100"), maxContainers: 20, timeout: 600 })] });

function res(type: string, name: string, props: Record<string, unknown>, parent?: PolicyResource): PolicyResource {
  return {
    type, name, props, urn: `urn:pulumi:prod::demo::${type}::${name}`, parent, dependencies: [], propertyDependencies: {},
    opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    isType: () => false, asType: () => undefined,
  } as PolicyResource;
}

test("one stack policy per gantry policy, with the same names, levels and a config schema", () => {
  const pack = packPolicies();
  assert.deepEqual(pack.map((p) => p.name), POLICIES.map((p) => p.name));
  const budget = pack.find((p) => p.name === "gpu-budget")!;
  assert.equal(budget.enforcementLevel, "mandatory");
  assert.deepEqual(Object.keys(budget.configSchema!.properties).sort(), ["basis", "monthlyUsd"]);
});

test("the engine's resources become the same context gantry check uses", () => {
  const root = res("gantry:aws:App", "demo", { spec: app, specHash: "sha256:x" });
  const svc = res("gantry:aws:FunctionService", "LlamaInference", { declaration: "LlamaInference", source: { file: "app.ts", line: 17, column: 1 } }, root);
  const queue = res("aws:sqs/queue:Queue", "LlamaInference-queue", { visibilityTimeoutSeconds: 660 }, svc);
  const tagged = res("aws:efs/fileSystem:FileSystem", "weights", { tags: { "gantry:declaration": "weights", "gantry:source": "app.ts:5:7" } }, root);
  const ctx = contextFromEngine([root, svc, queue, tagged])!;
  assert.equal(ctx.stack, "prod");
  assert.equal(ctx.spec.classes[0].name, "LlamaInference");
  const q = ctx.resources.find((r) => r.name === "LlamaInference-queue")!;
  assert.equal(q.declaration, "LlamaInference");
  assert.deepEqual(q.source, { file: "app.ts", line: 17, column: 1 });
  assert.deepEqual(ctx.resources.find((r) => r.name === "weights")!.source, { file: "app.ts", line: 5, column: 7 });
});

test("violations reach the engine with their source location; bad config and a missing spec are reported", () => {
  const reports: string[] = [];
  const report = (m: string) => reports.push(m);
  const root = res("gantry:aws:App", "demo", { spec: app });
  validateWith(gpuBudget, { resources: [root], getConfig: <T>() => ({ enforcementLevel: "mandatory", monthlyUsd: 10000 }) as T }, report);
  assert.deepEqual(reports, ['app.ts:17:1: GPU ceiling $100,448/month exceeds the $10,000/month budget of stack "prod": LlamaInference $100,448']);
  reports.length = 0;
  validateWith(gpuBudget, { resources: [root], getConfig: <T>() => ({ monthlyUsd: "lots" }) as T }, report);
  assert.match(reports[0], /invalid config for gpu-budget: monthlyUsd/);
  reports.length = 0;
  validateWith(gpuBudget, { resources: [res("aws:s3/bucket:Bucket", "b", {})], getConfig: <T>() => ({}) as T }, report);
  assert.match(reports[0], /no gantry app spec found/);
});

test("the stack config Pulumi hands a pack (PULUMI_CONFIG): structured values parsed, inline cost settings applied, file paths named", () => {
  const config = stackConfigFromEnv({ PULUMI_CONFIG: JSON.stringify({ "aws:region": "us-east-1", "gantry:policy": '{"gpu-budget":{"monthlyUsd":10}}', "gantry:usage": "usage.yaml", "gantry:prices": '{"hoursPerMonth":720}' }) });
  assert.equal(config["aws:region"], "us-east-1");
  assert.deepEqual(config["gantry:policy"], { "gpu-budget": { monthlyUsd: 10 } });
  const { options, skipped } = inlineCostSettings(config, "stack config");
  assert.deepEqual(skipped, ["gantry:usage"]);
  assert.ok(options.prices && !options.usage);
  assert.deepEqual(stackConfigFromEnv({}), {});
  assert.throws(() => stackConfigFromEnv({ PULUMI_CONFIG: "{" }), /PULUMI_CONFIG is not JSON/);
});
