/** Ported Modal guide samples (issue 14): each case a pattern that used to break or stay silent. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { variantId } from "../../../sdk/variant-id.ts";
import { analyzeFixture, brief, cls, specOf } from "../helpers.ts";

test("Cls.fromName of this app resolves to its class: its variants are found like Cls.of ones", () => {
  const model = cls(specOf("porting/from-name"), "Model");
  assert.deepEqual(model.variants.map((v) => v.id), [
    variantId("Model", { gpu: "H100" }),
    variantId("Model", { maxInputs: 8 }),
  ]);
  assert.equal(model.variants[0].options.gpu?.type, "H100");
  assert.deepEqual(model.variants[0].source, { file: "app.ts", line: 13, column: 33 });
});

test("Cls.fromName naming an unknown class or another app's class is reported where it is written", () => {
  const { diagnostics, spec } = analyzeFixture("porting/from-name-broken");
  assert.deepEqual(diagnostics.map(brief), ["GANTRY1708 app.ts:12:21", "GANTRY1709 app.ts:13:22"]);
  const [typo, other] = diagnostics;
  assert.match(typo.message, /has no class Modl \(did you mean "Model"\?\)/);
  assert.match(other.message, /another app.*declare the variant in the app "other-app"/);
  assert.match(other.message, /Cls\.fromName\("my-app", "Model"\)/);
  assert.equal(spec, null);
});
