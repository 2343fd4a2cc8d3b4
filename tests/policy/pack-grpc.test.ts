/**
 * The policy pack as the Pulumi engine talks to it: started the way `pulumi preview --policy-pack
 * policy` starts it (`node <run-policy-pack> <engine> <pack dir>`, see pack-harness.ts), it prints
 * its port and answers the Analyzer gRPC service. No Pulumi CLI here: the test plays the engine.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { analyzeStack, call, configure, Empty, messages, resource, startPack } from "./pack-harness.ts";
import { cls, gpu, spec } from "./helpers.ts";

const app = spec({ name: "llm", classes: [cls("LlamaInference", 17, { gpu: gpu("H100"), maxContainers: 20, timeout: 600 }), cls("Unbounded", 40, { gpu: gpu("T4"), timeout: 60 })] });

function stackResources() {
  const urn = (type: string, name: string) => `urn:pulumi:prod::llm::${type}::${name}`;
  const stack = resource("pulumi:pulumi:Stack", "llm-prod", { gantrySpec: JSON.parse(JSON.stringify(app)), specHash: "sha256:x" }, urn("pulumi:pulumi:Stack", "llm-prod"));
  const queue = resource("aws:sqs/queue:Queue", "q", { visibilityTimeoutSeconds: 660, tags: { "gantry:declaration": "LlamaInference", "gantry:source": "app.ts:17:1" } }, urn("aws:sqs/queue:Queue", "q"), stack.getUrn());
  return [stack, queue];
}

test("pulumi's engine view: run-policy-pack loads the pack, which serves gantry's policies, takes --policy-pack-config, reports violations", async (t) => {
  const pack = await startPack({ stack: "prod" });
  t.after(pack.stop);

  const info = await call<any>(pack.client, "getAnalyzerInfo", new Empty());
  assert.equal(info.getName(), "gantry");
  const names = info.getPoliciesList().map((p: any) => p.getName());
  assert.ok(names.includes("gpu-budget") && names.includes("gpu-max-containers"), names.join());

  // `--policy-pack-config` with the same map gantry check takes
  await configure(pack.client, { "gpu-budget": { enforcementLevel: "mandatory", monthlyUsd: 10000 } });
  const diags = await analyzeStack(pack.client, stackResources());
  assert.deepEqual(diags.map((d) => d.policy).sort(), ["gpu-budget", "gpu-max-containers"]);
  const b = diags.find((d) => d.policy === "gpu-budget")!;
  assert.equal(b.level, "mandatory");
  assert.match(b.message, /^app.ts:17:1: GPU ceiling \$\d{3},\d{3}\/month exceeds the \$10,000\/month budget of stack "prod"/);
  assert.match(diags.find((d) => d.policy === "gpu-max-containers")!.message, /^app.ts:40:1: Unbounded runs on GPU T4 without maxContainers/);
});

test("the stack's gantry:policy (the stack config Pulumi passes the pack) sets levels and settings", async (t) => {
  const policy = { "gpu-budget": { enforcementLevel: "mandatory", monthlyUsd: 10000 }, "gpu-max-containers": "advisory" };
  const pack = await startPack({ stack: "prod", config: { "aws:region": "us-east-1", "gantry:policy": JSON.stringify(policy) } });
  t.after(pack.stop);
  const diags = await analyzeStack(pack.client, stackResources());
  assert.deepEqual(diags.map((d) => [d.policy, d.level]).sort(), [["gpu-budget", "mandatory"], ["gpu-max-containers", "advisory"]]);
  assert.match(diags.find((d) => d.policy === "gpu-budget")!.message, /exceeds the \$10,000\/month budget of stack "prod"/);
});

test("a bad gantry:policy stops the pack with the same message gantry check gives", async () => {
  await assert.rejects(startPack({ stack: "prod", config: { "gantry:policy": JSON.stringify({ "gpu-budgt": { monthlyUsd: 1 } }) } }),
    /gantry:policy of stack "prod": unknown policy "gpu-budgt" \(did you mean "gpu-budget"\?\)/);
});
