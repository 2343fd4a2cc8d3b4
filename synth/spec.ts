/**
 * The AppSpec: everything the static analysis understood about an app, and the only thing the
 * layers share (synth -> provider / runtime / policy). JSON-serializable and deterministic: arrays
 * are sorted by name, objects are built with a fixed key order, and no value depends on the clock,
 * the machine or the working directory (paths are relative to the project root).
 */
import { z } from "zod";

export const SPEC_VERSION = 1 as const;

/** Where a declaration (or one of its options) was written. `file` is relative to the project root. */
export const SourceLocation = z.object({
  file: z.string(),
  line: z.number().int().positive(),
  column: z.number().int().positive(),
});
export type SourceLocation = z.infer<typeof SourceLocation>;

export const GPU_TYPES = ["T4", "L4", "A10G", "L40S", "A100", "A100-40GB", "A100-80GB", "H100", "H200"] as const;
export const GpuType = z.enum(GPU_TYPES);
export type GpuType = z.infer<typeof GpuType>;

/** One GPU shape. `A100` is normalized to `A100-40GB`; `memoryGb` is per GPU. */
export const GpuShape = z.object({
  type: GpuType,
  count: z.number().int().min(1).max(8),
  memoryGb: z.number().int().positive(),
});
export type GpuShape = z.infer<typeof GpuShape>;

/** The preferred shape first, then the ordered fallbacks (`gpu: ["H100", "A100-80GB"]`). */
export const GpuSpec = GpuShape.extend({ fallbacks: z.array(GpuShape) });
export type GpuSpec = z.infer<typeof GpuSpec>;

export const RetriesSpec = z.object({
  maxRetries: z.number().int().min(0).max(10),
  backoffCoefficient: z.number().min(1).max(10),
  /** seconds */
  initialDelay: z.number().min(0).max(60),
  /** seconds */
  maxDelay: z.number().min(0).max(60),
});
export type RetriesSpec = z.infer<typeof RetriesSpec>;

export const VolumeMount = z.object({ mountPath: z.string(), volume: z.string() });
export type VolumeMount = z.infer<typeof VolumeMount>;

/** Options shared by functions and classes, with defaults applied. */
export const DeclarationOptions = z.object({
  /** id of an entry in `AppSpec.images` */
  image: z.string(),
  gpu: GpuSpec.nullable(),
  /** cores */
  cpu: z.number().positive().nullable(),
  /** MiB */
  memory: z.number().int().positive().nullable(),
  /** seconds per attempt */
  timeout: z.number().int().min(1).max(86400),
  retries: RetriesSpec,
  /** ids of entries in `AppSpec.secrets` */
  secrets: z.array(z.string()),
  volumes: z.array(VolumeMount),
  minContainers: z.number().int().min(0),
  /** null: unbounded (policy may require a bound) */
  maxContainers: z.number().int().min(1).nullable(),
  bufferContainers: z.number().int().min(0),
  /** seconds a container may sit idle before it exits */
  scaledownWindow: z.number().int().min(1),
  enableMemorySnapshot: z.boolean(),
  spot: z.boolean(),
  env: z.record(z.string(), z.string()),
});
export type DeclarationOptions = z.infer<typeof DeclarationOptions>;

export const ScheduleSpec = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("cron"),
    /** normalized 5-field cron: minute hour day-of-month month day-of-week */
    expression: z.string(),
    /** IANA zone; "UTC" when none was given */
    timezone: z.string(),
    source: SourceLocation,
  }),
  z.object({ kind: z.literal("period"), seconds: z.number().int().positive(), source: SourceLocation }),
]);
export type ScheduleSpec = z.infer<typeof ScheduleSpec>;

export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export const WebSpec = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("endpoint"),
    method: z.enum(HTTP_METHODS),
    public: z.boolean(),
    docs: z.boolean(),
    /**
     * JSON Schema of the zod body schema (draft 2020-12), null when no body schema was given; for a
     * GET endpoint whose arguments are query parameters (`queryParams`) without one, derived from
     * the parameters' types
     */
    bodySchema: z.record(z.string(), z.unknown()).nullable(),
    /**
     * GET only: the function takes the query's keys as separate arguments, in this order (as
     * FastAPI maps query parameters); absent: the query object is its one argument
     */
    queryParams: z.array(z.string()).optional(),
    /** JSON Schema (output side) of what the endpoint returns: the `response` zod schema, or derived from the return type; absent when unknown */
    responseSchema: z.record(z.string(), z.unknown()).optional(),
    source: SourceLocation,
  }),
  z.object({
    kind: z.literal("app"),
    /** gantry checks no token (true also with `auth: "app"`) */
    public: z.boolean(),
    /** "app": the app checks its own callers; gantry passes every request and its Authorization header through */
    auth: z.literal("app").optional(),
    source: SourceLocation,
  }),
  z.object({
    kind: z.literal("server"),
    port: z.number().int().min(1).max(65535),
    /** seconds */
    startupTimeout: z.number().positive(),
    public: z.boolean(),
    auth: z.literal("app").optional(),
    source: SourceLocation,
  }),
]);
export type WebSpec = z.infer<typeof WebSpec>;

