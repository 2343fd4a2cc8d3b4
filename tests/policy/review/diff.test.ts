import { test } from "node:test";
import assert from "node:assert/strict";
import { diffPlans } from "../../../policy/review/diff.ts";
import { COMMENT_TAG, renderMarkdown } from "../../../policy/review/markdown.ts";
import { assertGolden } from "./golden.ts";
import { gpuBase, gpuHead, webBase, webHead } from "./scenarios.ts";

test("A10G max 5 -> H100 max 20: cost delta range and GPU spend broadened (golden)", () => {
  const d = diffPlans(gpuBase(), gpuHead());
  assert.deepEqual(d.cost?.delta, { floor: 0, expected: 0, ceiling: 96776.1 }); // 20 x 6.88 x 730 - 5 x 1.006 x 730
  const [flag, ...others] = d.flags;
  assert.equal(others.length, 0);
  assert.equal(flag.kind, "gpu-spend-broadened");
  assert.equal(flag.declaration, "LlamaInference");
  assert.deepEqual(flag.details, ["GPU A10G -> H100, new to the app (g5.xlarge $1.006/h -> p5.4xlarge $6.88/h)", "maxContainers 5 -> 20"]);
  const md = renderMarkdown(d);
  assert.ok(md.startsWith(`${COMMENT_TAG}\n`));
  assert.match(md, /\*\*GPU spend broadened\*\*/);
  assert.match(md, /\+\$96,776/);
  assertGolden(md, "gpu-broadened.md");
});

test("property-level changes, replacements, creations and removals, grouped by declaration", () => {
  const d = diffPlans(gpuBase(), gpuHead());
  assert.deepEqual(d.summary, { create: 2, update: 1, replace: 1, delete: 2, same: 1 });
  const g = d.groups.find((x) => x.declaration === "LlamaInference")!;
  assert.deepEqual(g.source, { file: "app.ts", line: 17, column: 1 });
  assert.deepEqual(g.changes.map((c) => `${c.op} ${c.type}`), ["replace aws:ecs/taskDefinition:TaskDefinition", "update aws:appautoscaling/target:Target"]);
  const task = g.changes[0];
  assert.deepEqual(task.properties, [{ path: "containerDefinitions[0].environment[0].value", kind: "update", before: "A10G", after: "H100", replaces: true }]);
  assert.equal(task.replaceBy, "gantry");
  assert.equal(d.groups.at(-1)!.declaration, null, "shared infrastructure last");
});

test("IAM broadened, public endpoint added, secret changed (names only), golden", () => {
  const d = diffPlans(webBase(), webHead());
  const kinds = d.flags.map((f) => f.kind);
  assert.deepEqual([...new Set(kinds)], ["iam-broadened", "public-endpoint-added", "secret-changed"]);
  const iam = d.flags.find((f) => f.kind === "iam-broadened")!;
  assert.deepEqual(iam.details, ["RolePolicy api-task (role web-api-task) grants s3:* on * (wildcard)"]);
  const secrets = d.flags.filter((f) => f.kind === "secret-changed").flatMap((f) => f.details);
  assert.deepEqual(secrets.sort(), ['Secret.fromDict(GREETING_STYLE) values changed', 'api can now read "stripe"', 'new secret "stripe"'].sort());
  const json = JSON.stringify(d);
  assert.ok(!json.includes('"v2"') && !json.includes("valueHash"), "no secret value hashes leak into the review");
  const queue = d.groups.find((g) => g.declaration === "api")!.changes.find((c) => c.type === "aws:sqs/queue:Queue")!;
  assert.equal(queue.op, "replace");
  assertGolden(renderMarkdown(d), "security.md");
});

test("identical plans: nothing flagged, nothing changed", () => {
  const d = diffPlans(gpuBase(), gpuBase());
  assert.deepEqual(d.flags, []);
  assert.deepEqual(d.groups, []);
  assert.match(renderMarkdown(d), /Nothing flagged/);
});
