/** The static-value evaluator through a fixture: the forms it reads and the values they give. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cls, fn, specOf } from "../helpers.ts";

const spec = specOf("values");
const options = fn(spec, "picked").options;

test("ternaries on const booleans, element access, satisfies and as const", () => {
  assert.equal(options.maxContainers, 10, "PROD ? LIMITS[\"large\"].max : ...");
  assert.equal(options.minContainers, 0, "HOURS.length - 3");
});

test("arithmetic with unary minus", () => {
  assert.equal(options.timeout, 6 * 3600 + 60);
});

test("object spreads are overridden by later keys; ?? and templates over numbers", () => {
  assert.deepEqual(options.env, { LEVEL: "1", MODE: "prod-1", SIZE: "2.5" });
});

test("array spreads in a GPU fallback list; A100 with 80 GB memory", () => {
  assert.deepEqual(options.gpu, { type: "H100", count: 2, memoryGb: 80, fallbacks: [{ type: "L40S", count: 1, memoryGb: 48 }] });
  assert.deepEqual(cls(spec, "Model").options.gpu, { type: "A100-80GB", count: 1, memoryGb: 80, fallbacks: [] });
});

test("one named secret used twice: one entry with the required keys of both uses", () => {
  assert.deepEqual(options.secrets, ["tokens"]);
  assert.deepEqual(spec.secrets.map((s) => s.kind === "named" && [s.id, s.requiredKeys]), [["tokens", ["A", "B"]]]);
});

test("variants through consts (each link that is used is a variant), deduplicated by id", () => {
  const model = cls(spec, "Model");
  assert.deepEqual(model.variants.map((v) => v.id), [
    "Model[maxBatchSize=4,maxContainers=1,waitMs=5]",
    "Model[maxContainers=1]",
    "Model[maxInputs=32,targetInputs=24]",
  ]);
  const [tuned, small, wide] = model.variants;
  assert.deepEqual(tuned.batching, { many: { maxBatchSize: 4, waitMs: 5 } });
  assert.equal(tuned.options.maxContainers, 1);
  assert.deepEqual(small.source, { file: "app.ts", line: 27, column: 22 }, "the first place it is written");
  assert.deepEqual(wide.concurrency, { maxInputs: 32, targetInputs: 24 });
  assert.equal(wide.options.maxContainers, 4, "the class's own value");
});

test("a zod body replayed statically: regex, enum, optional, iso formats (a refine is refused: tests/provider/aws/gateway.test.ts)", () => {
  const web = fn(spec, "echo").web;
  assert.ok(web?.kind === "endpoint");
  assert.equal(web.method, "PUT");
  const schema = web.bodySchema as { properties: Record<string, Record<string, unknown>>; required: string[] };
  assert.deepEqual(schema.properties.name, { type: "string", pattern: "^[a-z]+$" });
  assert.deepEqual(schema.properties.kind, { type: "string", enum: ["a", "b"] });
  assert.equal(schema.properties.count.type, "integer");
  assert.equal(schema.properties.when.format, "date-time");
  assert.deepEqual(schema.required, ["name", "kind", "when"]);
});
