import { test } from "node:test";
import assert from "node:assert/strict";
import { formatViolation, runPolicies } from "../../policy/run.ts";
import { fn, gpu, spec } from "./helpers.ts";

test("with no config, a GPU declaration without maxContainers is a mandatory violation", () => {
  const s = spec({ functions: [fn("train", 12, { gpu: gpu("A100-80GB"), timeout: 3600 })] });
  const v = runPolicies({ spec: s, stack: "dev" });
  assert.deepEqual(v.map((x) => [x.policy, x.level]), [["gpu-max-containers", "mandatory"]]);
  assert.equal(formatViolation(v[0], "app.ts"), "app.ts:12:1: error gpu-max-containers: train runs on GPU A100-80GB without maxContainers: its spend has no upper bound; set maxContainers");
});

test("disabled policies do not run; advisory ones print as warnings", () => {
  const s = spec({ functions: [fn("train", 12, { gpu: gpu("A10G") })] });
  assert.deepEqual(runPolicies({ spec: s, stack: "dev" }, { "gpu-max-containers": "disabled", "timeouts-set": "disabled" }), []);
  const [w] = runPolicies({ spec: s, stack: "dev" }, { "gpu-max-containers": "advisory", "timeouts-set": "disabled" });
  assert.match(formatViolation(w, "app.ts"), /^app.ts:12:1: warning gpu-max-containers: /);
});

test("violations are sorted by place then policy, whatever order the policies ran in", () => {
  const s = spec({ functions: [fn("b", 20, { gpu: gpu("A10G") }), fn("a", 10, { gpu: gpu("A10G") })] });
  const v = runPolicies({ spec: s, stack: "dev" });
  assert.deepEqual(v.map((x) => `${x.source?.line} ${x.policy}`), ["10 gpu-max-containers", "10 timeouts-set", "20 gpu-max-containers", "20 timeouts-set"]);
});
