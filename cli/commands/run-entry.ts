/**
 * What `gantry run` runs: a local entrypoint (`--entry main`, the arguments after `--` as strings),
 * or, as `modal run app.py::fn` does, a function or a class method called directly (`app.ts::square`,
 * `--entry Model.generate`) with its result printed. A direct call's arguments are read as Modal's
 * CLI reads them: by parameter name (`-- --name ada --times 2`, `--times=2`, `--loud` / `--no-loud`
 * for a boolean, kebab-case for camelCase names) or by position (`-- ada 2`), each converted by the
 * parameter's declared type (number, boolean, bigint; arrays and objects as JSON; strings as they are).
 */
import { inspect } from "node:util";
import type { CallTarget } from "../../sdk/invoker.ts";
import type { AppSpec } from "../../synth/spec.ts";
import { UsageError } from "../main.ts";

type Param = { name: string; type: string };

export type RunEntry =
  | { kind: "entrypoint"; name: string }
  | { kind: "function"; name: string; target: CallTarget; params: Param[] }
  | { kind: "method"; name: string; target: CallTarget; params: Param[] };

/** `app.ts::square` -> the file and the entry name; a plain path has no entry. */
export function splitAppArg(appArg: string): { file: string; entry: string | undefined } {
  const at = appArg.lastIndexOf("::");
  if (at === -1) return { file: appArg, entry: undefined };
  const entry = appArg.slice(at + 2);
  if (!entry) throw new UsageError(`nothing after "::" in ${appArg}: write app.ts::functionName`);
  return { file: appArg.slice(0, at), entry };
}

/**
 * The entry to run. Without a name, the app's only local entrypoint; a name is an entrypoint, a
 * function, or `Class.method` (a class without required parameters).
 */
export function selectEntry(spec: AppSpec, appArg: string, wanted: string | undefined): RunEntry | { missing: string } {
  const entries = spec.entrypoints.map((e) => e.name);
  const app = spec.app.name;
  if (wanted === undefined) {
    if (entries.length === 0) {
      const fn = spec.functions[0]?.name ?? "fn";
      return { missing: `gantry run: ${appArg} has no local entrypoint; add one:\n` +
        `  export const main = app.localEntrypoint(async (args: string[]) => { ... });\n` +
        `or call a function directly: gantry run ${appArg}::${fn} -- <args>\n` };
    }
    if (entries.length > 1) throw new UsageError(`${appArg} has several local entrypoints: choose one with --entry (${entries.join(", ")})`);
    return { kind: "entrypoint", name: entries[0] };
  }
  if (entries.includes(wanted)) return { kind: "entrypoint", name: wanted };
  const fn = spec.functions.find((f) => f.name === wanted);
  if (fn) return { kind: "function", name: wanted, target: { app, name: wanted }, params: fn.params };
  const dot = wanted.indexOf(".");
  if (dot > 0) {
    const [clsName, method] = [wanted.slice(0, dot), wanted.slice(dot + 1)];
    const cls = spec.classes.find((c) => c.name === clsName);
    const found = cls?.methods.find((m) => m.name === method);
    if (cls && found) {
      const required = cls.parameters.filter((p) => p.required).map((p) => p.name);
      if (required.length) {
        throw new UsageError(`${wanted}: ${clsName} has required parameters (${required.join(", ")}); call it from a local entrypoint with Cls.of(${clsName}).instance({ ... })`);
      }
      return { kind: "method", name: wanted, target: { app, name: clsName, method, params: {} }, params: found.params };
    }
  }
  const methods = spec.classes.flatMap((c) => c.methods.map((m) => `${c.name}.${m.name}`));
  const known = [...entries, ...spec.functions.map((f) => f.name), ...methods];
  throw new UsageError(`${appArg} has no local entrypoint, function or class method "${wanted}" (have: ${known.join(", ") || "none"})`);
}

/** How a directly called function's result is printed: strings as they are, anything else inspected. */
export function formatResult(value: unknown, color: boolean): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : inspect(value, { colors: color, depth: 6 });
}

/** A direct call's arguments from the words after `--`: by name or position, converted by declared type. */
export function callArguments(entry: string, params: readonly Param[], words: readonly string[]): unknown[] {
  const rest = params.find((p) => p.name.startsWith("..."));
  const named = params.filter((p) => p !== rest);
  const byName = new Map<string, unknown>();
  const positional: string[] = [];
  const lookup = (option: string) => named.find((p) => p.name === option || kebab(p.name) === option);
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const option = /^--([^=]+)(?:=(.*))?$/s.exec(word);
    if (!option) {
      positional.push(word);
      continue;
    }
    const [, key, inline] = option;
    const negated = inline === undefined && key.startsWith("no-") ? lookup(key.slice(3)) : undefined;
    const param = lookup(key) ?? negated;
    if (!param) {
      throw new UsageError(`${entry} has no parameter "${key}" (parameters: ${params.map((p) => p.name).join(", ") || "none"}); write --name value, or the values in order`);
    }
    if (byName.has(param.name)) throw new UsageError(`${entry}: --${key} is given twice`);
    if (isBoolean(param.type) && inline === undefined) {
      byName.set(param.name, negated === undefined);
      continue;
    }
    const value = inline ?? words[++i];
    if (value === undefined) throw new UsageError(`${entry}: --${key} needs a value`);
    byName.set(param.name, convert(entry, param, value));
  }
  const args: unknown[] = [];
  let next = 0;
  for (const p of named) {
    if (byName.has(p.name)) args.push(byName.get(p.name));
    else if (next < positional.length) args.push(convert(entry, p, positional[next++]));
    else args.push(undefined);
  }
  const extra = positional.slice(next);
  if (rest) args.push(...extra.map((w) => convert(entry, { name: rest.name.slice(3), type: elementType(rest.type) }, w)));
  else if (extra.length) throw new UsageError(`${entry} takes ${named.length} argument${named.length === 1 ? "" : "s"} (${named.map((p) => p.name).join(", ") || "none"}), got ${positional.length}`);
  while (args.length && args[args.length - 1] === undefined) args.pop(); // so defaults apply
  return args;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `number`, `number | undefined`, `boolean`...: the declared type without undefined/null members. */
function baseType(type: string): string {
  const parts = type.split("|").map((t) => t.trim()).filter((t) => t !== "undefined" && t !== "null");
  return parts.join(" | ");
}

function isBoolean(type: string): boolean {
  return baseType(type) === "boolean";
}

function elementType(type: string): string {
  const m = /^(?:(.+)\[\]|Array<(.+)>)$/.exec(type.trim());
  return m ? (m[1] ?? m[2]) : "unknown";
}

function convert(entry: string, param: Param, word: string): unknown {
  const type = baseType(param.type);
  const fail = (what: string): never => { throw new UsageError(`${entry}: ${param.name} is ${what}, got "${word}"`); };
  if (type === "number") {
    const n = Number(word);
    return word.trim() !== "" && Number.isFinite(n) ? n : fail("a number");
  }
  if (type === "boolean") {
    if (/^(true|1|yes)$/i.test(word)) return true;
    return /^(false|0|no)$/i.test(word) ? false : fail("true or false");
  }
  if (type === "bigint") {
    try {
      return BigInt(word);
    } catch {
      return fail("a whole number");
    }
  }
  // arrays, objects, tuples, records: JSON, as Modal's CLI takes dicts and lists
  if (/^(\{|\[|Array<|Record<|readonly )/.test(type) || type.endsWith("]")) {
    try {
      return JSON.parse(word);
    } catch {
      return fail("JSON (an array or object)");
    }
  }
  return word;
}
