/**
 * A process outside the cluster calling a stack deployed on Kubernetes: with `GANTRY_REDIS_URL`
 * (and `GANTRY_REDIS_NAMESPACE`, `GANTRY_REDIS_USER` / `GANTRY_REDIS_PASSWORD`: config.ts
 * `callerConfigFromEnv`) set and no runtime attached, sdk/invoker.ts attaches this invoker on the
 * first call. `Cls.fromName(app, X).instance(...)`, `Function.fromName(app, fn)`,
 * `FunctionCall.fromId(id)`, `Dict`/`Queue.fromName` then go through the stack's Redis; call ids
 * name their unit, so a call spawned in one process can be awaited or cancelled from another.
 * The connection lets the process exit once nothing is in flight.
 */
import type { Invoker } from "../../sdk/invoker.ts";
import { callerConfigFromEnv } from "./config.ts";
import { RedisInvoker } from "./invoker.ts";

export function invokerFromEnv(env: NodeJS.ProcessEnv = process.env): Invoker {
  return new RedisInvoker({ config: callerConfigFromEnv(env), source: "outside" });
}
