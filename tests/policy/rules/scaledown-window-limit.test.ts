import { test } from "node:test";
import assert from "node:assert/strict";
import { scaledownWindowLimit } from "../../../policy/rules/scaledown-window-limit.ts";
import { fn, gpu, spec } from "../helpers.ts";
import { check } from "./_check.ts";

test("passes: GPU windows under the bound; CPU pools are not checked by default", () => {
  const s = spec({ functions: [fn("g", 4, { gpu: gpu("A10G"), maxContainers: 1, scaledownWindow: 300 }), fn("cpu", 8, { scaledownWindow: 7200 })] });
  assert.deepEqual(check(scaledownWindowLimit, s), []);
});

test("fails: a GPU pool idles longer than allowed; with gpuOnly off, CPU pools too", () => {
  const s = spec({ functions: [fn("g", 4, { gpu: gpu("A10G"), maxContainers: 1, scaledownWindow: 3600 }), fn("cpu", 8, { scaledownWindow: 7200 })] });
  assert.deepEqual(check(scaledownWindowLimit, s).map((f) => f.declaration), ["g"]);
  assert.deepEqual(check(scaledownWindowLimit, s, { maxSeconds: 600, gpuOnly: false }).map((f) => f.declaration), ["g", "cpu"]);
});
