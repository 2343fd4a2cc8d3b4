/**
 * Issue 12's defects, each on a preview in the exact `pulumi preview --json` format (fixtures/README.md):
 * previews generated from gantry's own plans (gpu, gpu-failed, secrets) and a hand-written one in the
 * engine's shape for what gantry does not create yet (kubernetes).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { diffPreview } from "../../../policy/review/diff.ts";
import { renderMarkdown } from "../../../policy/review/markdown.ts";
import type { ResourceChange } from "../../../policy/review/model.ts";
import { readDiffInput } from "../../../policy/review/sides.ts";
import { assertGolden } from "./golden.ts";
import { Plan } from "../../../provider/plan.ts";
import { readFileSync } from "node:fs";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const BIN = fileURLToPath(new URL("../../../cli/bin.mjs", import.meta.url));

function preview(name: string) {
  const input = readDiffInput(fixture(`${name}.preview.json`));
  assert.equal(input.kind, "preview");
  return input.kind === "preview" ? input.preview : (null as never);
}

const headPlan = () => Plan.parse(JSON.parse(readFileSync(fixture("gpu.head-plan.json"), "utf8")));
const changes = (d: ReturnType<typeof diffPreview>): ResourceChange[] => d.groups.flatMap((g) => g.changes);
const byName = (d: ReturnType<typeof diffPreview>, name: string) => changes(d).find((c) => c.name === name)!;
const details = (d: ReturnType<typeof diffPreview>, kind: string) => d.flags.filter((f) => f.kind === kind).flatMap((f) => f.details);

test("quoted property paths: one row each, in Pulumi's form, the replacement mark on it", () => {
  const k = diffPreview(preview("kubernetes"));
  const config = byName(k, "app-config");
  assert.deepEqual(config.properties, [{ path: 'data["app.properties"]', kind: "update", before: "checkout.timeout=30s", after: "checkout.timeout=45s", replaces: true }]);
  const web = byName(k, "web");
  assert.deepEqual(web.properties.map((p) => p.path), [
    'metadata.annotations["example.com/revision"]',
    "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]",
    'spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"]',
  ]);

  // gantry's own tags and labels, in a preview made from its plans
  const s = diffPreview(preview("secrets"));
  const image = byName(s, "image-img-0bbf9993fdcd-build");
  assert.deepEqual(image.properties.filter((p) => p.path.startsWith("labels")).map((p) => [p.path, p.before, p.after]), [['labels["gantry.bundle"]', "7dd421d1bc8cc729", "1c0a6d3fa6bdee1f"]]);
  const provider = byName(s, "gantry-capacity-cpu");
  const rows = changes(s).filter((c) => c.name === "gantry-capacity-cpu" && c.type === "aws:ecs/capacityProvider:CapacityProvider")[0].properties;
  assert.ok(provider);
  assert.deepEqual(rows.map((p) => p.path), ['tags["gantry:serves"]', 'tags["gantry:source"]']);
  assert.ok(!JSON.stringify(changes(s)).includes('"tags.gantry:'), "no dotted form of a quoted key");
});

test("the unchanged count is the change summary's `same`, not the steps listed as same", () => {
  const p = preview("gpu");
  assert.equal(p.steps.filter((s) => s.op === "same").length, 1, "a real preview lists only the root stack as same");
  const d = diffPreview(p);
  assert.deepEqual(d.summary, { create: 18, update: 9, replace: 2, delete: 4, same: 72 });
  assert.match(renderMarkdown(d), /\*\*Resources\*\*: 18 to create, 9 to update, 2 to replace, 4 to delete, 72 unchanged/);
});

test("a preview whose program threw: reported as failed at the top, and gantry diff exits 3", () => {
  const d = diffPreview(preview("gpu-failed"));
  assert.ok(d.failure);
  assert.deepEqual(d.failure.reasons, ["the preview reported an error", "its program threw: the resources it would have declared after that, and every delete, are not in it"]);
  assert.match(d.failure.diagnostics[0].message, /^error: Running program .* failed with an unhandled exception:\nError: MODEL_REVISION is not set/);
  const md = renderMarkdown(d);
  const banner = md.indexOf("⛔ Preview FAILED");
  assert.ok(banner > 0 && banner < md.indexOf("**Resources**") && (md.indexOf("Needs a reviewer") < 0 || banner < md.indexOf("Needs a reviewer")));
  assert.doesNotMatch(md, /Nothing flagged: no GPU/);

  const r = spawnSync(process.execPath, [BIN, "diff", fixture("gpu-failed.preview.json")], { encoding: "utf8" });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stdout, /⛔ Preview FAILED/);
  assert.match(r.stderr, /the preview failed/);
  const ok = spawnSync(process.execPath, [BIN, "diff", fixture("gpu.preview.json")], { encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stderr);
});

test("a cancelled preview (the digest has no change summary) is failed too", () => {
  const d = diffPreview(preview("gpu-cancelled"));
  assert.deepEqual(d.failure?.reasons, ["it has no change summary: the engine stopped before the end of the preview"]);
  assert.match(renderMarkdown(d), /⛔ Preview FAILED/);
});

test("secret changed for any secret input: a new ECR token for the image build, environment.TOKEN, a new secret", () => {
  const s = diffPreview(preview("secrets"));
  const secrets = details(s, "secret-changed");
  assert.ok(secrets.includes("secret input registries[0].password of Image image-img-0bbf9993fdcd-build changes"), secrets.join("\n"));
  const k = diffPreview(preview("kubernetes"));
  assert.deepEqual(details(k, "secret-changed"), ["new Secret registry-creds has secret input stringData", "secret input environment.TOKEN of Command migrate changes"]);
  assert.ok(!JSON.stringify(k).includes("hunter2"), "values never shown");
});

test("A10G -> H100 on the existing H100 pool, from the preview alone: GPU spend broadened", () => {
  const d = diffPreview(preview("gpu"));
  const llama = d.flags.find((f) => f.kind === "gpu-spend-broadened" && f.declaration === "LlamaInference");
  assert.ok(llama, JSON.stringify(d.flags, null, 1));
  assert.ok(llama.details.includes("GPU A10G -> H100 (capacity provider gantry-capacity-gpu-a10gx1 -> gantry-capacity-gpu-h100x1)"), llama.details.join("\n"));
  assert.ok(llama.details.includes("maxCapacity 5 -> 20"));
  assert.ok(details(d, "gpu-spend-broadened").includes("GPU pool gantry-capacity-gpu-h100x1 (p5.4xlarge H100 $6.88/h) maxSize 2 -> 24"));
  const variant = d.flags.find((f) => f.kind === "gpu-spend-broadened" && f.declaration === "LlamaInference[gpu=H100,maxContainers=2]");
  assert.deepEqual(variant?.details, ["scales to maxCapacity 2", "runs on GPU capacity provider gantry-capacity-gpu-h100x1 (H100)", "new GPU task definition (1 GPU per container)"]);
});

test("declarations through the parent chain: a role policy without tags, under a component the preview does not list", () => {
  const s = diffPreview(preview("secrets"));
  const policy = byName(s, "summarize-exec");
  assert.equal(policy.type, "aws:iam/rolePolicy:RolePolicy");
  assert.equal(policy.declaration, "summarize");
  assert.deepEqual(policy.source, { file: "app.ts", line: 9, column: 14 });
  // a new component has no inputs: its declaration comes from its children's tags
  assert.equal(changes(s).find((c) => c.type === "gantry:aws:FunctionService" && c.name === "digest")?.declaration, "digest");
  const iam = s.flags.find((f) => f.kind === "iam-broadened" && f.details[0].includes("secretsmanager:GetSecretValue"));
  assert.equal(iam?.declaration, "summarize");
});

test("variant names are the declaration's, not the sanitised tag", () => {
  const bare = diffPreview(preview("gpu"));
  const ids = new Set(bare.groups.map((g) => g.declaration));
  assert.ok(ids.has("LlamaInference[gpu=H100,maxContainers=2]"), [...ids].join(", "));
  assert.ok(![...ids].some((id) => id?.includes("_gpu=")));
  const planned = diffPreview(preview("gpu"), { headPlan: headPlan() });
  assert.ok(planned.groups.some((g) => g.declaration === "LlamaInference[gpu=H100,maxContainers=2]"));
});

test("cost from a preview and the head plan alone: the head's cost, no delta counting the whole stack as new", () => {
  const d = diffPreview(preview("gpu"), { headPlan: headPlan() });
  assert.equal(d.cost?.known, "head-only");
  assert.equal(d.cost?.delta, null);
  assert.ok(d.cost?.head && d.cost.head.ceiling > 0);
  assert.ok(d.groups.every((g) => g.cost === null || g.cost.delta === null));
  const md = renderMarkdown(d);
  assert.match(md, /The change in cost is not known from a preview and one plan: pass `--base-plan` too/);
  assert.doesNotMatch(md, /\| change \|/);
});

test("IAM: a new role policy whose document is unknown at preview time is flagged as cannot tell yet", () => {
  const s = diffPreview(preview("secrets"));
  const unknown = s.flags.filter((f) => f.kind === "iam-broadened" && f.details.some((x) => x.includes("cannot tell yet")));
  assert.deepEqual(unknown.map((f) => [f.declaration, f.details]), [["digest", ["new RolePolicy digest-task (role digest-task): cannot tell yet, its policy is not known until the resources it refers to exist"]]]);
});

test("Kubernetes: GPUs per pod, the GPU type of the node affinity, KEDA's bound and the NodePool's GPU limit (golden)", () => {
  const k = diffPreview(preview("kubernetes"));
  assert.deepEqual(details(k, "gpu-spend-broadened"), [
    "Deployment web GPUs per pod 1 -> 8",
    "Deployment web GPU a10g -> h100",
    "NodePool gpu-h100 GPU limit 8 -> 64",
    "GPU Deployment/web maxReplicaCount 2 -> 10",
  ]);
  assertGolden(renderMarkdown(k), "kubernetes-preview.md");
});
