import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { diffPreview } from "../../../policy/review/diff.ts";
import { renderMarkdown } from "../../../policy/review/markdown.ts";
import { Preview, readDiffInput } from "../../../policy/review/sides.ts";
import { gpuBase, gpuHead } from "./scenarios.ts";
import { assertGolden } from "./golden.ts";

const fixture = fileURLToPath(new URL("../fixtures/preview.json", import.meta.url));

function load() {
  const input = readDiffInput(fixture);
  assert.equal(input.kind, "preview");
  return input.kind === "preview" ? input.preview : (null as never);
}

test("a pulumi preview --json: ops, replacements from the engine, declarations from components and tags", () => {
  const d = diffPreview(load());
  assert.equal(d.input, "preview");
  assert.equal(d.stack, "prod");
  assert.deepEqual(d.summary, { create: 1, update: 4, replace: 1, delete: 1, same: 3 });
  const llama = d.groups.find((g) => g.declaration === "LlamaInference")!;
  assert.deepEqual(llama.source, { file: "app.ts", line: 17, column: 1 });
  const queue = llama.changes.find((c) => c.type === "aws:sqs/queue:Queue")!;
  assert.equal(queue.op, "replace");
  assert.equal(queue.replaceBy, "preview");
  assert.deepEqual(queue.properties.map((p) => [p.path, p.replaces]), [["fifoQueue", true], ["name", true]]);
  assert.equal(d.groups.find((g) => g.declaration === "health")!.changes[0].source?.line, 28);
  assert.equal(d.cost, null);
});

test("flags from resources: GPU instance and capacity, IAM grant, public route, secret value (masked)", () => {
  const d = diffPreview(load());
  const byKind = (k: string) => d.flags.filter((f) => f.kind === k).flatMap((f) => f.details);
  assert.deepEqual(byKind("gpu-spend-broadened"), ["maxCapacity 5 -> 20", "instance g5.xlarge -> p5.4xlarge ($1.006/h -> $6.88/h)"]);
  assert.deepEqual(byKind("iam-broadened"), ["RolePolicy LlamaInference-task (role llm-LlamaInference-task) grants s3:GetObject on arn:aws:s3:::llm-payloads/*"]);
  assert.deepEqual(byKind("public-endpoint-added"), ["API route GET /health has no authorization"]);
  assert.deepEqual(byKind("secret-changed"), ["value of hf-token changes"]);
  const secret = d.groups.flatMap((g) => g.changes).find((c) => c.name === "hf-token")!;
  assert.deepEqual(secret.properties, [{ path: "secretString", kind: "update", before: "[secret]", after: "[secret]" }]);
  assert.ok(!JSON.stringify(d).includes("BBBB"), "ciphertexts never reach the review");
  assertGolden(renderMarkdown(d), "preview.md");
});

test("with the plans of both sides: declarations, sources, specs and the cost delta come from them", () => {
  const base = gpuBase();
  const head = gpuHead();
  const target = head.resources.find((r) => r.type === "aws:appautoscaling/target:Target")!;
  const state = (max: number) => ({ urn: target.urn, type: target.type, inputs: { ...target.inputs, maxCapacity: max } });
  const preview = Preview.parse({ steps: [{ op: "update", urn: target.urn, oldState: state(5), newState: state(20), detailedDiff: { maxCapacity: { kind: "update" } } }] });
  const d = diffPreview(preview, { basePlan: base, headPlan: head });
  assert.equal(d.groups[0].declaration, "LlamaInference");
  assert.deepEqual(d.groups[0].source, { file: "app.ts", line: 17, column: 1 });
  assert.equal(d.cost?.delta?.ceiling, 96776.1);
  assert.deepEqual(d.flags.map((f) => f.details.join("; ")), ["GPU A10G -> H100, new to the app (g5.xlarge $1.006/h -> p5.4xlarge $6.88/h); maxContainers 5 -> 20"]);
});
