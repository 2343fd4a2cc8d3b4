/**
 * What a container runs and how, from its contract (runtime/contract.ts): the target-neutral part,
 * in the units the worker loop takes. The transport's part is read by the transport's own module
 * (runtime/aws/config.ts for `aws`).
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BatchingSpec } from "../../synth/spec.ts";
import { decodeContainerEnv, type ContainerContract } from "../contract.ts";

export interface ContainerConfig {
  appName: string;
  appFile: string;
  kind: "function" | "class";
  /** the function or class name in code */
  name: string;
  /** the unit id (function, class, or variant id) */
  unit: string;
  /** class parameters this container's first instance is built with (`GANTRY_PARAMS`) */
  params: Record<string, unknown> | null;
  maxInputs: number;
  batching: Record<string, BatchingSpec>;
  timeoutMs: number;
  setupTimeoutMs: number;
  /** null: never exit for idleness (the target's autoscaling removes idle containers itself) */
  idleExitMs: number | null;
  /** time for in-flight inputs after SIGTERM; the rest of the stop timeout is for releasing and `@exit` */
  drainMs: number;
  stopTimeoutMs: number;
  /** `/livez` and `/readyz`; null: no health server */
  healthPort: number | null;
  /** webApp / webServer units: where the front door listens */
  httpPort: number | null;
}

/** The bundle's `app.mjs`: in `GANTRY_APP_DIR` (the image's ENV), else beside this entry. */
function bundledAppFile(env: NodeJS.ProcessEnv): string {
  const dir = env.GANTRY_APP_DIR ?? dirname(fileURLToPath(import.meta.url));
  return join(dir, "app.mjs");
}

export function containerConfigOf(contract: ContainerContract, env: NodeJS.ProcessEnv = process.env): ContainerConfig {
  return {
    appName: contract.app,
    appFile: contract.appFile ? resolve(contract.appFile) : bundledAppFile(env),
    kind: contract.kind,
    name: contract.declaration,
    unit: contract.unit,
    params: contract.params,
    maxInputs: contract.maxInputs,
    batching: contract.batching,
    timeoutMs: contract.timeout * 1000,
    setupTimeoutMs: contract.setupTimeout * 1000,
    idleExitMs: contract.idleExit === null ? null : contract.idleExit * 1000,
    // three quarters of the stop timeout for inputs; the rest to hand back the others and run @exit
    drainMs: (contract.drainSeconds ?? Math.floor(contract.stopTimeout * 0.75)) * 1000,
    stopTimeoutMs: contract.stopTimeout * 1000,
    healthPort: contract.healthPort,
    httpPort: contract.httpPort,
  };
}

/** Decodes the contract in `env` (ContainerContractError when it is not one) and reads its core. */
export function containerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ContainerConfig {
  return containerConfigOf(decodeContainerEnv(env), env);
}
