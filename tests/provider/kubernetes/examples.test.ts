/**
 * Every example synthesized for Kubernetes: a plan whose every manifest validates against the
 * real schemas and the strict pass (manifests.ts), with the node pools on and off, byte-identical
 * run after run; and the `gantry synth --target kubernetes` summary of one example as a user
 * sees it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, existsSync } from "node:fs";
import { describe, it } from "node:test";
import { buildPlan, serializePlan } from "../../../provider/plan/build.ts";
import type { Plan } from "../../../provider/plan.ts";
import { stackConfig } from "../plan-view.ts";
import { manifestProblems, manifestsOf } from "./manifests.ts";

const EXAMPLES = readdirSync("examples").filter((d) => existsSync(`examples/${d}/app.ts`)).sort();

function plan(example: string, kubernetes: Record<string, unknown> = {}): Promise<Plan> {
  return buildPlan({
    projectRoot: process.cwd(),
    stack: "dev",
    app: `examples/${example}/app.ts`,
    target: "kubernetes",
    config: stackConfig({ "gantry:kubernetes": kubernetes, "gantry:redisSecret": "plan-seed" }, ["gantry:redisSecret"]),
  });
}

describe("every example on Kubernetes", () => {
  it("there are examples to synthesize", () => {
    assert.ok(EXAMPLES.length >= 8, EXAMPLES.join(", "));
  });

  for (const example of EXAMPLES) {
    it(`${example}: every manifest validates (schemas + strict pass), with and without Karpenter node pools`, async () => {
      for (const settings of [{}, { nodePools: "karpenter", registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com/apps", storageClass: "efs-sc" }]) {
        const p = await plan(example, settings);
        assert.equal(p.target, "kubernetes");
        assert.ok(manifestsOf(p).some((r) => r.type === "kubernetes:apps/v1:Deployment"), "a Deployment");
        assert.deepEqual(manifestProblems(p), [], `${example} ${JSON.stringify(settings)}`);
        const units = p.resources.filter((r) => r.type === "gantry:k8s:Unit").length;
        assert.equal(p.resources.filter((r) => r.type === "kubernetes:keda.sh/v1alpha1:ScaledObject").length, units, "one ScaledObject per unit");
      }
    });
  }

  it("the plan is deterministic: the same bytes twice in one process", async () => {
    assert.equal(serializePlan(await plan("llm-inference")), serializePlan(await plan("llm-inference")));
  });

  it("gantry synth --target kubernetes prints a summary per declaration and the shared objects", () => {
    const r = spawnSync(process.execPath, ["cli/bin.mjs", "synth", "examples/llm-inference/app.ts", "--target", "kubernetes", "--stack", "dev"], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^gantry plan: app llm-inference, stack dev, target kubernetes$/m);
    assert.match(r.stdout, /^ {2}LlamaInference {2}\(class, examples\/llm-inference\/app\.ts:\d+:\d+\)$/m);
    assert.match(r.stdout, /^ {4}nodes {7}karpenter\.k8s\.aws\/instance-gpu-name=a10g, karpenter\.sh\/capacity-type=on-demand$/m);
    assert.match(r.stdout, /^ {4}scaling {5}0\.\.5 pods on lag \+ pending \+ retry = 6 per pod/m);
    assert.match(r.stdout, /^ {4}redis {7}a StatefulSet the stack runs at redis:\/\/redis\.gantry-llm-inference-dev\.svc:6379/m);
    assert.match(r.stdout, /^ {2}cost \(USD\/month/m);
  });
});
