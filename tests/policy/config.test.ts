import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadPolicyConfigFile, PolicyConfigError, resolvePolicies } from "../../policy/config.ts";
import { POLICIES } from "../../policy/run.ts";
import { loadStackSettings } from "../../policy/stack-settings.ts";

const levelOf = (raw: Record<string, unknown>, name: string) => resolvePolicies(POLICIES, raw).find((r) => r.policy.name === name)!;

test("defaults: each policy's own level and settings", () => {
  const r = levelOf({}, "gpu-max-containers");
  assert.equal(r.level, "mandatory");
  assert.equal(levelOf({}, "endpoints-private").level, "advisory");
  assert.deepEqual(levelOf({}, "scaledown-window-limit").config, { maxSeconds: 1200, gpuOnly: true });
});

test("a level alone, an object with enforcementLevel, and `all`", () => {
  assert.equal(levelOf({ "endpoints-private": "mandatory" }, "endpoints-private").level, "mandatory");
  const b = levelOf({ "gpu-budget": { enforcementLevel: "advisory", monthlyUsd: 5000 } }, "gpu-budget");
  assert.equal(b.level, "advisory");
  assert.deepEqual(b.config, { monthlyUsd: 5000, basis: "ceiling" });
  assert.equal(levelOf({ all: "disabled", "gpu-budget": "mandatory" }, "timeouts-set").level, "disabled");
  assert.equal(levelOf({ all: "disabled", "gpu-budget": "mandatory" }, "gpu-budget").level, "mandatory");
});

test("clear errors: unknown policy (with a suggestion), bad level, bad setting", () => {
  assert.throws(() => resolvePolicies(POLICIES, { "gpu-budgets": {} }, "Pulumi.prod.yaml"), (e: Error) => e instanceof PolicyConfigError && /Pulumi.prod.yaml: unknown policy "gpu-budgets" \(did you mean "gpu-budget"\?\)/.test(e.message));
  assert.throws(() => resolvePolicies(POLICIES, { "gpu-budget": "strict" }), /"strict" is not an enforcement level/);
  assert.throws(() => resolvePolicies(POLICIES, { "gpu-budget": { monthlyUSD: 10 } }), /gpu-budget: .*monthlyUSD/);
  assert.throws(() => resolvePolicies(POLICIES, { "gpu-allowed-types": { allowed: ["A10"] } }), /gpu-allowed-types: allowed.0/);
});

test("config files: a bare map (JSON or YAML) or a whole stack file", () => {
  const dir = mkdtempSync(join(tmpdir(), "gantry-policy-"));
  writeFileSync(join(dir, "p.json"), JSON.stringify({ "gpu-budget": { monthlyUsd: 1 } }));
  writeFileSync(join(dir, "Pulumi.prod.yaml"), "config:\n  aws:region: us-east-1\n  gantry:policy:\n    gpu-budget:\n      monthlyUsd: 2\n  gantry:usage:\n    declarations:\n      f: { busyHoursPerDay: 2 }\n");
  assert.deepEqual(loadPolicyConfigFile(join(dir, "p.json")), { "gpu-budget": { monthlyUsd: 1 } });
  assert.deepEqual(loadPolicyConfigFile(join(dir, "Pulumi.prod.yaml")), { "gpu-budget": { monthlyUsd: 2 } });
  const settings = loadStackSettings("prod", [join(dir, "nowhere"), dir]);
  assert.equal(settings.file, join(dir, "Pulumi.prod.yaml"));
  assert.deepEqual(settings.policy, { "gpu-budget": { monthlyUsd: 2 } });
  assert.equal(settings.usage?.declarations.f.busyHoursPerDay, 2);
  assert.equal(loadStackSettings("dev", [dir]).file, null);
});
