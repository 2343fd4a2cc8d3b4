/** Options accepted by `app.function(options, fn)` and `@app.cls(options)` (API.md §1). */
import type { Image } from "./image.ts";
import type { Volume } from "./volume.ts";
import type { Secret } from "./secret.ts";
import type { Retries } from "./retries.ts";
import type { Schedule } from "./schedule.ts";

export type GpuType = "T4" | "L4" | "A10G" | "L40S" | "A100" | "A100-40GB" | "A100-80GB" | "H100" | "H200";
/** `"A10G"` or `"H100:2"` */
export type GpuString = GpuType | `${GpuType}:${number}`;
export interface GpuObject { type: GpuType; memory?: number; count?: number }
/** One shape, or an ordered fallback list (the first that has capacity wins). */
export type GpuOption = GpuString | GpuObject | Array<GpuString | GpuObject>;

export interface CommonOptions {
  image?: Image;
  gpu?: GpuOption;
  /** cores */
  cpu?: number;
  /** MiB */
  memory?: number;
  /** seconds per attempt (default 300, max 86400) */
  timeout?: number;
  retries?: number | Retries;
  secrets?: Secret[];
  /** `{ "/mount/path": volume }` */
  volumes?: Record<string, Volume>;
  minContainers?: number;
  /** bounds spend: at most this many containers at once */
  maxContainers?: number;
  bufferContainers?: number;
  /** seconds a container may stay idle before it exits */
  scaledownWindow?: number;
  enableMemorySnapshot?: boolean;
  spot?: boolean;
  env?: Record<string, string>;

  /** @deprecated Modal's old name: use `maxContainers`. */
  concurrencyLimit?: RenamedOption<"concurrencyLimit was renamed: use maxContainers">;
  /** @deprecated Modal's old name: use `scaledownWindow`. */
  containerIdleTimeout?: RenamedOption<"containerIdleTimeout was renamed: use scaledownWindow">;
  /** @deprecated Modal's old name: use `minContainers`. */
  keepWarm?: RenamedOption<"keepWarm was renamed: use minContainers">;
  /** @deprecated Modal's old name: use `concurrency: { maxInputs }` on app.function, `@concurrent({ maxInputs })` on a class. */
  allowConcurrentInputs?: RenamedOption<"allowConcurrentInputs was renamed: use concurrency: { maxInputs } (app.function) or @concurrent({ maxInputs }) (class)">;
}

declare const renamed: unique symbol;
/**
 * The type of an old Modal option name: no value is assignable to it, and tsc's message names the
 * replacement (`Type 'number' is not assignable to type 'RenamedOption<"keepWarm was renamed: use
 * minContainers">'`), where `never` read as "not assignable to type 'undefined'".
 */
export interface RenamedOption<Message extends string> {
  readonly [renamed]: Message;
}

export interface FunctionOptions extends CommonOptions {
  /** `Cron("0 2 * * *")` or `Period({ hours: 6 })`: functions only */
  schedule?: Schedule;
  /** inputs one container takes at once (Modal's `@concurrent` on a function); classes use the `@concurrent` decorator */
  concurrency?: ConcurrentOptions;
}

/** What `fn.withOptions(...)` / `Cls.withOptions(...)` may change per pool; images, secrets and volumes cannot. */
export type VariantOptions = Omit<CommonOptions, "image" | "secrets" | "volumes" | "retries"> & { retries?: number };
export type FunctionVariantOptions = VariantOptions;

/** The option names a variant may set (checked at runtime too, for untyped callers). */
export const VARIANT_OPTION_KEYS: ReadonlySet<string> = new Set(["gpu", "cpu", "memory", "timeout", "retries", "minContainers",
  "maxContainers", "bufferContainers", "scaledownWindow", "enableMemorySnapshot", "spot", "env"]);

export function assertVariantOptions(options: object): void {
  for (const key of Object.keys(options)) {
    if (!VARIANT_OPTION_KEYS.has(key)) {
      throw new TypeError(`withOptions: "${key}" cannot differ per variant (allowed: ${[...VARIANT_OPTION_KEYS].join(", ")})`);
    }
  }
}

export type ClsOptions = CommonOptions;

export interface ConcurrentOptions { maxInputs: number; targetInputs?: number }
export interface BatchedOptions { maxBatchSize: number; waitMs: number }

export interface AutoscalerSettings {
  minContainers?: number;
  maxContainers?: number;
  bufferContainers?: number;
  scaledownWindow?: number;
}

/** Modal's old option names and what replaced them. */
export const RENAMED_OPTIONS: Record<string, string> = {
  concurrencyLimit: "maxContainers",
  containerIdleTimeout: "scaledownWindow",
  keepWarm: "minContainers",
  allowConcurrentInputs: "the concurrency: { maxInputs } option of app.function, or @concurrent({ maxInputs }) on an @app.cls class",
};

/** Refuses old Modal names at registration too (the static analysis reports them with a location). */
export function assertNoRenamedOptions(options: object, where: string): void {
  for (const [old, replacement] of Object.entries(RENAMED_OPTIONS)) {
    if (old in options) throw new TypeError(`${where}: option "${old}" was renamed: use ${replacement}`);
  }
}
