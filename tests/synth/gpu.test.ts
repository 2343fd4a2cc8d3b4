/** GPU option normalization, as a table. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { normalizeGpu } from "../../synth/gpu.ts";

const shape = (type: string, memoryGb: number, count = 1) => ({ type, count, memoryGb });

const VALID: [unknown, unknown][] = [
  ["T4", { ...shape("T4", 16), fallbacks: [] }],
  ["L4", { ...shape("L4", 24), fallbacks: [] }],
  ["A10G", { ...shape("A10G", 24), fallbacks: [] }],
  ["a10g", { ...shape("A10G", 24), fallbacks: [] }],
  ["L40S", { ...shape("L40S", 48), fallbacks: [] }],
  ["A100", { ...shape("A100-40GB", 40), fallbacks: [] }],
  ["A100-40GB", { ...shape("A100-40GB", 40), fallbacks: [] }],
  ["A100-80GB:4", { ...shape("A100-80GB", 80, 4), fallbacks: [] }],
  ["H100:2", { ...shape("H100", 80, 2), fallbacks: [] }],
  ["H200", { ...shape("H200", 141), fallbacks: [] }],
  [{ type: "A100", memory: 80 }, { ...shape("A100-80GB", 80), fallbacks: [] }],
  [{ type: "A100", memory: 40, count: 2 }, { ...shape("A100-40GB", 40, 2), fallbacks: [] }],
  [{ type: "H100", count: 8 }, { ...shape("H100", 80, 8), fallbacks: [] }],
  [["H100", "A100-80GB", { type: "A100", memory: 80, count: 2 }], { ...shape("H100", 80), fallbacks: [shape("A100-80GB", 80), shape("A100-80GB", 80, 2)] }],
];

for (const [input, expected] of VALID) {
  test(`gpu ${JSON.stringify(input)}`, () => {
    assert.deepEqual(normalizeGpu(input), { ok: true, value: expected });
  });
}

const INVALID: [unknown, string, RegExp][] = [
  ["A10", "unknown-type", /unknown GPU "A10" \(did you mean "A10G"\?\); valid GPUs: T4, L4, A10G, L40S, A100, A100-40GB, A100-80GB, H100, H200/],
  ["B200", "unknown-type", /unknown GPU "B200"/],
  [{ type: "V100" }, "unknown-type", /unknown GPU "V100"/],
  ["H100:0", "invalid", /count must be a whole number from 1 to 8, got 0/],
  ["H100:9", "invalid", /from 1 to 8, got 9/],
  ["H100:two", "invalid", /count "two" in "H100:two" is not a whole number/],
  [{ type: "A100", memory: 60 }, "invalid", /A100 comes with 40 or 80 GB/],
  [{ type: "H100", memory: 40 }, "invalid", /H100 has 80 GB of memory, not 40/],
  [{ type: "T4", size: 1 }, "invalid", /unknown GPU field "size"/],
  [[], "invalid", /fallback list is empty/],
  [[["T4"]], "invalid", /cannot be nested/],
  [16, "invalid", /a GPU is a string like "A10G"/],
];

for (const [input, kind, message] of INVALID) {
  test(`gpu ${JSON.stringify(input)} is refused`, () => {
    const result = normalizeGpu(input);
    assert.equal(result.ok, false);
    assert.equal((result as { kind: string }).kind, kind);
    assert.match((result as { message: string }).message, message);
  });
}
