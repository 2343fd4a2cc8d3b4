/**
 * What a container runs and how, from the environment the stack sets on its task definition
 * (provider/aws/function-service.ts). The AWS wiring (queues, table, bucket) is read by
 * runtime/aws/config.ts.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BatchingSpec } from "../../synth/spec.ts";
import { ConfigError } from "../aws/config.ts";
import { setupTimeoutSeconds } from "../delivery.ts";

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
  /** null: never exit for idleness (ECS autoscaling removes idle tasks itself) */
  idleExitMs: number | null;
  /** time for in-flight inputs after SIGTERM; the rest of the stop timeout is for releasing and `@exit` */
  drainMs: number;
  stopTimeoutMs: number;
  /** `/livez` and `/readyz`; null: no health server */
  healthPort: number | null;
  /** webApp / webServer units: where the front door listens */
  httpPort: number | null;
  /** `GANTRY_SECRET_ARNS`: Secrets Manager secrets loaded whole into the environment at start */
  secretArns: string[];
}

function json<T>(env: NodeJS.ProcessEnv, name: string, fallback: T): T {
  const raw = env[name];
  if (!raw) return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new ConfigError(`${name} is not valid JSON: ${raw.slice(0, 80)}`);
  }
}

/** A number >= 0 (seconds, or a count). */
function amount(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a number >= 0`);
  return n;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number | null): number | null {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "off") return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a port`);
  return n;
}

/** The bundle's `app.mjs` beside this entry, unless `GANTRY_APP_FILE` says otherwise. */
function defaultAppFile(env: NodeJS.ProcessEnv): string {
  if (env.GANTRY_APP_FILE) return resolve(env.GANTRY_APP_FILE);
  const dir = env.GANTRY_APP_DIR ?? dirname(fileURLToPath(import.meta.url));
  return join(dir, "app.mjs");
}

export const DEFAULT_HEALTH_PORT = 8081;

export function containerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ContainerConfig {
  const missing = ["GANTRY_APP", "GANTRY_KIND", "GANTRY_DECLARATION"].filter((n) => !env[n]);
  if (missing.length) throw new ConfigError(`the container needs ${missing.join(", ")} in its environment (the stack sets them on every task)`);
  const kind = env.GANTRY_KIND;
  if (kind !== "function" && kind !== "class") throw new ConfigError(`GANTRY_KIND must be "function" or "class", not ${JSON.stringify(kind)}`);
  const timeoutS = amount(env, "GANTRY_TIMEOUT", 300);
  const stopS = amount(env, "GANTRY_STOP_TIMEOUT", 120);
  const idle = env.GANTRY_IDLE_EXIT !== "false";
  return {
    appName: env.GANTRY_APP!,
    appFile: defaultAppFile(env),
    kind,
    name: env.GANTRY_DECLARATION!,
    unit: env.GANTRY_VARIANT || env.GANTRY_DECLARATION!,
    params: json<Record<string, unknown> | null>(env, "GANTRY_PARAMS", null),
    maxInputs: Math.max(1, Math.floor(amount(env, "GANTRY_MAX_INPUTS", 1))),
    batching: json<Record<string, BatchingSpec>>(env, "GANTRY_BATCHING", {}),
    timeoutMs: timeoutS * 1000,
    // @enter hooks get the declaration's timeout (runtime/delivery.ts's rule)
    setupTimeoutMs: amount(env, "GANTRY_SETUP_TIMEOUT", setupTimeoutSeconds({ timeout: timeoutS })) * 1000,
    idleExitMs: idle ? amount(env, "GANTRY_SCALEDOWN_WINDOW", 60) * 1000 : null,
    // three quarters of the stop timeout for inputs; the rest to hand back the others and run @exit
    drainMs: amount(env, "GANTRY_DRAIN_SECONDS", Math.floor(stopS * 0.75)) * 1000,
    stopTimeoutMs: stopS * 1000,
    healthPort: port(env, "GANTRY_HEALTH_PORT", DEFAULT_HEALTH_PORT),
    httpPort: port(env, "GANTRY_HTTP_PORT", null),
    secretArns: json<string[]>(env, "GANTRY_SECRET_ARNS", []),
  };
}
