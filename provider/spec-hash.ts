/**
 * Canonical key order for plan output. (The spec hash itself is synth's `specHash`: sha256 over
 * the canonical JSON of the spec as code declares it, before stack overrides.)
 */
export { specHash } from "../synth/index.ts";

/** A copy with object keys sorted at every level (undefined members dropped). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(obj).sort().filter((k) => obj[k] !== undefined).map((k) => [k, sortKeys(obj[k])]));
  }
  return value;
}
