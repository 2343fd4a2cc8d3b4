import { test } from "node:test";
import assert from "node:assert/strict";
import { gpuBudget } from "../../../policy/rules/gpu-budget.ts";
import { cls, fn, gpu, spec } from "../helpers.ts";
import { check } from "./_check.ts";

const app = (max: number, type: "A10G" | "H100") => spec({ classes: [cls("LlamaInference", 17, { gpu: gpu(type), maxContainers: max })], functions: [fn("embed", 40, { gpu: gpu("T4"), maxContainers: 2 })] });

test("passes: the GPU ceiling stays under the budget (and no budget, no check)", () => {
  // 5 x g5.xlarge + 2 x g4dn.xlarge all month = 3671.90 + 767.96
  assert.deepEqual(check(gpuBudget, app(5, "A10G"), { monthlyUsd: 10_000 }), []);
  assert.deepEqual(check(gpuBudget, app(20, "H100")), []);
});

test("fails: H100 x 20 busts the budget, reported at the pool that costs the most", () => {
  const [f, ...rest] = check(gpuBudget, app(20, "H100"), { monthlyUsd: 10_000 }, "prod");
  assert.equal(rest.length, 0);
  assert.equal(f.declaration, "LlamaInference");
  assert.deepEqual(f.source, { file: "app.ts", line: 17, column: 1 });
  assert.equal(f.message, 'GPU ceiling $101,216/month exceeds the $10,000/month budget of stack "prod": LlamaInference $100,448, embed $768');
});

test("the basis can be the expected cost", () => {
  const s = spec({ functions: [fn("warm", 3, { gpu: gpu("A10G"), maxContainers: 10, minContainers: 2 })] });
  assert.equal(check(gpuBudget, s, { monthlyUsd: 1000, basis: "expected" }).length, 1); // 2 x 1.006 x 730 = 1468.76
  assert.equal(check(gpuBudget, s, { monthlyUsd: 2000, basis: "expected" }).length, 0);
});