export const ConcurrencySpec = z.object({
  maxInputs: z.number().int().min(1),
  targetInputs: z.number().int().min(1),
});
export type ConcurrencySpec = z.infer<typeof ConcurrencySpec>;

export const BatchingSpec = z.object({
  maxBatchSize: z.number().int().min(1).max(1000),
  waitMs: z.number().int().min(0).max(10 * 60 * 1000),
});
export type BatchingSpec = z.infer<typeof BatchingSpec>;

/**
 * A variant found in code: `Cls.of(X).withOptions({ gpu: "H100" })` (also withConcurrency /
 * withBatching), or `fn.withOptions({ gpu: "T4" })` / `fn.withConcurrency(...)` on a function, with
 * static arguments. Each is deployed as its own pool. `id` is stable and
 * derived from the overrides, e.g. `LlamaInference~gpu=H100`.
 */
export const VariantSpec = z.object({
  id: z.string(),
  /** the full options of this variant (base options with the overrides applied) */
  options: DeclarationOptions,
  concurrency: ConcurrencySpec.nullable(),
  /** method name -> batching override */
  batching: z.record(z.string(), BatchingSpec),
  /** only the keys the variant changes, as written (for review output) */
  overrides: z.record(z.string(), z.unknown()),
  source: SourceLocation,
});
export type VariantSpec = z.infer<typeof VariantSpec>;

export const FunctionSpec = z.object({
  kind: z.literal("function"),
  /** the exported binding's name */
  name: z.string(),
  source: SourceLocation,
  options: DeclarationOptions,
  schedule: ScheduleSpec.nullable(),
  web: WebSpec.nullable(),
  /** parameter names and their TypeScript types, as written */
  params: z.array(z.object({ name: z.string(), type: z.string() })),
  returns: z.string(),
  /** `concurrency: { maxInputs, targetInputs }` of app.function; absent without it */
  concurrency: ConcurrencySpec.optional(),
  /** `fn.withOptions(...)` / `fn.withConcurrency(...)` variants found in code, sorted by id; absent without any */
  variants: z.array(VariantSpec).optional(),
  /** option names written in `app.function(options, ...)`, sorted; absent in specs from before it was recorded */
  written: z.array(z.string()).optional(),
});
export type FunctionSpec = z.infer<typeof FunctionSpec>;

export const ParameterSpec = z.object({
  name: z.string(),
  type: z.enum(["string", "number", "boolean", "bigint"]),
  required: z.boolean(),
  /** present when `required` is false */
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  source: SourceLocation,
});
export type ParameterSpec = z.infer<typeof ParameterSpec>;

export const MethodSpec = z.object({
  name: z.string(),
  source: SourceLocation,
  batched: BatchingSpec.nullable(),
  web: WebSpec.nullable(),
  params: z.array(z.object({ name: z.string(), type: z.string() })),
  returns: z.string(),
});
export type MethodSpec = z.infer<typeof MethodSpec>;

export const HookSpec = z.object({ name: z.string(), snap: z.boolean(), source: SourceLocation });
export type HookSpec = z.infer<typeof HookSpec>;


export const ClassSpec = z.object({
  kind: z.literal("class"),
  name: z.string(),
  source: SourceLocation,
  options: DeclarationOptions,
  parameters: z.array(ParameterSpec),
  methods: z.array(MethodSpec),
  /** in run order: `snap` hooks first, then the rest, each group in declaration order */
  enter: z.array(HookSpec),
  exit: z.array(HookSpec),
  concurrency: ConcurrencySpec.nullable(),
  variants: z.array(VariantSpec),
  /** option names written in `@app.cls(options)`, sorted; absent in specs from before it was recorded */
  written: z.array(z.string()).optional(),
});
export type ClassSpec = z.infer<typeof ClassSpec>;

export const ImageBase = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("debianSlim"), node: z.string(), python: z.string().nullable() }),
  // addPython (and a Dockerfile's addNode) only when given, so existing image ids stay as they were
  z.object({ kind: z.literal("registry"), ref: z.string(), addNode: z.string().nullable(), addPython: z.string().optional() }),
  z.object({ kind: z.literal("dockerfile"), path: z.string(), context: z.string(), addNode: z.string().optional(), addPython: z.string().optional() }),
]);
export type ImageBase = z.infer<typeof ImageBase>;

