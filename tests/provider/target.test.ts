/** The target registry: gantry:target and `gantry synth --target` pick a target through it. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { ConfigError } from "../../provider/errors.ts";
import { buildPlan } from "../../provider/plan/build.ts";
import { implementedTargets, knownTargets, lookupTarget } from "../../provider/target.ts";
import { app, fn } from "./fixtures/specs.ts";
import { stackConfig } from "./plan-view.ts";

const gantry = (args: string[]) => spawnSync(process.execPath, ["cli/bin.mjs", ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

async function refusal(config: Record<string, unknown>, target?: string): Promise<string[]> {
  try {
    await buildPlan({ projectRoot: process.cwd(), stack: "dev", spec: app({ functions: [fn("square", 1)] }), target, config: stackConfig(config) });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail("the plan was built");
}

describe("target registry", () => {
  it("aws and kubernetes are built; other names are unknown", () => {
    assert.deepEqual(implementedTargets(), ["aws", "kubernetes"]);
    assert.deepEqual(knownTargets(), ["aws", "kubernetes"]);
    const aws = lookupTarget("aws");
    assert.equal(aws.kind === "found" && aws.target.name, "aws");
    const k8s = lookupTarget("kubernetes");
    assert.equal(k8s.kind === "found" && k8s.target.name, "kubernetes");
    assert.deepEqual(lookupTarget("gcp"), { kind: "unknown", name: "gcp", known: ["aws", "kubernetes"] });
    assert.equal(lookupTarget("toString").kind, "unknown");
  });

  it("gantry:target selects the target; an unknown one is a config error", async () => {
    const plan = await buildPlan({ projectRoot: process.cwd(), stack: "dev", spec: app({ functions: [fn("square", 1)] }), config: stackConfig({ "gantry:target": "kubernetes" }) });
    assert.equal(plan.target, "kubernetes");
    assert.ok(plan.resources.some((r) => r.type === "kubernetes:apps/v1:Deployment"));
    assert.deepEqual(await refusal({ "gantry:target": "gcp" }), ['Pulumi.dev.yaml: gantry:target: "gcp" is not one of aws, kubernetes']);
  });

  it("the plan builder's target wins over gantry:target (gantry synth --target)", async () => {
    assert.deepEqual(await refusal({ "gantry:target": "aws" }, "gcp"), ['Pulumi.dev.yaml: gantry:target: "gcp" is not one of aws, kubernetes']);
    const plan = await buildPlan({ projectRoot: process.cwd(), stack: "dev", spec: app({ functions: [fn("square", 1)] }), target: "kubernetes", config: stackConfig({ "gantry:target": "aws" }) });
    assert.equal(plan.target, "kubernetes");
  });

  it("the target's own settings are read and checked through it, with their key paths", async () => {
    const problems = await refusal({ "gantry:network": { vpcId: "vpc-1", privateSubnetIds: ["subnet-a"], publicSubnetIds: [] }, "gantry:logRetentionDays": 2 });
    assert.deepEqual(problems, [
      "Pulumi.dev.yaml: gantry:network.privateSubnetIds: at least two private subnets (two availability zones)",
      "Pulumi.dev.yaml: gantry:network.publicSubnetIds: Too small: expected array to have >=1 items",
      "Pulumi.dev.yaml: gantry:logRetentionDays: 2 is not a CloudWatch retention (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)",
    ]);
  });

  it("gantry synth --target: an unknown name is refused with a clear message (exit 2)", () => {
    const gcp = gantry(["synth", "examples/hello/app.ts", "--target", "gcp"]);
    assert.equal(gcp.status, 2);
    assert.match(gcp.stderr, /--target must be aws or kubernetes, not "gcp"/);
  });
});
