/**
 * Body schemas: a zod builder chain (`z.object({ texts: z.array(z.string()).min(1) })`) is replayed
 * with the real zod on static arguments, then converted with `z.toJSONSchema`. Only zod's own
 * functions are called; functions written in user code (refine, transform) are replaced by
 * placeholders that never run user code, and member access is limited to zod's public surface.
 *
 * Every front door validates a body from this JSON Schema (runtime/web/schema.ts), so what it
 * cannot carry must not be silently dropped: a schema built by a call that was given user code
 * (`.refine(fn)`, `.transform(fn)`, `z.preprocess(fn, …)`, `z.custom(fn)`…) is remembered with
 * where that code is, and `userCodeIn` finds every such part of a finished schema.
 */
import type { Node } from "ts-morph";
import { z } from "zod";
import type { SValue } from "./values.ts";

/** A part of a replayed schema that runs user code, which JSON Schema cannot carry. */
export interface UserCodeUse {
  /** the zod function it was given to, as written: ".refine", ".transform", "z.preprocess" */
  feature: string;
  /** the user's function (the argument) */
  node: Node;
}

/** zod functions read by the replay -> the name they were read under */
const memberNames = new WeakMap<Function, string>();
/** schemas a call made from user code -> where that code is */
const userCode = new WeakMap<object, UserCodeUse[]>();

/** Names never read or called: parsing, global configuration, and the ways out of zod's surface. */
const BLOCKED = new Set([
  "constructor", "prototype", "__proto__", "call", "apply", "bind", "then", "toString", "valueOf",
  "parse", "parseAsync", "safeParse", "safeParseAsync", "spa", "decode", "decodeAsync", "encode", "encodeAsync",
  "safeDecode", "safeDecodeAsync", "safeEncode", "safeEncodeAsync", "config", "setErrorMap", "getErrorMap",
]);

export type ZodResult = { ok: true; value: unknown; self?: unknown } | { ok: false; reason: string };

/** What `import { imported } from "zod"` is. */
export function zodImport(imported: string): ZodResult {
  if (imported === "*" || imported === "default" || imported === "z") return { ok: true, value: z };
  return zodMember(z, imported);
}

function isAllowedName(name: string): boolean {
  return !BLOCKED.has(name) && !/^[_$~]/.test(name);
}

function isPlainContainer(value: unknown): value is Record<string, unknown> {
  if (Array.isArray(value)) return true;
  if (!value || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `receiver.name` where receiver came from zod. */
export function zodMember(receiver: unknown, name: string): ZodResult {
  if (!isAllowedName(name)) return { ok: false, reason: `zod's "${name}" is not read by the analysis` };
  if (receiver instanceof z.ZodType) {
    const value = (receiver as unknown as Record<string, unknown>)[name];
    if (typeof value === "function") {
      memberNames.set(value, name);
      return { ok: true, value, self: receiver };
    }
    if (value instanceof z.ZodType || isPlainContainer(value)) return { ok: true, value };
    return { ok: false, reason: `"${name}" is not a method or schema of a zod schema` };
  }
  if (receiver === z || isPlainContainer(receiver) || isNamespace(receiver)) {
    if (!Object.prototype.hasOwnProperty.call(receiver, name)) return { ok: false, reason: `zod has no "${name}"` };
    const value = (receiver as Record<string, unknown>)[name];
    if (typeof value === "function" || value instanceof z.ZodType || isPlainContainer(value) || isNamespace(value)) {
      if (typeof value === "function") memberNames.set(value, name);
      return { ok: true, value };
    }
  }
  return { ok: false, reason: `"${name}" is not part of zod's schema builders` };
}

/** Sub-namespaces of zod (`z.iso`, `z.coerce`): module namespace objects. */
function isNamespace(value: unknown): boolean {
  return !!value && typeof value === "object" && Object.getPrototypeOf(value) === null;
}

/** Calls a zod function with arguments converted from static values. */
export function zodCall(fn: unknown, self: unknown, args: SValue[]): ZodResult {
  if (typeof fn !== "function") return { ok: false, reason: "it is not a zod function" };
  const converted: unknown[] = [];
  for (const arg of args) {
    const r = toZodArgument(arg);
    if (!r.ok) return r;
    converted.push(r.value);
  }
  try {
    const value = Reflect.apply(fn, self, converted);
    const name = memberNames.get(fn) ?? fn.name;
    const feature = self instanceof z.ZodType ? `.${name}` : `z.${name}`;
    const uses = args.filter((a) => a.kind === "function").map((a) => ({ feature, node: a.node }));
    if (uses.length && value && typeof value === "object") userCode.set(value, uses);
    return { ok: true, value };
  } catch (err) {
    return { ok: false, reason: `zod rejected the call: ${(err as Error).message}` };
  }
}

/** A function written in user code, replaced for the replay: zod stores it and never calls it for JSON Schema. */
function placeholder(): never {
  throw new Error("this part of the schema is computed by a function, which the analysis does not run");
}

function toZodArgument(v: SValue): ZodResult {
  switch (v.kind) {
    case "primitive": return { ok: true, value: v.value };
    case "regexp": return { ok: true, value: new RegExp(v.source, v.flags) };
    case "zod": return { ok: true, value: v.value };
    case "function": return { ok: true, value: placeholder };
    case "array": {
      const items: unknown[] = [];
      for (const item of v.items) {
        const r = toZodArgument(item);
        if (!r.ok) return r;
        items.push(r.value);
      }
      return { ok: true, value: items };
    }
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, prop] of v.props) {
        const r = toZodArgument(prop.value);
        if (!r.ok) return r;
        out[key] = r.value;
      }
      return { ok: true, value: out };
    }
    case "unknown": return { ok: false, reason: v.reason };
    default: return { ok: false, reason: "a zod call takes literals, schemas and functions" };
  }
}

/**
 * The parts of `schema` (it and every schema it is built from) made by a call given user code, in
 * the order found. Walks zod's definitions (`_zod.def`): nested schemas, checks, pipes, shapes.
 */
export function userCodeIn(schema: z.ZodType): UserCodeUse[] {
  const found: UserCodeUse[] = [];
  const seen = new Set<object>();
  const visit = (value: unknown): void => {
    if (!value || typeof value !== "object" || seen.has(value)) return;
    seen.add(value);
    const uses = userCode.get(value);
    if (uses) found.push(...uses);
    const def = (value as { _zod?: { def?: unknown } })._zod?.def;
    if (def) return visit(def);
    for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(value))) {
      if (key === "_zod") continue;
      let child: unknown;
      try {
        child = descriptor.get ? descriptor.get.call(value) : descriptor.value;
      } catch {
        continue; // a lazy part computed by a placeholder
      }
      visit(child);
    }
  };
  visit(schema);
  return found;
}

export function isZodSchema(value: unknown): value is z.ZodType {
  return value instanceof z.ZodType;
}

/** JSON Schema (draft 2020-12) of a request body: the input side, so defaults make fields optional. */
export function bodyJsonSchema(schema: z.ZodType): { ok: true; schema: Record<string, unknown> } | { ok: false; reason: string } {
  try {
    return { ok: true, schema: z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown> };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/** JSON Schema (draft 2020-12) of what an endpoint returns: the output side, as callers receive it. */
export function responseJsonSchema(schema: z.ZodType): { ok: true; schema: Record<string, unknown> } | { ok: false; reason: string } {
  try {
    const { $schema: _dialect, ...out } = z.toJSONSchema(schema, { io: "output", unrepresentable: "any" }) as Record<string, unknown>;
    return { ok: true, schema: out };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}
