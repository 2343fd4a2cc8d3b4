/**
 * What a unit is, once for every target: each function, each class and each variant of either
 * found in code is deployed as its own unit (one queue, one pool of containers, one autoscaler). Here
 * each unit gets its resolved concurrency (what one container takes at once, what the autoscaler
 * aims for), its batching per method and its scaling bounds. The local runtime, the AWS provider,
 * the cost model and the worker all read these numbers, so `gantry run` and a deployed stack scale
 * the same code the same way.
 *
 * Pure and target-neutral: no Pulumi, no AWS, no runtime imports (only types), so runtime code
 * (the container bundle) can import it too.
 */
import type { CallTarget } from "../sdk/invoker.ts";
import type {
  AppSpec, BatchingSpec, ClassSpec, ConcurrencySpec, DeclarationOptions, FunctionSpec, ParameterSpec,
  ScheduleSpec, SourceLocation, VariantSpec, WebSpec,
} from "./spec.ts";

/** When code sets no `maxContainers`, deployed pools are still bounded (a policy may demand an explicit bound). */
export const DEFAULT_MAX_CONTAINERS = 100;

/** A unit's concurrency as every layer applies it. */
export interface UnitConcurrency {
  /** `@concurrent` maxInputs; 1 without it */
  maxInputs: number;
  /** inputs one container takes at once: maxInputs, raised to the largest `@batched` size so a batch can fill */
  slots: number;
  /** inputs per container the autoscaler aims for */
  targetInputs: number;
}

export interface UnitScaling {
  minContainers: number;
  /** `maxContainers`, or DEFAULT_MAX_CONTAINERS when code sets none */
  maxContainers: number;
  /** false when code set no `maxContainers` (the bound is gantry's) */
  bounded: boolean;
}

export interface UnitEndpoint {
  /** class method name, null for a function endpoint */
  method: string | null;
  web: Extract<WebSpec, { kind: "endpoint" }>;
  /** whether the function or method takes an argument (a GET endpoint then gets its query) */
  takesArgs: boolean;
}

export interface Unit {
  /** function name, class name or variant id (`LlamaInference~gpu=H100`) */
  id: string;
  kind: "function" | "class";
  /** the function or class name in code */
  name: string;
  /** the function or class a variant belongs to; null for base functions and classes */
  variantOf: string | null;
  source: SourceLocation;
  options: DeclarationOptions;
  /** `@concurrent` (a function's `concurrency` option) as written, the variant's `withConcurrency` applied; null without it */
  declaredConcurrency: ConcurrencySpec | null;
  concurrency: UnitConcurrency;
  /** method name -> batching, for `@batched` methods (variant overrides applied) */
  batching: Record<string, BatchingSpec>;
  schedule: ScheduleSpec | null;
  /** `webApp` / `webServer` (functions only) */
  server: Extract<WebSpec, { kind: "app" | "server" }> | null;
  endpoints: UnitEndpoint[];
  scaling: UnitScaling;
  /** class methods (none for a function) */
  methods: string[];
  /** class parameters (none for a function) */
  parameters: ParameterSpec[];
}

/**
 * The concurrency rule, as Modal applies it: a container accepts a whole batch, so its slots are
 * at least the largest `maxBatchSize`. Without `@concurrent` the autoscaler aims at full slots (a
 * batched container is sized for a batch, not for one input); with it, at `targetInputs` (never
 * above the slots).
 */
export function resolveConcurrency(declared: ConcurrencySpec | null, batching: Record<string, BatchingSpec>): UnitConcurrency {
  const maxInputs = declared?.maxInputs ?? 1;
  const slots = slotsFor(maxInputs, batching);
  const targetInputs = declared ? Math.min(declared.targetInputs, slots) : slots;
  return { maxInputs, slots, targetInputs };
}

/** Container slots from `maxInputs` and the batching (what a worker computes from what it is told). */
export function slotsFor(maxInputs: number, batching: Record<string, BatchingSpec>): number {
  const largestBatch = Math.max(0, ...Object.values(batching).map((b) => b.maxBatchSize));
  return Math.max(maxInputs, largestBatch, 1);
}

/**
 * Scaling bounds of a deployed unit. A webApp/webServer sits behind a load balancer that cannot
 * hold a request while a container starts, so it never scales to zero (and `maxContainers` is
 * at least that one).
 */
/** How a web declaration's callers are checked, for summaries: gantry's token, nobody, or the app itself. */
export function webAccess(web: WebSpec): string {
  if (web.kind !== "endpoint" && web.auth === "app") return "auth by the app (no gantry token)";
  return web.public ? "public" : "private (bearer token)";
}

/** Callers send credentials (gantry's token, or the app's own with `auth: "app"`): they must not cross the internet in cleartext. */
export function takesCredentials(web: WebSpec): boolean {
  return !web.public || (web.kind !== "endpoint" && web.auth === "app");
}

export function scalingOf(options: DeclarationOptions, server: Unit["server"]): UnitScaling {
  const minContainers = server ? Math.max(1, options.minContainers) : options.minContainers;
  const bounded = options.maxContainers !== null;
  const maxContainers = Math.max(options.maxContainers ?? DEFAULT_MAX_CONTAINERS, minContainers);
  return { minContainers, maxContainers, bounded };
}

