/**
 * Property-level differences between two input bags. JSON documents held in strings (ECS container
 * definitions, IAM policies) are compared inside, so a review reads `containerDefinitions[0].image`
 * rather than two walls of JSON. Secret values never leave here: they print as `[secret]`.
 */
import type { PropertyChange } from "./model.ts";
import { formatPath, type PathSegment } from "./paths.ts";

/** Bookkeeping the Terraform bridge keeps in inputs (`__defaults`: which values it defaulted): never a change. */
const BRIDGE_KEYS = new Set(["__defaults", "__meta"]);

/** Pulumi's markers in engine JSON: a secret-wrapped value, and an unknown (computed) value. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Engine values -> plan conventions: secrets `"[secret]"`, unknowns `"[unknown]"`. */
export function normalizeValue(value: unknown): unknown {
  if (value === UNKNOWN_VALUE) return "[unknown]";
  if (Array.isArray(value)) return value.map(normalizeValue);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[SECRET_SIG] === SECRET_VALUE) return "[secret]";
    return Object.fromEntries(Object.entries(record).filter(([k]) => !BRIDGE_KEYS.has(k)).map(([k, v]) => [k, normalizeValue(v)]));
  }
  return value;
}

/** Leaf differences, each with its path in Pulumi's form (`tags["gantry:app"]`, `overrides[0].instanceType`). */
export function diffInputs(before: Record<string, unknown>, after: Record<string, unknown>): PropertyChange[] {
  const out: PropertyChange[] = [];
  diffValue(before, after, [], out);
  return out;
}

function diffValue(a: unknown, b: unknown, segments: PathSegment[], out: PropertyChange[]): void {
  const path = formatPath(segments);
  if (a === undefined && b === undefined) return;
  if (a === undefined) return void out.push({ path, kind: "add", after: b });
  if (b === undefined) return void out.push({ path, kind: "delete", before: a });
  const ja = asJsonDocument(a);
  const jb = asJsonDocument(b);
  if (ja !== undefined && jb !== undefined) return diffValue(ja, jb, segments, out);
  if (isRecord(a) && isRecord(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (!BRIDGE_KEYS.has(key)) diffValue(a[key], b[key], [...segments, key], out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) diffValue(a[i], b[i], [...segments, i], out);
    return;
  }
  if (!sameValue(a, b)) out.push({ path, kind: "update", before: a, after: b });
}

/** A string holding a JSON object or array, parsed; otherwise undefined. */
export function asJsonDocument(value: unknown): unknown {
  if (typeof value !== "string") return undefined;
  const t = value.trim();
  if (!(t.startsWith("{") && t.endsWith("}")) && !(t.startsWith("[") && t.endsWith("]"))) return undefined;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A value as a reviewer reads it: JSON, secrets masked, long values cut. */
export function showValue(value: unknown, max = 60): string {
  const text = value === "[secret]" || value === "[unknown]" ? String(value) : JSON.stringify(value) ?? "undefined";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