export const ImageLayer = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("apt"), packages: z.array(z.string()), source: SourceLocation }),
  z.object({ kind: z.literal("pip"), packages: z.array(z.string()), extraOptions: z.string().nullable(), source: SourceLocation }),
  z.object({ kind: z.literal("npm"), packages: z.array(z.string()), source: SourceLocation }),
  z.object({ kind: z.literal("run"), commands: z.array(z.string()), source: SourceLocation }),
  z.object({ kind: z.literal("env"), vars: z.record(z.string(), z.string()), source: SourceLocation }),
  z.object({ kind: z.literal("workdir"), path: z.string(), source: SourceLocation }),
  z.object({ kind: z.literal("addLocalFile"), local: z.string(), remote: z.string(), source: SourceLocation }),
  z.object({ kind: z.literal("addLocalDir"), local: z.string(), remote: z.string(), source: SourceLocation }),
]);
export type ImageLayer = z.infer<typeof ImageLayer>;

export const ImageSpec = z.object({
  /** content hash of base + layers (without source locations), e.g. `img-3f2a9c1d0b7e` */
  id: z.string(),
  base: ImageBase,
  layers: z.array(ImageLayer),
  /** where the image was built up; null for the default image */
  source: SourceLocation.nullable(),
});
export type ImageSpec = z.infer<typeof ImageSpec>;

export const VolumeSpec = z.object({ name: z.string(), createIfMissing: z.boolean(), source: SourceLocation });
export type VolumeSpec = z.infer<typeof VolumeSpec>;

/**
 * A secret. Values never appear here: `fromDict` records its key names and a hash of the values
 * (so a changed value still changes the spec hash), `fromDotenv` its path and key names.
 */
export const SecretSpec = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("named"), id: z.string(), name: z.string(), requiredKeys: z.array(z.string()), source: SourceLocation }),
  z.object({ kind: z.literal("dict"), id: z.string(), keys: z.array(z.string()), valueHash: z.string(), source: SourceLocation }),
  z.object({ kind: z.literal("dotenv"), id: z.string(), path: z.string(), keys: z.array(z.string()), source: SourceLocation }),
]);
export type SecretSpec = z.infer<typeof SecretSpec>;

export const StateSpec = z.object({
  name: z.string(),
  createIfMissing: z.boolean(),
  source: SourceLocation,
  /**
   * The declarations (function and class names) whose code uses it, found statically
   * (synth/analyze/state-use.ts); absent when some use could not be tied to declarations: then
   * every declaration may use it.
   */
  usedBy: z.array(z.string()).optional(),
});
export type StateSpec = z.infer<typeof StateSpec>;

export const EntrypointSpec = z.object({ name: z.string(), source: SourceLocation });

export const AppSpec = z.object({
  specVersion: z.literal(SPEC_VERSION),
  app: z.object({ name: z.string(), source: SourceLocation }),
  /** the app file, relative to the project root */
  entry: z.string(),
  functions: z.array(FunctionSpec),
  classes: z.array(ClassSpec),
  entrypoints: z.array(EntrypointSpec),
  images: z.array(ImageSpec),
  volumes: z.array(VolumeSpec),
  secrets: z.array(SecretSpec),
  dicts: z.array(StateSpec),
  queues: z.array(StateSpec),
});
export type AppSpec = z.infer<typeof AppSpec>;

/** Defaults applied when an option is not given (Modal's, where Modal has one). */
export const DEFAULTS = {
  timeout: 300,
  retries: { maxRetries: 0, backoffCoefficient: 2, initialDelay: 1, maxDelay: 60 },
  minContainers: 0,
  maxContainers: null,
  bufferContainers: 0,
  scaledownWindow: 60,
  nodeVersion: "24",
} as const;

/** A declaration's options when it gives none, on image `image` (ids of `AppSpec.images`). */
export function defaultOptions(image: string): DeclarationOptions {
  return {
    image,
    gpu: null,
    cpu: null,
    memory: null,
    timeout: DEFAULTS.timeout,
    retries: { ...DEFAULTS.retries },
    secrets: [],
    volumes: [],
    minContainers: DEFAULTS.minContainers,
    maxContainers: DEFAULTS.maxContainers,
    bufferContainers: DEFAULTS.bufferContainers,
    scaledownWindow: DEFAULTS.scaledownWindow,
    enableMemorySnapshot: false,
    spot: false,
    env: {},
  };
}

/** GPU memory per device, in GB. `A100` means the 40 GB part. */
export const GPU_MEMORY_GB: Record<GpuType, number> = {
  T4: 16, L4: 24, A10G: 24, L40S: 48, A100: 40, "A100-40GB": 40, "A100-80GB": 80, H100: 80, H200: 141,
};
