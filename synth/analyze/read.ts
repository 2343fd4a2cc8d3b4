/**
 * Reading typed values out of static values, reporting what is missing or wrong at the value's
 * own location. Every reader returns undefined after reporting, so callers just skip the field.
 */
import type { Node } from "ts-morph";
import type { DiagnosticCode } from "../diagnostics.ts";
import type { Context } from "./context.ts";
import { didYouMean } from "./suggest.ts";
import { describeValue, type Prop, type SValue } from "./values.ts";

export function readString(ctx: Context, v: SValue, what: string): string | undefined {
  if (v.kind === "unknown") return void ctx.reportUnknown(v, what);
  if (v.kind === "primitive" && typeof v.value === "string") return v.value;
  ctx.report("GANTRY1201", v.node, `${what} must be a string, got ${describeValue(v)}`);
  return undefined;
}

export function readNumber(ctx: Context, v: SValue, what: string): number | undefined {
  if (v.kind === "unknown") return void ctx.reportUnknown(v, what);
  if (v.kind === "primitive" && typeof v.value === "number" && Number.isFinite(v.value)) return v.value;
  ctx.report("GANTRY1201", v.node, `${what} must be a number, got ${describeValue(v)}`);
  return undefined;
}

export function readBoolean(ctx: Context, v: SValue, what: string): boolean | undefined {
  if (v.kind === "unknown") return void ctx.reportUnknown(v, what);
  if (v.kind === "primitive" && typeof v.value === "boolean") return v.value;
  ctx.report("GANTRY1201", v.node, `${what} must be true or false, got ${describeValue(v)}`);
  return undefined;
}

/** An integer in [min, max]; `code` is reported when out of range. */
export function readInt(ctx: Context, v: SValue, what: string, min: number, max: number, code: DiagnosticCode = "GANTRY1304"): number | undefined {
  const n = readNumber(ctx, v, what);
  if (n === undefined) return undefined;
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Infinity ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`;
    ctx.report(code, v.node, `${what} must be ${range}, got ${n}`);
    return undefined;
  }
  return n;
}

/** A list of strings; single strings and nested arrays (from spreads of consts) are flattened. */
export function readStrings(ctx: Context, values: SValue[], what: string): { value: string; node: Node }[] {
  const out: { value: string; node: Node }[] = [];
  for (const v of values) {
    if (v.kind === "array") {
      out.push(...readStrings(ctx, v.items, what));
      continue;
    }
    const s = readString(ctx, v, what);
    if (s !== undefined) out.push({ value: s, node: v.node });
  }
  return out;
}

/**
 * An object literal's properties. Unknown keys are reported (with a suggestion); `renamed` maps old
 * names to a message naming the replacement.
 */
export function readObject(
  ctx: Context,
  v: SValue,
  what: string,
  known: readonly string[],
  renamed: Record<string, string> = {},
): Map<string, Prop> | undefined {
  if (v.kind === "unknown") return void ctx.reportUnknown(v, what);
  if (v.kind !== "object") {
    ctx.report("GANTRY1201", v.node, `${what} must be an object literal, got ${describeValue(v)}`);
    return undefined;
  }
  const props = new Map<string, Prop>();
  for (const [key, prop] of v.props) {
    if (key in renamed) {
      ctx.report("GANTRY1301", prop.key, `"${key}" is Modal's old name: ${renamed[key]}`);
    } else if (!known.includes(key)) {
      ctx.report("GANTRY1300", prop.key, `unknown ${what} "${key}"${didYouMean(key, known)}; known: ${known.join(", ")}`);
    } else if (!(prop.value.kind === "primitive" && prop.value.value === undefined)) {
      props.set(key, prop);
    }
  }
  return props;
}

/** The plain JavaScript value of literals, object and array literals (for values kept "as written"). */
export function toPlain(ctx: Context, v: SValue, what: string): { ok: true; value: unknown } | { ok: false } {
  switch (v.kind) {
    case "primitive":
      return { ok: true, value: typeof v.value === "bigint" ? v.value.toString() : v.value };
    case "array": {
      const items: unknown[] = [];
      for (const item of v.items) {
        const r = toPlain(ctx, item, what);
        if (!r.ok) return r;
        items.push(r.value);
      }
      return { ok: true, value: items };
    }
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, prop] of v.props) {
        const r = toPlain(ctx, prop.value, `${what}.${key}`);
        if (!r.ok) return r;
        if (r.value !== undefined) out[key] = r.value;
      }
      return { ok: true, value: out };
    }
    case "unknown":
      ctx.reportUnknown(v, what);
      return { ok: false };
    default:
      ctx.report("GANTRY1201", v.node, `${what} must be a literal value, got ${describeValue(v)}`);
      return { ok: false };
  }
}
