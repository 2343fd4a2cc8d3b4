import { test } from "node:test";
import assert from "node:assert/strict";
import { gpuMaxContainers } from "../../../policy/rules/gpu-max-containers.ts";
import { cls, fn, gpu, spec, variant } from "../helpers.ts";
import { check } from "./_check.ts";

test("passes: GPU pools are bounded; CPU pools need no bound", () => {
  const s = spec({ functions: [fn("g", 4, { gpu: gpu("A10G"), maxContainers: 5 }), fn("cpu", 9)] });
  assert.deepEqual(check(gpuMaxContainers, s), []);
  assert.deepEqual(check(gpuMaxContainers, s, { max: 5 }), []);
});

test("fails: an unbounded GPU class (and its variant), and a pool over the stack's cap", () => {
  const c = cls("Model", 12, { gpu: gpu("H100") });
  c.variants.push(variant(c, "Model~gpu=L4", 30, { gpu: gpu("L4") }));
  const s = spec({ classes: [c], functions: [fn("big", 4, { gpu: gpu("T4"), maxContainers: 50 })] });
  const findings = check(gpuMaxContainers, s, { max: 20 });
  assert.deepEqual(findings.map((f) => f.declaration), ["big", "Model", "Model~gpu=L4"]);
  assert.match(findings[1].message, /Model runs on GPU H100 without maxContainers/);
  assert.match(findings[0].message, /allows 50 GPU containers; stack "staging" allows at most 20/);
});
