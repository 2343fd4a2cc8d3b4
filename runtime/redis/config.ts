/**
 * The Redis transport's and invoker's settings: in a container from its contract (runtime/contract.ts,
 * transport `redis`), outside the cluster from the environment (`GANTRY_REDIS_URL`, ...) or given
 * directly. The password is never in the contract: `GANTRY_REDIS_PASSWORD` (the unit's Secret).
 */
import type { RetriesSpec } from "../../synth/spec.ts";
import { ContainerContractError, type ContainerContract, type RedisTransportContract } from "../contract.ts";
import type { RedisConnectOptions } from "./client.ts";

export const DEFAULT_RESULT_TTL_DAYS = 7;

/** How long results and call records live. */
export function ttlMs(days: number): number {
  return Math.round(days * 86_400_000);
}

export interface RedisCallerConfig {
  connection: RedisConnectOptions;
  /** the stack's key namespace (runtime/redis/keys.ts) */
  namespace: string;
  resultTtlDays: number;
  /** unit id -> `namespace/name` of its KEDA ScaledObject, recorded with `updateAutoscaler` settings */
  scaledObjects?: Record<string, string>;
}

export interface RedisWorkerConfig extends RedisCallerConfig {
  unit: string;
  retries: RetriesSpec;
  /** ms an entry stays with a consumer before another may claim it (a crash redelivery) */
  claimIdleMs: number;
  heartbeatMs: number;
  blockMs: number;
  cancelPollMs: number;
}

export function redisTransportOf(contract: ContainerContract): RedisTransportContract {
  if (contract.transport.kind !== "redis") throw new ContainerContractError([`GANTRY_TRANSPORT: this is the Redis transport, not ${JSON.stringify(contract.transport.kind)}`]);
  return contract.transport;
}

function connectionOf(t: RedisTransportContract, name: string, env: NodeJS.ProcessEnv): RedisConnectOptions {
  return { url: t.url, ...(t.username ? { username: t.username } : {}), ...(env.GANTRY_REDIS_PASSWORD ? { password: env.GANTRY_REDIS_PASSWORD } : {}), name };
}

export function callerConfigOf(contract: ContainerContract, env: NodeJS.ProcessEnv = process.env): RedisCallerConfig {
  const t = redisTransportOf(contract);
  return { connection: connectionOf(t, clientName(contract.unit), env), namespace: t.namespace, resultTtlDays: t.resultTtlDays, scaledObjects: t.scaledObjects };
}

export function workerConfigOf(contract: ContainerContract, env: NodeJS.ProcessEnv = process.env): RedisWorkerConfig {
  const t = redisTransportOf(contract);
  const claimIdleMs = t.claimIdleSeconds * 1000;
  // never more than a third of the claim idle time, whatever is asked: a beat may be late
  const third = Math.floor(claimIdleMs / 3);
  return {
    ...callerConfigOf(contract, env),
    unit: contract.unit,
    retries: contract.retries,
    claimIdleMs,
    heartbeatMs: Math.min(third, t.heartbeatMs ?? third),
    blockMs: t.blockMs,
    cancelPollMs: t.cancelPollMs,
  };
}

/**
 * A caller outside the cluster (a script, a service, `FunctionCall.fromId` from a tool):
 * `GANTRY_REDIS_URL` (credentials may be in it, or `GANTRY_REDIS_USER` / `GANTRY_REDIS_PASSWORD`)
 * and `GANTRY_REDIS_NAMESPACE` (the stack's namespace; default: `GANTRY_STACK`, else the URL alone is not enough).
 */
export function callerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): RedisCallerConfig {
  const problems: string[] = [];
  const url = env.GANTRY_REDIS_URL ?? "";
  if (!/^rediss?:\/\//.test(url)) problems.push(`GANTRY_REDIS_URL: ${url ? `${JSON.stringify(url.replace(/\/\/[^@/]*@/, "//…@"))} is not a redis:// or rediss:// URL` : "missing"}`);
  const namespace = env.GANTRY_REDIS_NAMESPACE || env.GANTRY_STACK || "";
  if (!namespace) problems.push("GANTRY_REDIS_NAMESPACE: missing (the stack's key namespace, as its containers get it)");
  const ttl = env.GANTRY_RESULT_TTL_DAYS ? Number(env.GANTRY_RESULT_TTL_DAYS) : DEFAULT_RESULT_TTL_DAYS;
  if (!Number.isFinite(ttl) || ttl < 1) problems.push(`GANTRY_RESULT_TTL_DAYS=${JSON.stringify(env.GANTRY_RESULT_TTL_DAYS)}: not a number >= 1`);
  if (problems.length) throw new ContainerContractError(problems, "the Redis caller's environment is incomplete");
  return {
    connection: {
      url,
      ...(env.GANTRY_REDIS_USER ? { username: env.GANTRY_REDIS_USER } : {}),
      ...(env.GANTRY_REDIS_PASSWORD ? { password: env.GANTRY_REDIS_PASSWORD } : {}),
      name: clientName("caller"),
    },
    namespace,
    resultTtlDays: ttl,
  };
}

function clientName(who: string): string {
  return `gantry:${who.replace(/[^A-Za-z0-9._=[\]-]/g, "_")}:${process.pid}`;
}
