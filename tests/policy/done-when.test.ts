/**
 * Issue 5's "done when", as a new user would try it: an app goes from `gpu: "A10G"` with
 * `maxContainers: 5` to `gpu: "H100"` with `maxContainers: 20`. `gantry diff` of the two offline
 * plans shows the cost delta range and "GPU spend broadened"; `gantry check --stack prod` fails
 * with the budget policy's message at the class's source line.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { costStep } from "../../policy/plan-step.ts";
import { buildPlan } from "../../provider/plan/build.ts";
import { diffPlans } from "../../policy/review/diff.ts";
import { renderMarkdown } from "../../policy/review/markdown.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "cli/bin.mjs");
const app = (side: "before" | "after") => relative(ROOT, fileURLToPath(new URL(`./fixtures/llm/${side}/app.ts`, import.meta.url)));

test("diff: the cost delta as a range and GPU spend broadened; check: the budget fails at the class's line", async () => {
  const base = await buildPlan({ projectRoot: ROOT, stack: "prod", app: app("before") }, [costStep]);
  const head = await buildPlan({ projectRoot: ROOT, stack: "prod", app: app("after") }, [costStep]);
  assert.equal(base.cost?.declarations.find((d) => d.declaration === "LlamaInference")?.instanceType, "g5.xlarge");
  assert.equal(head.cost?.declarations.find((d) => d.declaration === "LlamaInference")?.instanceType, "p5.4xlarge");

  const diff = diffPlans(base, head);
  assert.equal(diff.cost?.delta?.ceiling, 96776.1); // 20 x $6.88 x 730 - 5 x $1.006 x 730
  const gpu = diff.flags.filter((f) => f.kind === "gpu-spend-broadened");
  assert.equal(gpu.length, 1);
  assert.equal(gpu[0].declaration, "LlamaInference");
  assert.deepEqual(gpu[0].details, ["GPU A10G -> H100, new to the app (g5.xlarge $1.006/h -> p5.4xlarge $6.88/h)", "maxContainers 5 -> 20"]);
  const md = renderMarkdown(diff);
  assert.match(md, /\*\*Monthly cost\*\* \(USD\): ±\$0 to \+\$96,776/);
  assert.match(md, /\*\*GPU spend broadened\*\* · `LlamaInference`/);

  // the same through the CLI, on plan files
  const dir = mkdtempSync(join(tmpdir(), "gantry-done-"));
  writeFileSync(join(dir, "base.json"), JSON.stringify(base));
  writeFileSync(join(dir, "head.json"), JSON.stringify(head));
  const cliDiff = spawnSync(process.execPath, [BIN, "diff", join(dir, "base.json"), join(dir, "head.json")], { encoding: "utf8" });
  assert.equal(cliDiff.status, 0, cliDiff.stderr);
  assert.match(cliDiff.stdout, /GPU spend broadened/);

  // gantry check on the app file: Pulumi.prod.yaml next to it sets the budget
  const text = readFileSync(join(ROOT, app("after")), "utf8").split("\n");
  const line = text.findIndex((l) => l.includes("export class LlamaInference")) + 1;
  const column = text[line - 1].indexOf("LlamaInference") + 1;
  const check = spawnSync(process.execPath, [BIN, "check", app("after"), "--stack", "prod"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(check.status, 1, check.stdout + check.stderr);
  const budget = check.stdout.split("\n").find((l) => l.includes("gpu-budget"));
  assert.equal(budget, `${app("after")}:${line}:${column}: error gpu-budget: GPU ceiling $100,448/month exceeds the $10,000/month budget of stack "prod": LlamaInference $100,448`);

  const before = spawnSync(process.execPath, [BIN, "check", app("before"), "--stack", "prod"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(before.status, 0, before.stdout + before.stderr);
});
