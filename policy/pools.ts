/**
 * The autoscaling pools of an app: each function, each class, and each class variant is deployed as
 * its own pool with its own options. Policies and the cost model iterate over these, so a variant
 * (`Cls.of(X).withOptions({ gpu: "H100" })`) is checked and priced like any declaration.
 */
import type { AppSpec, DeclarationOptions, SourceLocation, WebSpec, ScheduleSpec } from "../synth/spec.ts";

export interface Pool {
  /** the function or class name, or the variant id (`TextModel~gpu=H100`) */
  id: string;
  kind: "function" | "class" | "variant";
  /** the function or class the pool belongs to */
  declaration: string;
  options: DeclarationOptions;
  source: SourceLocation;
  schedule: ScheduleSpec | null;
  /** inputs one container serves at once (`@concurrent` targetInputs), 1 without */
  inputsPerContainer: number;
}

export function poolsOf(spec: AppSpec): Pool[] {
  const pools: Pool[] = [];
  for (const f of spec.functions) {
    pools.push({ id: f.name, kind: "function", declaration: f.name, options: f.options, source: f.source, schedule: f.schedule, inputsPerContainer: 1 });
  }
  for (const c of spec.classes) {
    const per = c.concurrency ? c.concurrency.targetInputs : 1;
    pools.push({ id: c.name, kind: "class", declaration: c.name, options: c.options, source: c.source, schedule: null, inputsPerContainer: per });
    for (const v of c.variants) {
      const vper = v.concurrency ? v.concurrency.targetInputs : per;
      pools.push({ id: v.id, kind: "variant", declaration: c.name, options: v.options, source: v.source, schedule: null, inputsPerContainer: vper });
    }
  }
  return pools;
}

/** Web entry points of the app with the declaration that serves them. */
export interface WebEntry {
  declaration: string;
  /** `Class.method` for class endpoints */
  label: string;
  web: WebSpec;
}

export function webEntriesOf(spec: AppSpec): WebEntry[] {
  const out: WebEntry[] = [];
  for (const f of spec.functions) if (f.web) out.push({ declaration: f.name, label: f.name, web: f.web });
  for (const c of spec.classes) {
    for (const m of c.methods) if (m.web) out.push({ declaration: c.name, label: `${c.name}.${m.name}`, web: m.web });
  }
  return out;
}

export function isGpuPool(pool: Pool): boolean {
  return pool.options.gpu !== null;
}
