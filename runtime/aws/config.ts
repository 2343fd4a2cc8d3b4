/**
 * The AWS transport's and invoker's settings, read from the environment the stack gives each task
 * (provider/aws/function-service.ts `environment()`); every name is listed in runtime/aws/README.md.
 */
import type { RetriesSpec } from "../../synth/spec.ts";
import { DEFAULT_RESULT_TTL_DAYS } from "./results.ts";
import { retryDelayMs } from "../delivery.ts";

/** SQS's classic message limit; queues created by gantry allow 1 MiB and say so in GANTRY_SQS_MAX_BYTES. */
export const DEFAULT_SQS_MAX_BYTES = 262_144;
/** results up to this size live in the results-table item (DynamoDB items stop at 400 KB) */
export const DEFAULT_RESULT_INLINE_BYTES = 200 * 1024;
/** SQS's longest long poll */
export const LONG_POLL_SECONDS = 20;

export interface AwsWorkerConfig {
  /** the unit id: function name, class name or variant id (`GANTRY_VARIANT`) */
  unit: string;
  queueUrl: string;
  dlqUrl: string;
  resultsTable: string;
  bucket: string;
  maxMessageBytes: number;
  /** seconds an input stays invisible after a receive or a heartbeat */
  visibilityTimeoutS: number;
  /** time between visibility heartbeats of an input that runs (at most a third of the timeout) */
  heartbeatMs: number;
  /** the long poll's wait (20 s; lower only for tests) */
  waitTimeSeconds: number;
  retries: RetriesSpec;
  /** the queue's redrive `maxReceiveCount` */
  maxReceiveCount: number;
  resultInlineBytes: number;
  /** how often the results table is asked whether running inputs were cancelled */
  cancelPollMs: number;
  resultTtlDays: number;
}

export interface AwsCallerConfig {
  /** unit id -> queue URL (`GANTRY_QUEUES`) */
  queues: Record<string, string>;
  resultsTable: string;
  bucket: string;
  maxMessageBytes: number;
  resultTtlDays: number;
  /** Dict name -> its DynamoDB table (`GANTRY_DICTS`) */
  dicts?: Record<string, string>;
  /** Queue name -> its SQS queue URL (`GANTRY_STATE_QUEUES`) */
  stateQueues?: Record<string, string>;
  /** mount path -> volume name, for the volumes mounted in this container (`GANTRY_VOLUMES`) */
  volumes?: Record<string, string>;
  /** unit id -> its ECS service as an Application Auto Scaling resource id, `service/<cluster>/<service>` (`GANTRY_SCALING_TARGETS`) */
  scalingTargets?: Record<string, string>;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = NodeJS.ProcessEnv;

function required(env: Env, names: string[]): Record<string, string> {
  const missing = names.filter((n) => !env[n]);
  if (missing.length) throw new ConfigError(`the AWS runtime needs ${missing.join(", ")} in its environment (the stack sets them on every task)`);
  return Object.fromEntries(names.map((n) => [n, env[n]!]));
}

function num(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a number >= ${min}`);
  return n;
}

function json<T>(env: Env, name: string, fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new ConfigError(`${name} is not valid JSON: ${raw.slice(0, 80)}`);
  }
}

export const DEFAULT_RETRIES: RetriesSpec = { maxRetries: 0, backoffCoefficient: 2, initialDelay: 1, maxDelay: 60 };

export function workerConfigFromEnv(env: Env = process.env): AwsWorkerConfig {
  const r = required(env, ["GANTRY_VARIANT", "GANTRY_QUEUE_URL", "GANTRY_DLQ_URL", "GANTRY_RESULTS_TABLE", "GANTRY_PAYLOAD_BUCKET"]);
  const timeoutS = num(env, "GANTRY_TIMEOUT", 300, 0);
  const visibilityTimeoutS = Math.min(43_200, Math.max(1, Math.round(num(env, "GANTRY_VISIBILITY_TIMEOUT", timeoutS + 60, 1))));
  const retries = { ...DEFAULT_RETRIES, ...json<Partial<RetriesSpec>>(env, "GANTRY_RETRIES", {}) };
  const third = Math.floor((visibilityTimeoutS * 1000) / 3);
  return {
    unit: r.GANTRY_VARIANT,
    queueUrl: r.GANTRY_QUEUE_URL,
    dlqUrl: r.GANTRY_DLQ_URL,
    resultsTable: r.GANTRY_RESULTS_TABLE,
    bucket: r.GANTRY_PAYLOAD_BUCKET,
    maxMessageBytes: num(env, "GANTRY_SQS_MAX_BYTES", DEFAULT_SQS_MAX_BYTES, 1024),
    visibilityTimeoutS,
    // never more than a third of the visibility timeout, whatever is asked
    heartbeatMs: Math.min(third, num(env, "GANTRY_HEARTBEAT_MS", third, 10)),
    waitTimeSeconds: Math.min(LONG_POLL_SECONDS, num(env, "GANTRY_SQS_WAIT_SECONDS", LONG_POLL_SECONDS, 0)),
    retries,
    maxReceiveCount: Math.round(num(env, "GANTRY_MAX_RECEIVE_COUNT", retries.maxRetries + 1, 1)),
    resultInlineBytes: num(env, "GANTRY_RESULT_INLINE_BYTES", DEFAULT_RESULT_INLINE_BYTES, 0),
    cancelPollMs: num(env, "GANTRY_CANCEL_POLL_MS", 5000, 10),
    resultTtlDays: num(env, "GANTRY_RESULT_TTL_DAYS", DEFAULT_RESULT_TTL_DAYS, 1),
  };
}

export function callerConfigFromEnv(env: Env = process.env): AwsCallerConfig {
  const r = required(env, ["GANTRY_RESULTS_TABLE", "GANTRY_PAYLOAD_BUCKET"]);
  return {
    queues: json<Record<string, string>>(env, "GANTRY_QUEUES", {}),
    resultsTable: r.GANTRY_RESULTS_TABLE,
    bucket: r.GANTRY_PAYLOAD_BUCKET,
    maxMessageBytes: num(env, "GANTRY_SQS_MAX_BYTES", DEFAULT_SQS_MAX_BYTES, 1024),
    resultTtlDays: num(env, "GANTRY_RESULT_TTL_DAYS", DEFAULT_RESULT_TTL_DAYS, 1),
    dicts: json<Record<string, string>>(env, "GANTRY_DICTS", {}),
    stateQueues: json<Record<string, string>>(env, "GANTRY_STATE_QUEUES", {}),
    volumes: json<Record<string, string>>(env, "GANTRY_VOLUMES", {}),
    scalingTargets: json<Record<string, string>>(env, "GANTRY_SCALING_TARGETS", {}),
  };
}

/** Seconds to wait before attempt `failures + 1`, after `failures` failed attempts (runtime/delivery.ts's rule). */
export function retryDelaySeconds(retries: RetriesSpec, failures: number): number {
  return retryDelayMs(retries, failures) / 1000;
}
