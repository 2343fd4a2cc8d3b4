/**
 * The stable id of a class variant, shared by the static analysis (which finds variants in code)
 * and the runtime (which asks for one): `LlamaInference[gpu=H100,maxInputs=4]`.
 *
 * `withOptions(o)`, `withConcurrency(c)` and `withBatching(b)` overrides are flattened into one set
 * of keys (their names do not collide), sorted; strings print bare, everything else as JSON.
 */
import { sortKeys } from "../synth/hash.ts";

export type VariantOverrides = Record<string, unknown>;

export function variantId(className: string, overrides: VariantOverrides): string {
  const keys = Object.keys(overrides).filter((k) => overrides[k] !== undefined).sort();
  if (keys.length === 0) return className;
  const parts = keys.map((k) => `${k}=${renderValue(overrides[k])}`);
  return `${className}[${parts.join(",")}]`;
}

function renderValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(sortKeys(value));
}
