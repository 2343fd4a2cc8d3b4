/**
 * Handles on a deployed stack from a process outside it (`Function.fromName(app, fn, { stack })`,
 * `FunctionCall.fromId(id, { app, stack })`): their calls go through runtime/aws/deployed-invoker.ts,
 * loaded on the first call, so importing gantry costs nothing for processes that never use them.
 */
import type { InvokerSource } from "./handles.ts";

/** `prod` or `org/project/prod` (a Pulumi stack's full name) -> `prod`; undefined when it names none. */
export function stackNameOf(stack: string): string | undefined {
  return stack.split("/").pop() || undefined;
}

/** The invoker of `app`'s stack in this account; `unit` when the handle names one (any unit knows the results table). */
export function deployedSource(ref: { app: string; stack: string; unit?: string; region?: string }): InvokerSource {
  return async () => (await import("../runtime/aws/deployed-invoker.ts")).deployedInvoker(ref);
}
