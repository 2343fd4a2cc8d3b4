/**
 * What a call target means in the app spec: the function or class variant it addresses, with the
 * options, concurrency and batching that variant was deployed with. Shared by every runtime (the
 * local one resolves it per pool; a cloud worker resolves the one it serves), so "what was
 * deployed" is decided in one place: from the static spec, never from the code.
 */
import type { CallTarget } from "../sdk/invoker.ts";
import type {
  AppSpec, BatchingSpec, ConcurrencySpec, DeclarationOptions, ParameterSpec,
} from "../synth/spec.ts";

export interface ResolvedDeclaration {
  kind: "function" | "class";
  name: string;
  /** `square`, `Model`, `Model[gpu=H100]` */
  label: string;
  options: DeclarationOptions;
  concurrency: ConcurrencySpec | null;
  /** method name -> batching, for `@batched` methods (variant overrides applied) */
  batching: Record<string, BatchingSpec>;
  /** class methods (none for a function) */
  methods: string[];
  parameters: ParameterSpec[];
}

/** Finds the target's declaration; a variant that was not deployed is an error listing the deployed ones. */
export function resolveDeclaration(spec: AppSpec, target: CallTarget): ResolvedDeclaration {
  const app = spec.app.name;
  if (target.app !== app) {
    throw new Error(`${target.app}.${target.name}: app "${target.app}" is not part of this run (it runs app "${app}")`);
  }
  const fn = spec.functions.find((f) => f.name === target.name);
  const cls = spec.classes.find((c) => c.name === target.name);
  let d: ResolvedDeclaration;
  if (fn && !target.method) {
    d = { kind: "function", name: fn.name, label: fn.name, options: fn.options, concurrency: null, batching: {}, methods: [], parameters: [] };
  } else if (cls) {
    let options = cls.options;
    let concurrency = cls.concurrency;
    const batching: Record<string, BatchingSpec> = {};
    for (const m of cls.methods) if (m.batched) batching[m.name] = m.batched;
    if (target.variant && target.variant !== cls.name) {
      const variant = cls.variants.find((v) => v.id === target.variant);
      if (!variant) {
        const deployed = [cls.name, ...cls.variants.map((v) => v.id)].join(", ");
        throw new Error(`${cls.name}: the variant ${target.variant} was not deployed (deployed: ${deployed}); ` +
          "variants must be written in code with static arguments so the synthesizer finds them");
      }
      options = variant.options;
      concurrency = variant.concurrency ?? concurrency;
      Object.assign(batching, variant.batching);
    }
    d = { kind: "class", name: cls.name, label: target.variant ?? cls.name, options, concurrency, batching,
      methods: cls.methods.map((m) => m.name), parameters: cls.parameters };
  } else {
    const known = [...spec.functions.map((f) => f.name), ...spec.classes.map((c) => c.name)].join(", ") || "none";
    throw new Error(`app "${app}" has no function or class "${target.name}" in its spec (declared: ${known})`);
  }
  if (target.method) checkMethod(d, target.method);
  return d;
}

export function checkMethod(d: ResolvedDeclaration, method: string): void {
  if (!d.methods.includes(method)) {
    throw new TypeError(`${d.label} has no method "${method}" (methods: ${d.methods.join(", ") || "none"})`);
  }
}

/** Checks `.instance({...})` against the class's parameters (names, required, types) and fills defaults. */
export function checkParameters(d: ResolvedDeclaration, params: Record<string, unknown>): Record<string, unknown> {
  const names = d.parameters.map((p) => p.name);
  for (const key of Object.keys(params)) {
    if (!names.includes(key)) throw new TypeError(`${d.name} has no parameter "${key}" (parameters: ${names.join(", ") || "none"})`);
  }
  const values: Record<string, unknown> = {};
  for (const p of d.parameters) {
    if (p.name in params && params[p.name] !== undefined) {
      const value = params[p.name];
      if (typeof value !== p.type) {
        throw new TypeError(`${d.name}: parameter "${p.name}" must be a ${p.type} (got ${value === null ? "null" : typeof value})`);
      }
      values[p.name] = value;
    } else if (p.required) {
      throw new TypeError(`${d.name}: missing required parameter "${p.name}"`);
    } else {
      values[p.name] = p.default;
    }
  }
  return values;
}

/** Container slots: maxInputs (1 without `@concurrent`), raised to the largest batch so a batch can fill. */
export function concurrencySlots(d: Pick<ResolvedDeclaration, "concurrency" | "batching">): { maxInputs: number; slots: number; targetInputs: number } {
  const maxInputs = d.concurrency?.maxInputs ?? 1;
  const largestBatch = Math.max(0, ...Object.values(d.batching).map((b) => b.maxBatchSize));
  const slots = Math.max(maxInputs, largestBatch, 1);
  const targetInputs = d.concurrency ? Math.min(d.concurrency.targetInputs, slots) : slots;
  return { maxInputs, slots, targetInputs };
}
