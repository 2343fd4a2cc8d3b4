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

/** A Kubernetes stack's Redis: a URL (credentials may be in it), or the URL and a user. */
export type RedisOption = string | { url: string; username?: string; password?: string };

/**
 * The invoker of `app`'s stack: with `redis`, that Kubernetes stack's Redis; else the AWS stack in
 * this account and region, `unit` when the handle names one (any unit knows the results table).
 */
export function deployedSource(ref: { app: string; stack: string; unit?: string; region?: string; redis?: RedisOption }): InvokerSource {
  const { redis } = ref;
  if (redis !== undefined) {
    return async () => (await import("../runtime/redis/deployed-invoker.ts"))
      .redisDeployedInvoker({ app: ref.app, stack: ref.stack, redis: typeof redis === "string" ? { url: redis } : redis });
  }
  const { unit } = ref;
  if (unit === undefined) throw new TypeError(`a handle on AWS stack ${ref.stack} of app ${ref.app} needs the unit it calls`);
  return async () => (await import("../runtime/aws/deployed-invoker.ts")).deployedInvoker({ ...ref, unit });
}
