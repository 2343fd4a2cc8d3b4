/**
 * The AWS transport's and invoker's settings. In a container they come from its contract
 * (runtime/contract.ts, transport `aws`: `workerConfigOf`, `callerConfigOf`); the Lambda gateway
 * and tools outside a container, which are told only where the call state is, use
 * `callerConfigFromEnv`.
 */
import type { RetriesSpec } from "../../synth/spec.ts";
import { ContainerContractError, decodeContainerEnv, type AwsTransportContract, type ContainerContract } from "../contract.ts";
import { retryDelayMs } from "../delivery.ts";
import { DEFAULT_RESULT_TTL_DAYS } from "./results.ts";

/** SQS's classic message limit, for callers not told their queues' limit; queues created by gantry allow 1 MiB. */
export const DEFAULT_SQS_MAX_BYTES = 262_144;
/** SQS's longest long poll */
export const LONG_POLL_SECONDS = 20;

export interface AwsWorkerConfig {
  /** the unit id: function name, class name or variant id */
  unit: string;
  queueUrl: string;
  dlqUrl: string;
  resultsTable: string;
  bucket: string;
  maxMessageBytes: number;
  /** seconds an input stays invisible after a receive or a heartbeat */
  visibilityTimeoutS: number;
  /** time between visibility heartbeats of an input that runs (at most a third of the visibility timeout) */
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
  /**
   * Who calls, as call ids and payload keys name it (call-keys.ts): the container's unit id, the
   * gateway's `@web`; default `@ext`, a caller outside the stack.
   */
  caller?: string;
  /** unit id -> queue URL */
  queues: Record<string, string>;
  resultsTable: string;
  bucket: string;
  maxMessageBytes: number;
  resultTtlDays: number;
  /** Dict name -> its DynamoDB table */
  dicts?: Record<string, string>;
  /** Queue name -> its SQS queue URL */
  stateQueues?: Record<string, string>;
  /** mount path -> volume name, for the volumes mounted in this container */
  volumes?: Record<string, string>;
  /** unit id -> its ECS service as an Application Auto Scaling resource id, `service/<cluster>/<service>` */
  scalingTargets?: Record<string, string>;
  /** unit id -> what a caller needs to wake it from zero (the contract's `wake`, runtime/aws/waker.ts); its service is in `scalingTargets` */
  wake?: Record<string, { targetInputs: number; maxContainers: number }>;
}

/** The contract's AWS part; throws when the container was given another transport. */
export function awsTransportOf(contract: ContainerContract): AwsTransportContract {
  if (contract.transport.kind !== "aws") throw new ContainerContractError([`GANTRY_TRANSPORT: this is the AWS transport, not ${JSON.stringify(contract.transport.kind)}`]);
  return contract.transport;
}

export function workerConfigOf(contract: ContainerContract): AwsWorkerConfig {
  const aws = awsTransportOf(contract);
  // never more than a third of the visibility timeout, whatever is asked: a beat may be late
  const third = Math.floor((aws.visibilityTimeout * 1000) / 3);
  return {
    unit: contract.unit,
    queueUrl: aws.queueUrl,
    dlqUrl: aws.dlqUrl,
    resultsTable: aws.resultsTable,
    bucket: aws.bucket,
    maxMessageBytes: aws.maxMessageBytes,
    visibilityTimeoutS: aws.visibilityTimeout,
    heartbeatMs: Math.min(third, aws.heartbeatMs ?? third),
    waitTimeSeconds: aws.waitTimeSeconds,
    retries: contract.retries,
    maxReceiveCount: aws.maxReceiveCount,
    resultInlineBytes: aws.resultInlineBytes,
    cancelPollMs: aws.cancelPollMs,
    resultTtlDays: aws.resultTtlDays,
  };
}

export function callerConfigOf(contract: ContainerContract): AwsCallerConfig {
  const aws = awsTransportOf(contract);
  return {
    caller: contract.unit,
    queues: aws.queues,
    resultsTable: aws.resultsTable,
    bucket: aws.bucket,
    maxMessageBytes: aws.maxMessageBytes,
    resultTtlDays: aws.resultTtlDays,
    dicts: aws.dicts,
    stateQueues: aws.stateQueues,
    volumes: contract.volumes,
    scalingTargets: aws.scalingTargets,
    wake: aws.wake,
  };
}

/** A container's worker settings, decoded from its environment (ContainerContractError when it is not a contract). */
export function workerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AwsWorkerConfig {
  return workerConfigOf(decodeContainerEnv(env));
}

type Env = NodeJS.ProcessEnv;

/**
 * A caller outside a container (the Lambda gateway, `FunctionCall.fromId` from a tool): the call
 * state's table and bucket, and whatever of the queues, Dicts and Queues it was given.
 */
export function callerConfigFromEnv(env: Env = process.env): AwsCallerConfig {
  const problems: string[] = [];
  const required = (name: string) => env[name] || (problems.push(`${name}: missing`), "");
  const json = (name: string): Record<string, string> => {
    const raw = env[name];
    if (!raw) return {};
    try {
      return JSON.parse(raw) as Record<string, string>;
    } catch {
      problems.push(`${name}=${JSON.stringify(raw.slice(0, 80))}: not valid JSON`);
      return {};
    }
  };
  const num = (name: string, fallback: number, min: number) => {
    const raw = env[name];
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) problems.push(`${name}=${JSON.stringify(raw)}: not a number >= ${min}`);
    return n;
  };
  const config: AwsCallerConfig = {
    resultsTable: required("GANTRY_RESULTS_TABLE"),
    bucket: required("GANTRY_PAYLOAD_BUCKET"),
    queues: json("GANTRY_QUEUES"),
    maxMessageBytes: num("GANTRY_SQS_MAX_BYTES", DEFAULT_SQS_MAX_BYTES, 1024),
    resultTtlDays: num("GANTRY_RESULT_TTL_DAYS", DEFAULT_RESULT_TTL_DAYS, 1),
    dicts: json("GANTRY_DICTS"),
    stateQueues: json("GANTRY_STATE_QUEUES"),
    volumes: json("GANTRY_VOLUMES"),
    scalingTargets: json("GANTRY_SCALING_TARGETS"),
  };
  if (problems.length) throw new ContainerContractError(problems, "the AWS caller's environment is incomplete");
  return config;
}

/**
 * Seconds to wait before attempt `failures + 1`, after `failures` failed attempts.
 * @deprecated runtime/delivery.ts `retryDelayMs` is the rule; this is it in seconds, for callers not moved yet.
 */
export function retryDelaySeconds(retries: RetriesSpec, failures: number): number {
  return retryDelayMs(retries, failures) / 1000;
}
