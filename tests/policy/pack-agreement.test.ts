/**
 * `gantry check --stack prod` and the policy pack started by run-policy-pack as Pulumi does give
 * the same verdicts on the same plan and the same settings: the stack's gantry:policy
 * (Pulumi.prod.yaml next to the app), and a `--policy-config` / `--policy-pack-config` file.
 * The engine's view of the stack is the offline plan's resources plus the stack resource with the
 * program's `spec` output.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import "../../policy/plan-step.ts";
import { buildPlan } from "../../provider/plan/build.ts";
import { analyzeStack, configure, resource, startPack, type Diagnostic } from "./pack-harness.ts";
import { ROOT } from "../package/built.ts";

const APP = relative(ROOT, fileURLToPath(new URL("./fixtures/llm/after/app.ts", import.meta.url)));
const STACK_FILE = fileURLToPath(new URL("./fixtures/llm/after/Pulumi.prod.yaml", import.meta.url));

interface CheckViolation { policy: string; level: string; message: string; source: { file: string; line: number; column: number } | null }

function gantryCheck(extra: string[] = []): CheckViolation[] {
  const r = spawnSync(process.execPath, [join(ROOT, "cli/bin.mjs"), "check", APP, "--stack", "prod", "--format", "json", ...extra], { cwd: ROOT, encoding: "utf8" });
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return (JSON.parse(r.stdout) as { violations: CheckViolation[] }).violations;
}

/** The engine's resources for the stack: the plan's, under the stack resource carrying the spec. */
async function engineResources() {
  const plan = await buildPlan({ projectRoot: ROOT, stack: "prod", app: APP });
  const stackUrn = "urn:pulumi:prod::gantry::pulumi:pulumi:Stack::gantry-prod";
  return [
    resource("pulumi:pulumi:Stack", "gantry-prod", { spec: JSON.parse(JSON.stringify(plan.spec)), specHash: plan.specHash }, stackUrn),
    ...plan.resources.map((r) => resource(r.type, r.name, JSON.parse(JSON.stringify(r.inputs)), r.urn, r.parent ?? stackUrn)),
  ];
}

const fromCheck = (vs: CheckViolation[]) =>
  vs.map((v) => `${v.level} ${v.policy} ${v.source ? `${v.source.file}:${v.source.line}:${v.source.column}: ` : ""}${v.message}`).sort();
const fromPack = (ds: Diagnostic[]) => ds.map((d) => `${d.level} ${d.policy} ${d.message}`).sort();

test("the stack's gantry:policy: gantry check and the pack report the same violations on the failing fixture", async (t) => {
  const check = gantryCheck();
  assert.ok(check.some((v) => v.policy === "gpu-budget" && v.level === "mandatory"), "the fixture fails the budget");

  const stackConfig = (parseYaml(readFileSync(STACK_FILE, "utf8")) as { config: Record<string, unknown> }).config;
  const pack = await startPack({ stack: "prod", config: { "gantry:policy": JSON.stringify(stackConfig["gantry:policy"]) } });
  t.after(pack.stop);
  assert.deepEqual(fromPack(await analyzeStack(pack.client, await engineResources())), fromCheck(check));
});

test("one policy config file: gantry check --policy-config and --policy-pack-config agree", async (t) => {
  // levels and settings that differ from the stack file's and from the defaults
  const config = { "gpu-budget": { enforcementLevel: "advisory", monthlyUsd: 50000 }, "scaledown-window-limit": { enforcementLevel: "mandatory", maxSeconds: 1 }, "gpu-max-containers": "disabled" };
  const file = join(mkdtempSync(join(tmpdir(), "gantry-pack-config-")), "policy.json");
  writeFileSync(file, JSON.stringify(config));
  const check = gantryCheck(["--policy-config", file]);
  assert.deepEqual([...new Set(check.map((v) => `${v.level} ${v.policy}`))].sort(), ["advisory gpu-budget", "mandatory scaledown-window-limit"]);

  const pack = await startPack({ stack: "prod" });
  t.after(pack.stop);
  await configure(pack.client, config);
  assert.deepEqual(fromPack(await analyzeStack(pack.client, await engineResources())), fromCheck(check));
});
