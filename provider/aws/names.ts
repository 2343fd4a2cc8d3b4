/**
 * Stable names. Every logical (Pulumi) name is derived from a declaration's name in code, never
 * from its position, so adding or reordering declarations replaces nothing. Names are lowercase
 * kebab-case because several AWS services (S3, ECR) refuse upper case, and short enough that
 * Pulumi's 8-character auto-name suffix still fits the tightest limit we use (IAM roles, 64).
 */
import { createHash } from "node:crypto";

const MAX_SLUG = 40;

export function shortHash(text: string, length = 8): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** `LlamaInference[gpu=H100]` -> `llama-inference-gpu-h100` (hashed when long). */
export function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

export function slug(name: string): string {
  const base = kebab(name) || "x";
  if (base.length <= MAX_SLUG) return base;
  return `${base.slice(0, MAX_SLUG - 9).replace(/-+$/, "")}-${shortHash(name)}`;
}

/**
 * Slugs for a set of names, made unique: two names that only differ in case or punctuation
 * (`Embed`, `embed`) both get a hash suffix, so neither depends on the order they were found in.
 */
export function uniqueSlugs(names: readonly string[]): Map<string, string> {
  const byslug = new Map<string, string[]>();
  for (const name of names) {
    const s = slug(name);
    byslug.set(s, [...(byslug.get(s) ?? []), name]);
  }
  const out = new Map<string, string>();
  for (const [s, group] of byslug) {
    for (const name of group) out.set(name, group.length === 1 ? s : `${s.slice(0, MAX_SLUG - 9)}-${shortHash(name)}`);
  }
  return out;
}

/**
 * A unit's ECS task definition family, per app and stack (families are account-wide). Tools outside
 * the stack (gantry redrive / stop / start, `Function.fromName(app, fn, { stack })`) find a deployed
 * unit's wiring from it: the latest revision's environment is the unit's container contract.
 */
export function taskFamilyName(app: string, stack: string, unitSlug: string): string {
  return `${kebab(app)}-${kebab(stack)}-${unitSlug}`;
}

/** AWS tag values allow letters, digits, spaces and `_ . : / = + - @` across services. */
export function tagValue(value: string): string {
  return value.replace(/[^\p{L}\p{N} _.:/=+\-@]/gu, "_").slice(0, 256);
}
