/**
 * Canonical JSON (object keys sorted at every level, no whitespace) and the hashes built on it:
 * the spec hash (`sha256:<hex>`) that plans and promotions pin, and short content ids.
 */
import { createHash } from "node:crypto";
import type { AppSpec } from "./spec.ts";

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** A copy with object keys sorted at every level (undefined members dropped). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort()
        .map((k) => [k, sortKeys(record[k])]),
    );
  }
  return value;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** `sha256:<hex>` of the spec's canonical JSON: equal specs, equal hashes, whatever the key order. */
export function specHash(spec: AppSpec): string {
  return `sha256:${sha256Hex(canonicalJson(spec))}`;
}

/** A short content id, e.g. `img-3f2a9c1d0b7e`. */
export function contentId(prefix: string, value: unknown): string {
  return `${prefix}-${sha256Hex(canonicalJson(value)).slice(0, 12)}`;
}
