/** Per-stack overrides (`gantry:overrides`), checked like options in code. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyOverrides, ConfigError, OVERRIDABLE } from "../../provider/overrides.ts";
import { DeclarationOptions } from "../../synth/spec.ts";
import { llmApp } from "./fixtures/specs.ts";
import { planOf } from "./plan-view.ts";

const FILE = "Pulumi.prod.yaml";
const problems = (raw: unknown): string[] => {
  try {
    applyOverrides(llmApp(), raw, FILE);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
};

describe("gantry:overrides", () => {
  it("changes a class and its variants, except what a variant sets in code", () => {
    const spec = applyOverrides(llmApp(), { LlamaInference: { gpu: "T4", maxContainers: 2 } }, FILE);
    const llama = spec.classes.find((c) => c.name === "LlamaInference")!;
    assert.deepEqual([llama.options.gpu?.type, llama.options.maxContainers], ["T4", 2]);
    assert.deepEqual([llama.variants[0].options.gpu?.type, llama.variants[0].options.maxContainers], ["H100", 2]);
  });
  it("a variant id targets that variant alone, and wins over its class", () => {
    const spec = applyOverrides(llmApp(), { "LlamaInference[gpu=H100]": { maxContainers: 1 }, LlamaInference: { maxContainers: 4 } }, FILE);
    const llama = spec.classes.find((c) => c.name === "LlamaInference")!;
    assert.deepEqual([llama.options.maxContainers, llama.variants[0].options.maxContainers], [4, 1]);
  });
  it("reads values as code does: GPU strings with counts, fallback lists, retries as a number", () => {
    const spec = applyOverrides(llmApp(), { square: { gpu: ["H100:2", "A100-80GB:2"], retries: 4, env: { MODE: "prod" } } }, FILE);
    const square = spec.functions.find((f) => f.name === "square")!.options;
    assert.deepEqual(square.gpu, { type: "H100", count: 2, memoryGb: 80, fallbacks: [{ type: "A100-80GB", count: 2, memoryGb: 80 }] });
    assert.equal(square.retries.maxRetries, 4);
    assert.equal(square.env.MODE, "prod");
  });
  it("reports every problem at once, with its config path", () => {
    assert.deepEqual(problems({
      LlamaInference: { gpu: "T5", concurrencyLimit: 3 },
      square: { maxContainers: 0, image: "x" },
      Nope: { gpu: "T4" },
    }), [
      `${FILE}: gantry:overrides.LlamaInference.concurrencyLimit: "concurrencyLimit" is Modal's old name; use "maxContainers"`,
      `${FILE}: gantry:overrides.square.maxContainers: Too small: expected number to be >=1`,
      `${FILE}: gantry:overrides.square: Unrecognized key: "image" (a stack may override: gpu, cpu, memory, timeout, retries, minContainers, maxContainers, bufferContainers, scaledownWindow, enableMemorySnapshot, spot, env)`,
      `${FILE}: gantry:overrides.Nope: no function, class or variant named "Nope" (declared: EmbeddingService, LlamaInference, LlamaInference[gpu=H100], api, batchTrain, health, hourly, nightly, square)`,
    ]);
    assert.match(problems({ LlamaInference: { gpu: "T5" } })[0], /^Pulumi\.prod\.yaml: gantry:overrides\.LlamaInference\.gpu: unknown GPU.*"T5".*T4, L4, A10G/);
  });
  it("every option of the spec but image, secrets and volumes is one a stack may override, as code writes it", () => {
    assert.deepEqual(OVERRIDABLE, Object.keys(DeclarationOptions.shape).filter((k) => !["image", "secrets", "volumes"].includes(k)));
    const fromCode = { ...llmApp().functions.find((f) => f.name === "square")!.options, timeout: 77, retries: { maxRetries: 2, backoffCoefficient: 3, initialDelay: 2, maxDelay: 30 }, spot: true };
    for (const key of OVERRIDABLE.filter((k) => k !== "gpu")) {
      const spec = applyOverrides(llmApp(), { square: { [key]: fromCode[key] } }, FILE);
      assert.deepEqual(spec.functions.find((f) => f.name === "square")!.options[key], fromCode[key], key);
    }
    assert.deepEqual(problems({ square: { retries: { backoffCoefficient: 2 } }, health: { retries: 11 } }), [
      `${FILE}: gantry:overrides.square.retries.maxRetries: Invalid input: expected number, received undefined`,
      `${FILE}: gantry:overrides.health.retries.maxRetries: Too big: expected number to be <=10`,
    ]);
  });
  it("a stack's overrides reach the plan without touching code", async () => {
    const view = await planOf(llmApp(), {
      stack: "prod",
      config: { "gantry:overrides": { LlamaInference: { gpu: "T4", maxContainers: 2 } } },
      secretValues: { "dict-1a2b3c": { OPENAI_KEY: "x" } },
    });
    assert.equal(view.inputs("aws:ecs/service:Service", { declaration: "LlamaInference" }).capacityProviderStrategies[0].capacityProvider, "gantry-capacity-gpu-t4x1");
    assert.equal(view.inputs("aws:appautoscaling/target:Target", { declaration: "LlamaInference" }).maxCapacity, 2);
    // the spec hash pins the code, not the stack
    assert.equal(view.plan.specHash, (await import("../../synth/index.ts")).specHash(llmApp()));
    assert.equal(view.plan.spec.classes.find((c) => c.name === "LlamaInference")!.options.gpu?.type, "T4");
  });
});
