/**
 * The autoscaling pools of an app: each function, each class, and each class variant is deployed as
 * its own pool with its own options. Policies and the cost model iterate over these, so a variant
 * (`Cls.of(X).withOptions({ gpu: "H100" })`) is checked and priced like any declaration. A pool is
 * the policy view of a unit of synth/units.ts (the one unit model), in the spec's order.
 */
import type { AppSpec, DeclarationOptions, SourceLocation, WebSpec, ScheduleSpec } from "../synth/spec.ts";
import { unitsInSpecOrder } from "../synth/units.ts";

export interface Pool {
  /** the function or class name, or the variant id (`TextModel~gpu=H100`) */
  id: string;
  kind: "function" | "class" | "variant";
  /** the function or class the pool belongs to */
  declaration: string;
  options: DeclarationOptions;
  source: SourceLocation;
  schedule: ScheduleSpec | null;
}

export function poolsOf(spec: AppSpec): Pool[] {
  return unitsInSpecOrder(spec).map((u) => ({
    id: u.id,
    kind: u.variantOf ? "variant" : u.kind,
    declaration: u.variantOf ?? u.name,
    options: u.options,
    source: u.source,
    schedule: u.schedule,
  }));
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
