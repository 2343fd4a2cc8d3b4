/**
 * `gantry deploy`'s record step (after `pulumi up`), with fake stack outputs, and the whole
 * promotion path offline: staging's plan from a child `gantry synth`, its deployment recorded,
 * `gantry promote` to prod, and prod's plan running exactly staging's digests.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import type { AppSpec } from "../../../synth/spec.ts";
import type { Plan } from "../../../provider/plan.ts";
import { buildPlan } from "../../../provider/plan/build.ts";
import { readStackConfig } from "../../../provider/plan/stack-config.ts";
import { summarizePlan } from "../../../provider/plan/summary.ts";
import { analyzeAppFile } from "../../../policy/analyze-app.ts";
import { promote } from "../../../policy/promote/promote.ts";
import { recordStackDeployment, RecordError, synthPlanInChild, type StackOutput } from "../../../policy/promote/deployed.ts";
import { planHash, readDeployment, readRecordedPlan, stackDir } from "../../../policy/promote/records.ts";
import { cls, gpu, plan, spec } from "../helpers.ts";

const ref = (repo: string, c: string) => `123456789012.dkr.ecr.us-east-1.amazonaws.com/${repo}@sha256:${c.repeat(64)}`;
const appSpec = (): AppSpec => spec({ name: "llm", classes: [cls("LlamaInference", 17, { gpu: gpu("A10G"), maxContainers: 5, timeout: 600 })] });
const out = (value: unknown, secret = false): StackOutput => ({ value, secret });

/** What `stack.up()` returns for a plan, with the real digests in place of the plan's stand-ins. */
function upOutputs(p: Plan, images: Record<string, string>): Record<string, StackOutput> {
  return { app: out(p.app), stack: out(p.stack), specHash: out(p.specHash), images: out(images), queueUrls: out({}), webToken: out("[secret]", true) };
}

const tmp = () => mkdtempSync(join(tmpdir(), "gantry-deployed-"));

test("records the deployment: the plan, its hash, and the digests pulumi up reported", () => {
  const root = tmp();
  const staging = plan(appSpec(), [], "staging", undefined, { images: { "img-default": ref("mock", "0") } });
  const images = { "img-default": ref("image-img-default-1a2b3c4:0123456789abcdef", "a") };
  const recorded = recordStackDeployment({
    projectRoot: root, app: "app.ts", stack: "staging", outputs: upOutputs(staging, images),
    plan: (projectRoot, app, stack) => {
      assert.deepEqual([projectRoot, app, stack], [root, "app.ts", "staging"]);
      return staging;
    },
    deployedAt: "2026-11-22T10:00:00Z",
  });
  assert.equal(recorded.file, join(stackDir(root, "staging"), "deployment.json"));
  assert.deepEqual(readDeployment(root, "staging"), {
    stack: "staging", app: "llm", specHash: staging.specHash, planHash: planHash(staging), images, deployedAt: "2026-11-22T10:00:00Z",
  });
  assert.equal(planHash(readRecordedPlan(root, "staging")!), planHash(staging));
});

test("refuses to record when the plan is not what was deployed, and writes nothing", () => {
  const staging = plan(appSpec(), [], "staging", undefined, { images: { "img-default": ref("mock", "0") } });
  const images = { "img-default": ref("llm", "a") };
  const cases: Array<[string, Record<string, StackOutput>, RegExp]> = [
    ["spec hash", { ...upOutputs(staging, images), specHash: out(`sha256:${"9".repeat(64)}`) }, /not what pulumi up deployed: spec hash "sha256:[0-9a-f]{64}" in the plan, "sha256:9{64}" deployed/],
    ["app", { ...upOutputs(staging, images), app: out("other") }, /app "llm" in the plan, "other" deployed/],
    ["image ids", upOutputs(staging, { ...images, "img-gpu": ref("gpu", "b") }), /images \["img-default"\] in the plan, \["img-default","img-gpu"\] deployed/],
    ["digest", upOutputs(staging, { "img-default": "llm:latest" }), /has no digest for img-default \("llm:latest"\)/],
    ["missing output", { app: out("llm"), specHash: out(staging.specHash) }, /the stack has no output "images"/],
    ["secret output", { ...upOutputs(staging, images), images: out(images, true) }, /"images" is secret/],
  ];
  for (const [what, outputs, message] of cases) {
    const root = tmp();
    assert.throws(() => recordStackDeployment({ projectRoot: root, app: "app.ts", stack: "staging", outputs, plan: () => staging }), (e: Error) => e instanceof RecordError && message.test(e.message), what);
    assert.ok(!existsSync(stackDir(root, "staging")), `${what}: nothing written`);
  }
  assert.throws(() => recordStackDeployment({ projectRoot: tmp(), app: "app.ts", stack: "prod", outputs: upOutputs(staging, images), plan: () => staging }), /stack "staging" in the plan, "prod" deployed/);
});

test("the child synth's errors are reported, not swallowed", () => {
  assert.throws(() => synthPlanInChild(process.cwd(), "tests/provider/fixtures/broken/app.ts", "staging"), (e: Error) => e instanceof RecordError && /gantry synth .* failed \(exit 1\):\n.*broken\/app\.ts:6:\d+: error/s.test(e.message));
});

test("staging deployed -> promote -> prod's plan runs exactly staging's digests, with prod's overrides", async () => {
  const APP = "examples/hello/app.ts";
  // what gantry deploy --stack staging does after pulumi up, with the outputs AWS would give
  const staging = synthPlanInChild(process.cwd(), APP, "staging");
  assert.equal(staging.stack, "staging");
  const ids = Object.keys(staging.outputs.images as Record<string, string>);
  assert.ok(ids.length > 0);
  const images = Object.fromEntries(ids.map((id, n) => [id, ref(`image-${id}-7c1d2e3:0123456789abcdef`, String(n + 1))]));
  const root = tmp();
  recordStackDeployment({ projectRoot: root, app: APP, stack: "staging", outputs: upOutputs(staging, images), plan: () => staging });

  writeFileSync(join(root, "Pulumi.prod.yaml"), "config:\n  gantry:overrides:\n    square:\n      maxContainers: 3\n");
  const analyze = async (file: string) => {
    const a = await analyzeAppFile(file);
    return { spec: a.spec, errors: a.errors.map((d) => d.message) };
  };
  const promoted = await promote({ root, from: "staging", to: "prod", app: resolve(APP), analyze });
  assert.deepEqual(promoted.artifact.images, images);

  const prod = await buildPlan({ projectRoot: process.cwd(), stack: "prod", app: APP, config: readStackConfig(root, "prod") });
  const containers = prod.resources.filter((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition")
    .map((r) => JSON.parse(r.inputs.containerDefinitions as string)[0].image as string);
  assert.ok(containers.length > 0);
  for (const image of containers) assert.ok(Object.values(images).includes(image), image);
  assert.equal(prod.resources.filter((r) => r.type === "docker-build:index:Image").length, 0);
  assert.equal(prod.resources.find((r) => r.type === "aws:appautoscaling/target:Target" && r.declaration === "square")?.inputs.maxCapacity, 3);
  assert.deepEqual(prod.outputs.images, images);
  assert.match(summarizePlan(prod), /^ {4}images {6}promoted from stack staging, not built: img-\w+ = 123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/image-/m);
});
