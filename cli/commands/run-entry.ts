/**
 * What `gantry run` runs: a local entrypoint (`--entry main`), or, as `modal run app.py::fn` does,
 * a function or a class method called directly (`app.ts::square`, `--entry Model.generate`) with
 * the arguments after `--` as strings and its result printed.
 */
import { inspect } from "node:util";
import type { CallTarget } from "../../sdk/invoker.ts";
import type { AppSpec } from "../../synth/spec.ts";
import { UsageError } from "../main.ts";

export type RunEntry =
  | { kind: "entrypoint"; name: string }
  | { kind: "function"; name: string; target: CallTarget }
  | { kind: "method"; name: string; target: CallTarget };

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
  if (spec.functions.some((f) => f.name === wanted)) return { kind: "function", name: wanted, target: { app, name: wanted } };
  const dot = wanted.indexOf(".");
  if (dot > 0) {
    const [clsName, method] = [wanted.slice(0, dot), wanted.slice(dot + 1)];
    const cls = spec.classes.find((c) => c.name === clsName);
    if (cls?.methods.some((m) => m.name === method)) {
      const required = cls.parameters.filter((p) => p.required).map((p) => p.name);
      if (required.length) {
        throw new UsageError(`${wanted}: ${clsName} has required parameters (${required.join(", ")}); call it from a local entrypoint with Cls.of(${clsName}).instance({ ... })`);
      }
      return { kind: "method", name: wanted, target: { app, name: clsName, method, params: {} } };
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
