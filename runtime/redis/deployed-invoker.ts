/**
 * `Function.fromName(app, fn, { stack, redis })` (and `Cls.fromName`, `FunctionCall.fromId`) from a
 * Node process outside a Kubernetes stack's cluster: calls go through an ordinary RedisInvoker on
 * the stack's Redis, under the key namespace the provider gives the stack (provider/kubernetes/names.ts
 * `keyNamespace`), so nothing needs to be looked up first. Credentials: in the URL, in `redis`,
 * or GANTRY_REDIS_USER / GANTRY_REDIS_PASSWORD (a unit's user may call the units it calls; the
 * stack's `gantry-<unit>` Secrets hold them). One invoker per URL, app and stack.
 */
import type { Invoker } from "../../sdk/invoker.ts";
import { keyNamespace } from "../../provider/kubernetes/names.ts";
import { DEFAULT_RESULT_TTL_DAYS } from "./config.ts";
import { RedisInvoker } from "./invoker.ts";

export interface RedisRef {
  app: string;
  stack: string;
  redis: { url: string; username?: string; password?: string };
}

const invokers = new Map<string, RedisInvoker>();

export function redisDeployedInvoker(ref: RedisRef, env: NodeJS.ProcessEnv = process.env): Invoker {
  const { url } = ref.redis;
  if (!/^rediss?:\/\/[^/]/.test(url)) throw new TypeError(`redis: ${JSON.stringify(url.replace(/\/\/[^@/]*@/, "//…@"))} is not a redis:// or rediss:// URL`);
  const namespace = keyNamespace(ref.app, ref.stack);
  const key = JSON.stringify([url, namespace]);
  let invoker = invokers.get(key);
  if (!invoker) {
    const username = ref.redis.username ?? env.GANTRY_REDIS_USER;
    const password = ref.redis.password ?? env.GANTRY_REDIS_PASSWORD;
    invoker = new RedisInvoker({
      config: {
        connection: { url, ...(username ? { username } : {}), ...(password ? { password } : {}), name: `gantry:caller:${process.pid}` },
        namespace, resultTtlDays: DEFAULT_RESULT_TTL_DAYS,
      },
      source: "remote",
    });
    invokers.set(key, invoker);
  }
  return invoker;
}
