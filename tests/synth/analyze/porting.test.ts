/** Ported Modal guide samples (issue 14): each case a pattern that used to break or stay silent. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { variantId } from "../../../sdk/variant-id.ts";
import { unitFor, unitsOf } from "../../../synth/units.ts";
import { analyzeFixture, brief, cls, fn, specOf } from "../helpers.ts";

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
  const { diagnostics, spec } = analyzeFixture("broken/porting/from-name");
  assert.deepEqual(diagnostics.map(brief), ["GANTRY1708 app.ts:12:21", "GANTRY1709 app.ts:13:22"]);
  const [typo, other] = diagnostics;
  assert.match(typo.message, /has no class Modl \(did you mean "Model"\?\)/);
  assert.match(other.message, /another app.*declare the variant in the app "other-app"/);
  assert.match(other.message, /Cls\.fromName\("my-app", "Model"\)/);
  assert.equal(spec, null);
});

test("Function.fromName / Cls.fromName of this app naming no function or class it deploys: an error at the name, with the closest one", () => {
  const { diagnostics, spec } = analyzeFixture("broken/porting/function-from-name");
  assert.deepEqual(diagnostics.map(brief), ["GANTRY1708 app.ts:17:44", "GANTRY1708 app.ts:18:42", "GANTRY1708 app.ts:19:45", "GANTRY1708 app.ts:20:47", "GANTRY1708 app.ts:21:42"]);
  assert.deepEqual(diagnostics.map((d) => d.message), [
    'Function.fromName("my-app", "embd"): the app "my-app" has no function embd (did you mean "embed"?); its functions are embed',
    'Function.fromName("my-app", "Model"): Model is a class of the app "my-app", not a function: use Cls.fromName("my-app", "Model")',
    'Function.fromName("my-app", "main"): main is a local entrypoint, which runs where `gantry run` runs and is not deployed; call the functions it calls',
    `Function.fromName("my-app", "embed[gpu=H100]"): the app "my-app" deploys no variant embed[gpu=H100] of embed (did you mean "${variantId("embed", { gpu: "T4" })}"?); its variants are ${variantId("embed", { gpu: "T4" })}`,
    'Cls.fromName("my-app", "Modl"): the app "my-app" has no @app.cls class Modl (did you mean "Model"?); its @app.cls classes are Model',
  ]);
  assert.equal(spec, null);
});

test("fn.withOptions / fn.withConcurrency are function variants; concurrency is a function option", () => {
  const embed = fn(specOf("porting/function-variants"), "embed");
  assert.deepEqual(embed.concurrency, { maxInputs: 4, targetInputs: 4 });
  assert.deepEqual(embed.variants?.map((v) => v.id), [
    variantId("embed", { gpu: "T4", maxContainers: 2 }),
    variantId("embed", { maxInputs: 16, targetInputs: 12 }),
  ]);
  const [staging, wide] = embed.variants!;
  assert.equal(staging.options.gpu?.type, "T4");
  assert.equal(staging.options.maxContainers, 2);
  assert.deepEqual(staging.concurrency, { maxInputs: 4, targetInputs: 4 }, "a variant keeps the function's concurrency");
  assert.deepEqual(wide.concurrency, { maxInputs: 16, targetInputs: 12 });
  assert.equal(wide.options.gpu?.type, "A10G");
});

test("function variants are units of their own, with the variant's concurrency and no schedule or web", () => {
  const units = unitsOf(specOf("porting/function-variants"));
  assert.deepEqual(units.map((u) => [u.id, u.variantOf, u.concurrency.maxInputs, u.scaling.maxContainers]), [
    ["embed", null, 4, 10],
    [variantId("embed", { gpu: "T4", maxContainers: 2 }), "embed", 4, 2],
    [variantId("embed", { maxInputs: 16, targetInputs: 12 }), "embed", 16, 10],
  ]);
  const spec = specOf("porting/function-variants");
  assert.equal(unitFor(spec, { app: "fn-variants", name: "embed", variant: units[2].id }).concurrency.targetInputs, 12);
  assert.throws(() => unitFor(spec, { app: "fn-variants", name: "embed", variant: "embed[gpu=H100]" }), /was not deployed \(deployed: embed, /);
});

test("the old name allowConcurrentInputs on a function names the function option; batching a function is refused", () => {
  const { diagnostics } = analyzeFixture("broken/porting/function-variants");
  assert.deepEqual(diagnostics.map(brief), ["GANTRY1301 app.ts:6:37", "GANTRY1707 app.ts:7:30", "GANTRY1707 app.ts:8:42"]);
  assert.match(diagnostics[0].message, /concurrency: \{ maxInputs \} option of app\.function/);
  assert.match(diagnostics[1].message, /embed has no @batched method/);
});

test("the spec records which options were written, sorted (timeout: 300 is not the same as no timeout)", () => {
  assert.deepEqual(fn(specOf("porting/function-variants"), "embed").written, ["concurrency", "gpu", "maxContainers"]);
  assert.deepEqual(cls(specOf("porting/from-name"), "Model").written, ["gpu"]);
});

test("a webApp that never scales to zero is a warning at the declaration, with its monthly floor cost", () => {
  const { diagnostics, spec } = analyzeFixture("porting/web-app");
  assert.ok(spec, "a warning, not an error");
  assert.deepEqual(diagnostics.map(brief), ["GANTRY1605 app.ts:8:49"]);
  assert.match(diagnostics[0].message, /ui is a webApp, which never scales to zero: one container always runs \(A10G on g5\.\w+: \$\d+\.\d\d\/hour, about \$\d+\/month/);
  assert.match(diagnostics[0].message, /minContainers: 1/);
});

test("web signatures gantry cannot map, and wrong auth/response options, are reported where they are written", () => {
  const { diagnostics, spec } = analyzeFixture("broken/porting/web-args");
  assert.deepEqual(diagnostics.map(brief), [
    "GANTRY2000 app.ts:6:98", "GANTRY2000 app.ts:9:96", "GANTRY2000 app.ts:11:87",
    "GANTRY2000 app.ts:13:112", "GANTRY2000 app.ts:15:98", "GANTRY2001 app.ts:17:80",
  ]);
  const [object, notInSchema, rest, both, wrong, notZod] = diagnostics.map((d) => d.message);
  assert.match(object, /filter is a query parameter of this GET endpoint.*not \{ tag: string \}.*use POST/);
  assert.match(notInSchema, /page is not a property of this GET endpoint's body schema \(it has q\)/);
  assert.match(rest, /plain named parameters/);
  assert.match(both, /auth: "app" already lets every request through to the app; remove public/);
  assert.match(wrong, /auth must be "gantry" .* or "app"/);
  assert.match(notZod, /response must be a zod schema/);
  assert.equal(spec, null);
});

test("response schemas from return types as written and from returned literals (synth/analyze/type-schema.ts)", () => {
  const spec = specOf("porting/web-types");
  const response = (name: string) => {
    const web = fn(spec, name).web;
    return web?.kind === "endpoint" ? web.responseSchema : "not an endpoint";
  };
  assert.deepEqual(response("tuple"), { type: "array", prefixItems: [{ type: "string" }, { type: "number" }], minItems: 2, maxItems: 2 });
  assert.deepEqual(response("record"), { type: "object", additionalProperties: { type: "string", format: "date-time" } });
  assert.deepEqual(response("literals"), { anyOf: [{ type: "string", enum: ["a", "b"] }, { type: "null" }] });
  assert.deepEqual(response("inferred"), { type: "object", properties: { id: { type: "string" }, price: { type: "number", default: 0 } }, required: ["id", "price"], additionalProperties: false });
  assert.deepEqual(response("tree"), {
    allOf: [
      { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
      { type: "object", properties: { label: { type: "string" }, children: { type: "array", items: {} } }, required: ["children"] },
    ],
  }, "a recursive interface stops at itself");
  assert.deepEqual(response("both"), { type: "object", properties: { ok: { type: "boolean" }, items: { type: "array", items: { type: "number" } } }, required: ["ok", "items"] },
    "two returns of one shape are one schema (an empty array literal `as number[]` takes its type)");
  assert.equal(response("opaque"), undefined, "a call's result is not known statically");
  assert.deepEqual((fn(spec, "both").web as { queryParams?: string[] }).queryParams, ["flag"]);
});
