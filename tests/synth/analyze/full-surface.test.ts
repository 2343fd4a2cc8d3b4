/** The full-surface fixture: every declaration kind of API.md §1 and the spec fields it yields. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { analyzeApp } from "../../../synth/index.ts";
import { AppSpec, DEFAULTS } from "../../../synth/spec.ts";
import { analyzeFixture, cls, FIXTURES, fn, specOf } from "../helpers.ts";

const spec = specOf("full");

test("the app: name, entry file and location", () => {
  assert.equal(spec.specVersion, 1);
  assert.equal(spec.app.name, "full-surface");
  assert.equal(spec.entry, "app.ts");
  assert.deepEqual(spec.app.source, { file: "app.ts", line: 9, column: 20 });
  assert.doesNotThrow(() => AppSpec.parse(spec));
});

test("functions are sorted by name and located at their exported binding", () => {
  assert.deepEqual(spec.functions.map((f) => f.name), ["api", "health", "hourly", "nightly", "square", "train", "ui"]);
  assert.deepEqual(fn(spec, "square").source, { file: "app.ts", line: 14, column: 14 });
});

test("a plain function: given options, defaults for the rest, its signature as written", () => {
  const square = fn(spec, "square");
  assert.equal(square.options.timeout, 60);
  assert.deepEqual(square.options.retries, { ...DEFAULTS.retries, maxRetries: 2 });
  assert.equal(square.options.gpu, null);
  assert.equal(square.options.maxContainers, null);
  assert.equal(square.options.scaledownWindow, DEFAULTS.scaledownWindow);
  assert.deepEqual(square.params, [{ name: "x", type: "number" }]);
  assert.equal(square.returns, "Promise<number>");
  assert.equal(square.schedule, null);
  assert.equal(square.web, null);
});

test("schedules: cron normalized with its timezone, period in seconds", () => {
  const nightly = fn(spec, "nightly");
  assert.deepEqual(nightly.schedule, {
    kind: "cron", expression: "0 2 * * 1-5", timezone: "Europe/Paris", source: { file: "app.ts", line: 17, column: 15 },
  });
  assert.equal(nightly.options.timeout, 240, "DEFAULT_TIMEOUT * 2 from config.ts");
  const hourly = fn(spec, "hourly").schedule;
  assert.ok(hourly?.kind === "period");
  assert.equal(hourly.seconds, 5400, "Period({ hours: 1, minutes: 30 })");
});

test("every option of a function, from literals, consts, enums and templates across files", () => {
  const o = fn(spec, "train").options;
  assert.deepEqual(o.gpu, { type: "H100", count: 1, memoryGb: 80, fallbacks: [{ type: "A100-80GB", count: 1, memoryGb: 80 }] });
  assert.equal(o.cpu, 4);
  assert.equal(o.memory, 16384);
  assert.deepEqual(o.retries, { maxRetries: 3, backoffCoefficient: 2, initialDelay: 5, maxDelay: 60 });
  assert.deepEqual(o.volumes, [{ mountPath: "/models", volume: "llm-model-weights" }]);
  assert.equal(o.secrets.length, 2);
  assert.equal(o.secrets[0], "huggingface-token");
  assert.match(o.secrets[1], /^dict-[0-9a-f]{12}$/);
  assert.deepEqual(o.env, { REGION: "aws-eu-west-1" });
  assert.equal(o.maxContainers, 8, "Tier.Large");
  assert.equal(o.spot, true);
  assert.equal(spec.images.find((i) => i.id === o.image)?.layers.length, 3);
  assert.deepEqual(fn(spec, "train").params, [{ name: "dataset", type: "string" }, { name: "epochs", type: "number" }]);
});

test("web functions: endpoint, app and server with the sdk's defaults", () => {
  const health = fn(spec, "health").web;
  assert.equal(health?.kind, "endpoint");
  assert.ok(health?.kind === "endpoint");
  assert.equal(health.method, "GET");
  assert.equal(health.public, true);
  assert.equal(health.docs, false);
  assert.equal(health.bodySchema, null);
  assert.deepEqual(fn(spec, "api").web, { kind: "app", public: false, source: { file: "app.ts", line: 42, column: 80 } });
  assert.deepEqual(fn(spec, "ui").web, { kind: "server", port: 8000, startupTimeout: 10, public: false, source: { file: "app.ts", line: 43, column: 36 } });
});

test("a class: options, concurrency, parameters, methods, hooks in run order", () => {
  const llama = cls(spec, "LlamaInference");
  assert.deepEqual(llama.source, { file: "app.ts", line: 47, column: 14 });
  assert.deepEqual(llama.options.gpu, { type: "A10G", count: 1, memoryGb: 24, fallbacks: [] });
  assert.equal(llama.options.scaledownWindow, 300);
  assert.equal(llama.options.maxContainers, 5);
  assert.equal(llama.options.enableMemorySnapshot, true);
  assert.deepEqual(llama.concurrency, { maxInputs: 8, targetInputs: 6 });
  assert.deepEqual(llama.parameters.map(({ source: _, ...p }) => p), [
    { name: "modelName", type: "string", required: true },
    { name: "batchSize", type: "number", required: false, default: 32 },
  ]);
  assert.deepEqual(llama.methods.map((m) => [m.name, m.batched]), [["generate", null], ["embed", { maxBatchSize: 8, waitMs: 50 }]]);
  assert.deepEqual(llama.methods[1].params, [{ name: "texts", type: "string[]" }]);
  assert.deepEqual(llama.enter.map((h) => [h.name, h.snap]), [["warm", true], ["load", false]], "snap hooks run first");
  assert.deepEqual(llama.exit.map((h) => h.name), ["cleanup"]);
});

test("variants found in code: ids shared with the runtime, overrides applied to the class's options", () => {
  const llama = cls(spec, "LlamaInference");
  assert.deepEqual(llama.variants.map((v) => v.id), [
    "LlamaInference[gpu=H100,maxContainers=2]",
    "LlamaInference[maxBatchSize=16,maxInputs=32,waitMs=10]",
  ]);
  const [h100, wide] = llama.variants;
  assert.deepEqual(h100.overrides, { gpu: "H100", maxContainers: 2 });
  assert.equal(h100.options.gpu?.type, "H100");
  assert.equal(h100.options.maxContainers, 2);
  assert.equal(h100.options.scaledownWindow, 300, "inherited from the class");
  assert.deepEqual(h100.concurrency, { maxInputs: 8, targetInputs: 6 });
  assert.deepEqual(wide.concurrency, { maxInputs: 32, targetInputs: 32 });
  assert.deepEqual(wide.batching, { embed: { maxBatchSize: 16, waitMs: 10 } });
  assert.deepEqual(h100.source, { file: "app.ts", line: 68, column: 39 });
});

test("a web endpoint method: the zod body as JSON Schema", () => {
  const [embed] = cls(spec, "EmbeddingService").methods;
  assert.ok(embed.web?.kind === "endpoint");
  assert.equal(embed.web.method, "POST");
  assert.equal(embed.web.docs, true);
  const schema = embed.web.bodySchema as { type: string; properties: Record<string, unknown>; required: string[] };
  assert.equal(schema.type, "object");
  assert.deepEqual(schema.properties.texts, { type: "array", minItems: 1, items: { type: "string" } });
  assert.deepEqual(schema.properties.normalize, { type: "boolean", default: true });
  assert.deepEqual(schema.required, ["texts"], "a field with a default is optional in the request");
});

test("images: ordered layers, each with its own location; the default image once", () => {
  assert.deepEqual(spec.images.map((i) => i.id), [...spec.images.map((i) => i.id)].sort());
  const inference = spec.images.find((i) => i.layers.length === 3)!;
  assert.deepEqual(inference.base, { kind: "debianSlim", node: "20", python: null });
  assert.deepEqual(inference.layers.map((l) => [l.kind, l.source.file, l.source.line, l.source.column]), [
    ["apt", "config.ts", 9, 4], ["npm", "config.ts", 10, 4], ["pip", "config.ts", 11, 4],
  ]);
  assert.deepEqual(inference.source, { file: "config.ts", line: 8, column: 31 });
  const defaults = spec.images.filter((i) => i.source === null);
  assert.equal(defaults.length, 1);
  assert.deepEqual(defaults[0].layers, []);
});

test("volumes, secrets, dicts and queues; fromDict values never in the spec", () => {
  assert.deepEqual(spec.volumes.map((v) => [v.name, v.createIfMissing]), [["llm-model-weights", true]]);
  assert.deepEqual(spec.secrets.map((s) => [s.kind, s.id]).filter(([k]) => k === "named"), [["named", "api-secrets"], ["named", "huggingface-token"]]);
  const hf = spec.secrets.find((s) => s.id === "huggingface-token");
  assert.ok(hf?.kind === "named");
  assert.deepEqual(hf.requiredKeys, ["HF_TOKEN"]);
  const dict = spec.secrets.find((s) => s.kind === "dict");
  assert.ok(dict?.kind === "dict");
  assert.deepEqual(dict.keys, ["API_KEY"]);
  assert.match(dict.valueHash, /^hmac-sha256:[0-9a-f]{64}$/);
  assert.equal(dict.id, `dict-${dict.valueHash.slice("hmac-sha256:".length, "hmac-sha256:".length + 12)}`);
  assert.ok(!JSON.stringify(spec).includes("s3cr3t"));
  assert.deepEqual(analyzeFixture("full").secretValues, { [dict.id]: { API_KEY: "s3cr3t" } });
  assert.deepEqual(spec.dicts.map((d) => [d.name, d.createIfMissing]), [["embedding-cache", true]]);
  assert.deepEqual(spec.queues.map((q) => [q.name, q.createIfMissing]), [["jobs", false]]);
});

test("entrypoints", () => {
  assert.deepEqual(spec.entrypoints, [{ name: "main", source: { file: "app.ts", line: 66, column: 14 } }]);
});

test("without a project root, paths are relative to the nearest package.json (the repo here)", () => {
  const result = analyzeApp(`${FIXTURES}full/app.ts`);
  assert.equal(result.spec?.entry, "tests/synth/fixtures/full/app.ts");
  assert.equal(result.spec?.images.find((i) => i.source)?.source?.file, "tests/synth/fixtures/full/config.ts");
});
