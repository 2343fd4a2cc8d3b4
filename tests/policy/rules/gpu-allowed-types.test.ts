import { test } from "node:test";
import assert from "node:assert/strict";
import { gpuAllowedTypes } from "../../../policy/rules/gpu-allowed-types.ts";
import { cls, fn, gpu, spec, variant } from "../helpers.ts";
import { check } from "./_check.ts";

test("passes: every GPU is allowed (and with no list, everything is)", () => {
  const s = spec({ functions: [fn("f", 4, { gpu: gpu("T4", 1, "L4"), maxContainers: 1 })] });
  assert.deepEqual(check(gpuAllowedTypes, s, { allowed: ["T4", "L4"] }), []);
  assert.deepEqual(check(gpuAllowedTypes, spec({ functions: [fn("f", 4, { gpu: gpu("H200"), maxContainers: 1 })] })), []);
});

test("fails: a fallback and a variant use GPUs the stack does not allow", () => {
  const base = cls("Model", 10, { gpu: gpu("A10G"), maxContainers: 2 });
  base.variants.push(variant(base, "Model~gpu=H100", 30, { gpu: gpu("H100") }));
  const s = spec({ classes: [base], functions: [fn("f", 4, { gpu: gpu("T4", 1, "A100-80GB"), maxContainers: 1 })] });
  const findings = check(gpuAllowedTypes, s, { allowed: ["T4", "A10G"] }, "prod");
  assert.deepEqual(findings.map((f) => [f.declaration, f.source?.line]), [["f", 4], ["Model~gpu=H100", 30]]);
  assert.match(findings[0].message, /A100-80GB, not allowed in stack "prod" \(allowed: T4, A10G\)/);
});
