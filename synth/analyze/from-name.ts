/**
 * `Function.fromName(app, name)` and `Cls.fromName(app, name)` naming this very app: the name must
 * be one of its deployed units, or every call through the handle fails at run time with "not
 * deployed". A typo is an error at the name, with the closest name; a function named as a class
 * (or the other way round) or a local entrypoint is told apart. Names of another app, or not
 * static, are left alone (that app is not analysed here). `Cls.fromName(...).withOptions(...)`
 * chains are variants, checked with them (analyze.ts `classByName`).
 */
import type { Node } from "ts-morph";
import type { ClassSpec, FunctionSpec } from "../spec.ts";
import type { Context } from "./context.ts";
import { didYouMean } from "./suggest.ts";

export interface FromNameRef {
  kind: "Function" | "Cls";
  name: string;
  /** the name argument, where the diagnostic points */
  node: Node;
}

export interface AppUnits {
  app: string;
  functions: readonly FunctionSpec[];
  classes: readonly ClassSpec[];
  entrypoints: readonly { name: string }[];
}

export function checkFromName(ctx: Context, ref: FromNameRef, units: AppUnits): void {
  const written = `${ref.kind}.fromName(${JSON.stringify(units.app)}, ${JSON.stringify(ref.name)})`;
  const bracket = ref.name.indexOf("[");
  const base = bracket > 0 ? ref.name.slice(0, bracket) : ref.name;
  const own = ref.kind === "Function" ? units.functions : units.classes;
  const found = own.find((d) => d.name === base);
  if (found) {
    if (bracket > 0 && !(found.variants ?? []).some((v) => v.id === ref.name)) {
      const ids = (found.variants ?? []).map((v) => v.id);
      const known = ids.length ? `; its variants are ${ids.join(", ")}` : `; it has no variants (declare one with ${base}.withOptions({ ... }))`;
      ctx.report("GANTRY1708", ref.node, `${written}: the app "${units.app}" deploys no variant ${ref.name} of ${base}${didYouMean(ref.name, ids)}${known}`);
    }
    return;
  }
  const what = ref.kind === "Function" ? "function" : "@app.cls class";
  const other = ref.kind === "Function" ? units.classes.find((c) => c.name === base) : units.functions.find((f) => f.name === base);
  if (other) {
    const use = ref.kind === "Function" ? `Cls.fromName(${JSON.stringify(units.app)}, ${JSON.stringify(base)})` : `Function.fromName(${JSON.stringify(units.app)}, ${JSON.stringify(base)})`;
    ctx.report("GANTRY1708", ref.node, `${written}: ${base} is ${ref.kind === "Function" ? "a class" : "a function"} of the app "${units.app}", not a ${what}: use ${use}`);
    return;
  }
  if (units.entrypoints.some((e) => e.name === base)) {
    ctx.report("GANTRY1708", ref.node, `${written}: ${base} is a local entrypoint, which runs where \`gantry run\` runs and is not deployed; call the functions it calls`);
    return;
  }
  const names = own.map((d) => d.name);
  const known = names.length ? `; its ${what === "function" ? "functions" : "@app.cls classes"} are ${names.join(", ")}` : `; it declares no ${what}`;
  ctx.report("GANTRY1708", ref.node, `${written}: the app "${units.app}" has no ${what} ${base}${didYouMean(base, names)}${known}`);
}
