/**
 * The image's command on AWS (`node /opt/gantry/app/main.mjs`, bundled with the app by
 * provider/aws/bundle.ts). In order:
 * 1. serve `/livez` and `/readyz` on the health port; read the unit from the environment;
 * 2. load whole secrets into the environment, install the AWS invoker (nested `.remote()` calls);
 * 3. import the app and run `@enter` hooks (a failure or a timeout there is a setup failure,
 *    reported as such: exit 1, and the waiting inputs fail one attempt with ContainerSetupError);
 * 4. run the worker loop over SQS/DynamoDB/S3 (runtime/aws/transport.ts), or, for a
 *    webApp/webServer unit, the web front door on `GANTRY_HTTP_PORT`;
 * 5. on SIGTERM (ECS stop, scale-in, spot interruption draining): stop fetching, process what a
 *    pending long poll returns, drain within the budget, make unfinished inputs visible again,
 *    run `@exit` hooks, exit 0. Idle exit after `scaledownWindow` without work, when enabled.
 */
import { setInvoker } from "../../sdk/invoker.ts";
import { encodeError } from "../serialize.ts";
import { runWorker } from "../worker/loop.ts";
import { createClients } from "../aws/clients.ts";
import { callerConfigFromEnv, workerConfigFromEnv } from "../aws/config.ts";
import { AwsInvoker } from "../aws/invoker.ts";
import { AwsTransport } from "../aws/transport.ts";
import { summarize } from "../aws/wire.ts";
import { containerConfigFromEnv, type ContainerConfig } from "./config.ts";
import { serveHealth, type HealthServer } from "./health.ts";
import { containerLogger, type ContainerLogger } from "./log.ts";
import { loadContainerTarget } from "./target.ts";

// the helper process of a container that one of its inputs is ending (runtime/aws/last-words.ts)
if (process.env.GANTRY_LAST_WORDS === "1") await (await import("../aws/last-words.ts")).lastWordsFromStdin();

const bootStartedAt = performance.now();

function fatal(message: string, err: unknown): never {
  process.stderr.write(`${JSON.stringify({ level: 50, time: new Date().toISOString(), msg: message, error: err instanceof Error ? summarize(err) : String(err) })}\n`);
  process.exit(1);
}

let cfg: ContainerConfig;
try {
  cfg = containerConfigFromEnv();
} catch (err) {
  fatal("invalid container configuration", err);
}
const logger: ContainerLogger = containerLogger({ app: cfg.appName, unit: cfg.unit });
const log = logger.log;

process.on("uncaughtException", (err) => {
  log.fatal({ err }, "uncaught exception: exiting (inputs in flight are redelivered)");
  process.exit(1);
});
process.on("unhandledRejection", (reason) => {
  log.error({ err: reason }, "unhandled promise rejection");
});

let state: { ready: boolean; detail: Record<string, unknown> } = { ready: false, detail: { state: "starting" } };
let health: HealthServer | null = null;
if (cfg.healthPort !== null && cfg.httpPort === null) {
  health = await serveHealth(cfg.healthPort, () => state).catch((err) => fatal(`cannot serve health checks on port ${cfg.healthPort}`, err));
  log.info({ healthPort: health.port }, "serving /livez and /readyz");
}

// ---- secrets (before the app is imported: its module code may read them), nested calls
let setupError: Error | null = null;
if (cfg.secretArns.length) {
  try {
    const { loadSecrets, secretsManagerReader } = await import("./secrets.ts");
    logger.addSecrets(await loadSecrets(cfg.secretArns, await secretsManagerReader()));
    log.info({ secrets: cfg.secretArns.length }, "secrets loaded into the environment");
  } catch (err) {
    setupError = err as Error;
  }
}
const clients = createClients();
try {
  setInvoker(new AwsInvoker({ config: callerConfigFromEnv(), clients, source: cfg.unit }));
} catch (err) {
  log.warn({ error: summarize(err as Error) }, "nested calls are unavailable in this container");
}

const exitCode = cfg.httpPort !== null ? await runWebUnit(cfg) : await runWorkerUnit(cfg);
await health?.close();
log.flush?.();
process.exit(exitCode);

