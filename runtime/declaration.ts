/**
 * What a call target means in the app spec: the function or class variant it addresses, with the
 * options, concurrency and batching that unit was deployed with (synth/units.ts, the one unit model
 * every layer reads). Shared by every runtime (the local one resolves it per pool; a cloud worker
 * resolves the one it serves), so "what was deployed" is decided in one place: from the static
 * spec, never from the code.
 */
import type { CallTarget } from "../sdk/invoker.ts";
import type { AppSpec } from "../synth/spec.ts";
import { unitFor, type Unit } from "../synth/units.ts";

export { checkMethod } from "../synth/units.ts";

export interface ResolvedDeclaration extends Unit {
  /** `square`, `Model`, `Model~gpu=H100`: how errors name the unit (its id) */
  label: string;
}

/** Finds the target's unit; a variant that was not deployed is an error listing the deployed ones. */
export function resolveDeclaration(spec: AppSpec, target: CallTarget): ResolvedDeclaration {
  const unit = unitFor(spec, target);
  return { ...unit, label: unit.id };
}

/** Checks `.instance({...})` against the class's parameters (names, required, types) and fills defaults. */
export function checkParameters(d: Pick<Unit, "name" | "parameters">, params: Record<string, unknown>): Record<string, unknown> {
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
