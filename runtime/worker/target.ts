/**
 * What a container runs: one function, or one class instance (one parameter set of one variant).
 * Configuration (concurrency, batching) comes from the app spec through the caller; the code comes
 * from the sdk registry, filled when the app module is imported.
 */
import { pathToFileURL } from "node:url";
import { registeredApps } from "../../sdk/registry.ts";
import { constructWithParameters } from "../../sdk/decorators.ts";
import { describeClass, type ClassMeta } from "../../sdk/registry.ts";
import type { App } from "../../sdk/app.ts";
import type { BatchingSpec } from "../../synth/spec.ts";
import { slotsFor } from "../../synth/units.ts";
import type { SerializedRequest, SerializedResponse } from "../web/backend.ts";
import type { WorkInput } from "./transport.ts";

/** What an invocation is addressed to: the input's method and the parameter set of its instance. */
export type Invocation = Pick<WorkInput, "method" | "params">;

export interface TargetSpec {
  /** absolute path of the app module */
  appFile: string;
  appName: string;
  kind: "function" | "class";
  name: string;
  /** class parameters (defaults already filled) */
  params: Record<string, unknown>;
  /** inputs in flight at once (`@concurrent` maxInputs; 1 without it) */
  maxInputs: number;
  /** method name -> batching, for `@batched` methods */
  batching: Record<string, BatchingSpec>;
}

export interface WorkerTarget {
  /** concurrency slots: maxInputs, raised to the largest batch so a batch can fill */
  readonly slots: number;
  /** `square`, `Model.generate`: how errors and logs name what ran */
  label(method: string | null): string;
  batching(method: string | null): BatchingSpec | null;
  /** `@enter` hooks, snap hooks first */
  setup(): Promise<void>;
  /** runs the input's method (on the instance of its parameter set) with `args` */
  invoke(call: Invocation, args: unknown[]): Promise<unknown>;
  /** one forwarded HTTP request, for targets that serve a webApp/webServer (see web-target.ts) */
  forward?(request: SerializedRequest): Promise<SerializedResponse>;
  /** `@exit` hooks; each one's error is reported and the others still run */
  teardown(onError: (hook: string, error: unknown) => void): Promise<void>;
}

/** Imports the app module and names its exports, so the registry knows every declaration. */
export async function importApp(appFile: string, appName: string): Promise<App> {
  const ns = (await import(pathToFileURL(appFile).href)) as Record<string, unknown>;
  const app = registeredApps().find((a) => a.name === appName);
  if (!app) {
    const found = registeredApps().map((a) => `"${a.name}"`).join(", ") || "none";
    throw new Error(`${appFile} declares no app named "${appName}" (apps found: ${found})`);
  }
  app.bindExports(ns);
  return app;
}

export async function loadTarget(spec: TargetSpec): Promise<WorkerTarget> {
  const app = await importApp(spec.appFile, spec.appName);
  // the unit model's rule (synth/units.ts), from what the container was told
  const slots = slotsFor(spec.maxInputs, spec.batching);
  if (spec.kind === "function") {
    const declaration = app.findFunction(spec.name);
    if (!declaration) throw new Error(`app "${spec.appName}" has no exported function "${spec.name}"`);
    const fn = declaration.fn;
    return {
      slots,
      label: () => spec.name,
      batching: () => null,
      setup: async () => {},
      invoke: async (_call, args) => fn(...args),
      teardown: async () => {},
    };
  }
  const declaration = app.findClass(spec.name);
  if (!declaration) throw new Error(`app "${spec.appName}" has no class "${spec.name}" declared with @app.cls`);
  return classTarget(spec, declaration.ctor as new () => object, slots);
}

function classTarget(spec: TargetSpec, ctor: new () => object, slots: number): WorkerTarget {
  const meta: ClassMeta = describeClass(ctor);
  let instance: Record<string, (...args: unknown[]) => unknown> | undefined;
  const methodNames = new Set(meta.methods.map((m) => m.name));
  return {
    slots,
    label: (method) => `${spec.name}.${method ?? "?"}`,
    batching: (method) => (method !== null ? spec.batching[method] ?? null : null),
    async setup() {
      instance = constructWithParameters(ctor, spec.name, spec.params) as typeof instance;
      for (const hook of meta.enter) await instance![hook.name]();
    },
    // the instance of `spec.params`: whoever feeds this target routes other parameter sets elsewhere
    async invoke({ method }, args) {
      if (method === null || !methodNames.has(method) || typeof instance?.[method] !== "function") {
        throw new TypeError(`${spec.name} has no method "${method}" (methods: ${[...methodNames].join(", ") || "none"})`);
      }
      return instance[method](...args);
    },
    async teardown(onError) {
      if (!instance) return;
      for (const hook of meta.exit) {
        try {
          await instance[hook.name]();
        } catch (err) {
          onError(hook.name, err);
        }
      }
    },
  };
}