// ---- a worker unit (functions, classes, variants)

async function runWorkerUnit(cfg: ContainerConfig): Promise<number> {
  let transport: AwsTransport;
  try {
    transport = new AwsTransport({ config: workerConfigFromEnv(), clients, log });
  } catch (err) {
    log.error({ error: summarize(err as Error) }, "invalid AWS configuration");
    return 1;
  }
  state = transportState(transport);
  const stop = (reason: string, drainMs: number) => () => transport.stop(drainMs, reason);
  process.on("SIGTERM", stop("SIGTERM", cfg.drainMs));
  process.on("SIGINT", stop("SIGINT", cfg.drainMs));

  let target: Awaited<ReturnType<typeof loadContainerTarget>>;
  try {
    if (setupError) throw setupError;
    target = await loadContainerTarget({
      appFile: cfg.appFile, appName: cfg.appName, kind: cfg.kind, name: cfg.name,
      params: cfg.params, maxInputs: cfg.maxInputs, batching: cfg.batching,
    });
  } catch (err) {
    // loading secrets or importing the app failed: a setup failure, not an input error
    log.error({ err }, "could not load the app");
    await transport.setupFailed(encodeError(err));
    await transport.close();
    return 1;
  }
  transport.nameInputsWith(target.label);
  log.info({ bootMs: Math.round(performance.now() - bootStartedAt), slots: target.slots }, "app loaded; running @enter hooks");
  const exit = await runWorker(target, transport, {
    timeoutMs: cfg.timeoutMs,
    setupTimeoutMs: cfg.setupTimeoutMs,
    idleExitMs: cfg.idleExitMs ?? undefined,
    // the timed-out work cannot be interrupted in this process: finish the others, then exit
    onTimeout: () => transport.stop(cfg.drainMs, "an input timed out: recycling the container"),
    log,
  });
  log.info({ exit, stats: transport.stats }, "worker stopped");
  return exit === "setup-failed" ? 1 : 0;
}

function transportState(transport: AwsTransport) {
  return {
    get ready() {
      return transport.state === "ready";
    },
    get detail() {
      const { completed, retried, deadLettered } = transport.stats;
      return { state: transport.state, inFlight: transport.inFlight, completed, retried, deadLettered, uptimeMs: Math.round(performance.now() - bootStartedAt) };
    },
  };
}

// ---- a webApp / webServer unit

async function runWebUnit(cfg: ContainerConfig): Promise<number> {
  const [{ importApp }, { serveWebUnit }] = await Promise.all([import("../worker/target.ts"), import("./web.ts")]);
  let stopping = false;
  let unit;
  try {
    if (setupError) throw setupError;
    const app = await importApp(cfg.appFile, cfg.appName);
    unit = await serveWebUnit(app, cfg.name, { port: cfg.httpPort!, tokens: await webTokens(), log, ready: () => !stopping });
  } catch (err) {
    log.error({ err }, "container setup failed");
    return 1;
  }
  log.info({ port: unit.listening.port, bootMs: Math.round(performance.now() - bootStartedAt) }, "ready: serving web requests");
  await new Promise<void>((resolve) => {
    const stop = () => {
      if (stopping) return;
      stopping = true;
      log.info({ drainMs: cfg.drainMs }, "stopping: draining web requests");
      void unit.close(cfg.drainMs).then(resolve);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  return 0;
}

/** Bearer tokens of private webApp/webServer units: `GANTRY_WEB_TOKEN`, or the secret `GANTRY_TOKEN_SECRET_ARN` names. */
async function webTokens(): Promise<string[]> {
  const tokens: string[] = [];
  if (process.env.GANTRY_WEB_TOKEN) tokens.push(process.env.GANTRY_WEB_TOKEN);
  const arn = process.env.GANTRY_TOKEN_SECRET_ARN;
  if (arn) {
    const { secretsManagerReader } = await import("./secrets.ts");
    const value = await (await secretsManagerReader()).read(arn).catch(() => undefined);
    if (value) tokens.push(value);
  }
  logger.addSecrets(tokens);
  return tokens;
}
