/** Naming call targets the same way everywhere (errors, logs, container labels). */
import { randomBytes } from "node:crypto";
import type { CallTarget } from "../sdk/invoker.ts";
import type { AppSpec } from "../synth/spec.ts";

/** `square`, `Model.generate`, `Model[gpu=H100].generate` */
export function targetLabel(target: CallTarget): string {
  const base = target.variant ?? target.name;
  return target.method ? `${base}.${target.method}` : base;
}

/** Parameter names of the function or method, from the spec (to name arguments in errors). */
export function paramNames(spec: AppSpec | null, target: CallTarget): string[] | undefined {
  if (!spec) return undefined;
  if (target.method) {
    const cls = spec.classes.find((c) => c.name === target.name);
    return cls?.methods.find((m) => m.name === target.method)?.params.map((p) => p.name);
  }
  return spec.functions.find((f) => f.name === target.name)?.params.map((p) => p.name);
}

const processPrefix = randomBytes(6).toString("base64url");
let counter = 0;

/** Ids of calls (`FunctionCall.objectId`): unique across the supervisor and its containers. */
export function newCallId(): string {
  return `fc-${processPrefix}-${(++counter).toString(36)}`;
}
