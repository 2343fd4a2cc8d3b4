import { test } from "node:test";
import assert from "node:assert/strict";
import { minContainersLimit } from "../../../policy/rules/min-containers-limit.ts";
import { fn, gpu, spec } from "../helpers.ts";
import { check } from "./_check.ts";

test("passes: a small GPU warm pool", () => {
  assert.deepEqual(check(minContainersLimit, spec({ functions: [fn("g", 4, { gpu: gpu("L4"), maxContainers: 4, minContainers: 1, bufferContainers: 3 })] })), []);
});

test("fails: too many warm GPU containers, and too big a buffer when bounded", () => {
  const s = spec({ functions: [fn("g", 4, { gpu: gpu("L4"), maxContainers: 8, minContainers: 4, bufferContainers: 3 })] });
  const findings = check(minContainersLimit, s, { maxBuffer: 1 }, "prod");
  assert.equal(findings.length, 2);
  assert.match(findings[0].message, /keeps 4 containers always on \(minContainers\); stack "prod" allows at most 2/);
  assert.match(findings[1].message, /bufferContainers/);
});
