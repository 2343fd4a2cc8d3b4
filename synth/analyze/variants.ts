/**
 * Variants found in code: `Cls.of(X).withOptions({...}).withConcurrency({...}).withBatching({...})`
 * (or the same chain on `Cls.fromName("<this app>", "X")`) with static arguments, anywhere in the analysed files. Each distinct set of overrides is one
 * deployed pool, named with the same `variantId` the runtime computes from the same overrides.
 */
import type { Node } from "ts-morph";
import { variantId } from "../../sdk/variant-id.ts";
import { sortKeys } from "../hash.ts";
import type { BatchingSpec, ClassSpec, ConcurrencySpec, DeclarationOptions, VariantSpec } from "../spec.ts";
import { readBatching, readConcurrency } from "./classes.ts";
import type { Context } from "./context.ts";
import { parseOptions, withDefaults } from "./options.ts";
import { toPlain } from "./read.ts";
import type { Resources } from "./resources.ts";
import { earlier } from "./resources.ts";
import type { SdkValue } from "./values.ts";

/** `Cls.of(X)...` or `Cls.fromName(...)...` once resolved to a class of this app: only its links matter here. */
type ClsValue = Extract<SdkValue, { type: "cls" | "clsName" | "fnVariant" }>;

/** What a variant starts from: a class, or a function (which has no methods, so nothing to batch). */
export type VariantBase = Pick<ClassSpec, "name" | "options" | "concurrency" | "methods">;

export function parseVariant(ctx: Context, res: Resources, cls: ClsValue, node: Node, spec: VariantBase): VariantSpec | undefined {
  const overrides: Record<string, unknown> = {};
  const given: Partial<DeclarationOptions> = {};
  let concurrency: ConcurrencySpec | null = spec.concurrency;
  let batching: BatchingSpec | undefined;
  let ok = true;
  for (const part of cls.parts) {
    const before = ctx.diags.count;
    if (part.method === "withOptions") {
      Object.assign(given, parseOptions(ctx, res, part.args, "variant").given);
      const plain = toPlain(ctx, part.args, "withOptions");
      if (plain.ok && plain.value && typeof plain.value === "object") Object.assign(overrides, plain.value);
    } else if (part.method === "withConcurrency") {
      const parsed = readConcurrency(ctx, part.args, part.node);
      if (parsed) {
        concurrency = parsed.concurrency;
        overrides.maxInputs = parsed.concurrency.maxInputs;
        if (part.args.kind === "object" && part.args.props.has("targetInputs")) overrides.targetInputs = parsed.concurrency.targetInputs;
        else delete overrides.targetInputs;
      }
    } else {
      if (!spec.methods.some((m) => m.batched)) {
        ctx.report("GANTRY1707", part.node, `${spec.name} has no @batched method, so withBatching has nothing to change`);
      }
      batching = readBatching(ctx, part.args, part.node);
      if (batching) Object.assign(overrides, batching);
    }
    if (ctx.diags.count !== before) ok = false;
  }
  if (!ok || Object.keys(overrides).length === 0) return undefined;

  const options = withDefaults(res, given, spec.options);
  if (options.maxContainers !== null && options.minContainers > options.maxContainers) {
    ctx.report("GANTRY1305", cls.parts[0].node, `this variant of ${spec.name} has minContainers (${options.minContainers}) greater than maxContainers (${options.maxContainers})`);
    return undefined;
  }
  const batchingByMethod: Record<string, BatchingSpec> = {};
  for (const m of spec.methods) {
    if (!m.batched) continue;
    const effective = batching ?? m.batched;
    if (batching) batchingByMethod[m.name] = batching;
    if (concurrency && spec.concurrency !== concurrency || batching) {
      if (concurrency && concurrency.maxInputs < effective.maxBatchSize) {
        ctx.report("GANTRY1702", cls.parts[cls.parts.length - 1].node, `in this variant of ${spec.name}, maxInputs (${concurrency.maxInputs}) is smaller than maxBatchSize (${effective.maxBatchSize}) of ${m.name}`);
        return undefined;
      }
    }
  }
  return {
    id: variantId(spec.name, overrides),
    options,
    concurrency,
    batching: batchingByMethod,
    overrides: sortKeys(overrides) as Record<string, unknown>,
    source: ctx.location(cls.parts[0].node),
  };
}

/** Adds a variant to its class or function, once per id (the earliest place it is written wins). */
export function addVariant(spec: { variants: VariantSpec[] }, variant: VariantSpec): void {
  const existing = spec.variants.findIndex((v) => v.id === variant.id);
  if (existing === -1) spec.variants.push(variant);
  else if (earlier(variant.source, spec.variants[existing].source)) spec.variants[existing] = variant;
}
