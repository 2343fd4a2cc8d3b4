/**
 * Small builders for policy, cost, diff and promotion tests: an AppSpec from a few declarations,
 * a plan from a spec plus a few resources. Every spec is checked against the AppSpec schema, so a
 * test cannot pass on a shape the analyzer would never produce.
 */
import { AppSpec, GPU_MEMORY_GB, defaultOptions, type ClassSpec, type DeclarationOptions, type FunctionSpec, type GpuType, type ImageSpec, type SecretSpec, type SourceLocation, type VariantSpec, type WebSpec } from "../../synth/spec.ts";
import { Plan, PLAN_VERSION, type PlanResource } from "../../provider/plan.ts";
import { specHash } from "../../synth/hash.ts";
import { costPlan, type CostOptions } from "../../policy/cost.ts";

export const FILE = "app.ts";

export function at(line: number, column = 1, file = FILE): SourceLocation {
  return { file, line, column };
}

export const DEFAULT_IMAGE: ImageSpec = { id: "img-default", base: { kind: "debianSlim", node: "20", python: null }, layers: [], source: null };

export function gpu(type: GpuType, count = 1, ...fallbacks: GpuType[]): DeclarationOptions["gpu"] {
  return {
    type,
    count,
    memoryGb: GPU_MEMORY_GB[type],
    fallbacks: fallbacks.map((t) => ({ type: t, count, memoryGb: GPU_MEMORY_GB[t] })),
  };
}

export function options(o: Partial<DeclarationOptions> = {}): DeclarationOptions {
  return { ...defaultOptions(DEFAULT_IMAGE.id), ...o };
}

export function fn(name: string, line: number, o: Partial<DeclarationOptions> = {}, extra: Partial<FunctionSpec> = {}): FunctionSpec {
  return { kind: "function", name, source: at(line), options: options(o), schedule: null, web: null, params: [], returns: "void", ...extra };
}

export function cls(name: string, line: number, o: Partial<DeclarationOptions> = {}, extra: Partial<ClassSpec> = {}): ClassSpec {
  return {
    kind: "class", name, source: at(line), options: options(o), parameters: [], methods: [], enter: [], exit: [], concurrency: null, variants: [], ...extra,
  };
}

export function variant(of: ClassSpec, id: string, line: number, o: Partial<DeclarationOptions>): VariantSpec {
  return { id, options: { ...of.options, ...o }, concurrency: null, batching: {}, overrides: o as Record<string, unknown>, source: at(line) };
}

export function endpoint(line: number, isPublic = false): WebSpec {
  return { kind: "endpoint", method: "POST", public: isPublic, docs: false, bodySchema: null, source: at(line) };
}

export function spec(parts: {
  name?: string;
  functions?: FunctionSpec[];
  classes?: ClassSpec[];
  images?: ImageSpec[];
  secrets?: SecretSpec[];
  volumes?: string[];
}): AppSpec {
  return AppSpec.parse({
    specVersion: 1,
    app: { name: parts.name ?? "demo", source: at(3) },
    entry: FILE,
    functions: parts.functions ?? [],
    classes: parts.classes ?? [],
    entrypoints: [],
    images: [DEFAULT_IMAGE, ...(parts.images ?? [])],
    volumes: (parts.volumes ?? []).map((name, i) => ({ name, createIfMissing: true, source: at(5 + i) })),
    secrets: parts.secrets ?? [],
    dicts: [],
    queues: [],
  });
}

export function resource(type: string, name: string, inputs: Record<string, unknown>, declaration: string | null = null, source: SourceLocation | null = null): PlanResource {
  const short = type.split(":").pop();
  return { urn: `urn:pulumi:test::demo::${type}::${name}`, type, name, parent: null, inputs, dependsOn: [], source, declaration: declaration ?? null, ...(short ? {} : {}) };
}

export function plan(s: AppSpec, resources: PlanResource[] = [], stack = "test", costOptions?: CostOptions, outputs: Record<string, unknown> = {}): Plan {
  const sorted = [...resources].sort((a, b) => (a.urn < b.urn ? -1 : 1));
  return Plan.parse({
    gantry: { planVersion: PLAN_VERSION, version: "0.1.0" },
    app: s.app.name,
    stack,
    target: "aws",
    specHash: specHash(s),
    spec: s,
    resources: sorted,
    outputs,
    cost: costPlan(s, sorted, costOptions),
  });
}