/** Every unit of the app, sorted by id. */
export function unitsOf(spec: AppSpec): Unit[] {
  return unitsInSpecOrder(spec).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Every unit in the spec's order: each function, then each class, each followed by its variants (reports read in this order). */
export function unitsInSpecOrder(spec: AppSpec): Unit[] {
  const units: Unit[] = [];
  for (const fn of spec.functions) {
    units.push(functionUnit(fn, null));
    for (const v of fn.variants ?? []) units.push(functionUnit(fn, v));
  }
  for (const cls of spec.classes) {
    units.push(classUnit(cls, null));
    for (const v of cls.variants) units.push(classUnit(cls, v));
  }
  return units;
}

/**
 * The unit a call target addresses: a function, a class, or a variant of it that was deployed.
 * Errors name what exists: the deployed variants, the declared functions and classes, the methods.
 */
export function unitFor(spec: AppSpec, target: CallTarget): Unit {
  const app = spec.app.name;
  if (target.app !== app) {
    throw new Error(`${target.app}.${target.name}: app "${target.app}" is not part of this run (it runs app "${app}")`);
  }
  const fn = spec.functions.find((f) => f.name === target.name);
  const cls = spec.classes.find((c) => c.name === target.name);
  let unit: Unit;
  if (fn && !target.method) {
    unit = functionUnit(fn, deployedVariant(fn.name, fn.variants ?? [], target.variant));
  } else if (cls) {
    unit = classUnit(cls, deployedVariant(cls.name, cls.variants, target.variant));
  } else {
    const known = [...spec.functions.map((f) => f.name), ...spec.classes.map((c) => c.name)].join(", ") || "none";
    throw new Error(`app "${app}" has no function or class "${target.name}" in its spec (declared: ${known})`);
  }
  if (target.method) checkMethod(unit, target.method);
  return unit;
}

/** The variant a target asks for (null: the base unit); one that was not deployed is an error listing those that were. */
function deployedVariant(name: string, variants: VariantSpec[], wanted: string | undefined): VariantSpec | null {
  if (!wanted || wanted === name) return null;
  const variant = variants.find((v) => v.id === wanted);
  if (variant) return variant;
  const deployed = [name, ...variants.map((v) => v.id)].join(", ");
  throw new Error(`${name}: the variant ${wanted} was not deployed (deployed: ${deployed}); ` +
    "variants must be written in code with static arguments so the synthesizer finds them");
}

export function checkMethod(unit: Pick<Unit, "id" | "methods">, method: string): void {
  if (!unit.methods.includes(method)) {
    throw new TypeError(`${unit.id} has no method "${method}" (methods: ${unit.methods.join(", ") || "none"})`);
  }
}

/**
 * The base function (variant null) or one of its variants. A variant is the same code in its own
 * pool: it serves no web endpoint or server and runs no schedule of its own (those stay with the
 * declaration, as for class variants).
 */
function functionUnit(fn: FunctionSpec, variant: VariantSpec | null): Unit {
  const web = variant ? null : fn.web;
  const server = web && web.kind !== "endpoint" ? web : null;
  const declared = variant ? variant.concurrency : fn.concurrency ?? null;
  const options = variant ? variant.options : fn.options;
  return {
    id: variant ? variant.id : fn.name, kind: "function", name: fn.name, variantOf: variant ? fn.name : null,
    source: variant ? variant.source : fn.source, options,
    declaredConcurrency: declared, concurrency: resolveConcurrency(declared, {}), batching: {},
    schedule: variant ? null : fn.schedule,
    server,
    endpoints: web && web.kind === "endpoint" ? [{ method: null, web, takesArgs: fn.params.length > 0 }] : [],
    scaling: scalingOf(options, server),
    methods: [],
    parameters: [],
  };
}

/** The base class (variant null) or one of its variants; a variant serves no web endpoints of its own. */
function classUnit(cls: ClassSpec, variant: VariantSpec | null): Unit {
  const batching: Record<string, BatchingSpec> = {};
  for (const m of cls.methods) if (m.batched) batching[m.name] = m.batched;
  if (variant) Object.assign(batching, variant.batching);
  const declared = variant ? variant.concurrency ?? cls.concurrency : cls.concurrency;
  const options = variant ? variant.options : cls.options;
  const endpoints: UnitEndpoint[] = [];
  if (!variant) {
    for (const m of cls.methods) {
      if (m.web?.kind === "endpoint") endpoints.push({ method: m.name, web: m.web, takesArgs: m.params.length > 0 });
    }
  }
  return {
    id: variant ? variant.id : cls.name, kind: "class", name: cls.name, variantOf: variant ? cls.name : null,
    source: variant ? variant.source : cls.source, options,
    declaredConcurrency: declared, concurrency: resolveConcurrency(declared, batching), batching,
    schedule: null, server: null, endpoints,
    scaling: scalingOf(options, null),
    methods: cls.methods.map((m) => m.name),
    parameters: cls.parameters,
  };
}
