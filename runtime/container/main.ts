/**
 * The image's command (`node /opt/gantry/app/main.mjs`, bundled with the app by
 * provider/aws/bundle.ts). The same on every target; what differs is the transport its contract
 * names (runtime/contract.ts, `transport.kind`), loaded by container/transport.ts. In order:
 * 1. read the contract from the environment; serve `/livez` and `/readyz` on the health port;
 * 2. load the secrets the transport keeps whole into the environment, install its invoker
 *    (nested `.remote()` calls);
 * 3. import the app and run `@enter` hooks (a failure or a timeout there is a setup failure,
 *    reported as such: exit 1, and the waiting inputs fail one attempt with ContainerSetupError);
 * 4. run the worker loop over the transport (on AWS, SQS/DynamoDB/S3: runtime/aws/transport.ts),
 *    or, for a webApp/webServer unit, the web front door on the contract's HTTP port;
 * 5. on SIGTERM (the target stops the container, scale-in, spot interruption draining): stop
 *    fetching, process what a pending receive returns, drain within the budget, hand unfinished
 *    inputs back, run `@exit` hooks, exit 0. Idle exit after the contract's `idleExit`, when set.
 */
import { setInvoker } from "../../sdk/invoker.ts";
import { decodeContainerEnv, type ContainerContract } from "../contract.ts";
import { encodeError } from "../serialize.ts";
import { runWorker } from "../worker/loop.ts";
import { containerConfigOf, type ContainerConfig } from "./config.ts";
import { serveHealth, type HealthServer } from "./health.ts";
import { containerLogger, type ContainerLogger } from "./log.ts";
import { loadContainerTarget } from "./instances.ts";
import { containerTransportOf, type ContainerTransport, type ContainerWorkerTransport } from "./transport.ts";

// the helper process of a container that one of its inputs is ending (runtime/aws/last-words.ts, runtime/redis/last-words.ts)
if (process.env.GANTRY_LAST_WORDS === "1") await (await import("../aws/last-words.ts")).lastWordsFromStdin();
if (process.env.GANTRY_LAST_WORDS === "redis") await (await import("../redis/last-words.ts")).lastWordsFromStdin();
// the web gateway of a Kubernetes stack runs the image with the argument `gateway` (runtime/redis/gateway.ts)
if (process.argv[2] === "gateway") await (await import("../redis/gateway.ts")).serveRedisGateway();

const bootStartedAt = performance.now();

function fatal(message: string, err: unknown): never {
  process.stderr.write(`${JSON.stringify({ level: 50, time: new Date().toISOString(), msg: message, error: err instanceof Error ? { name: err.name, message: err.message } : String(err) })}\n`);
  process.exit(1);
}

let contract: ContainerContract;
let cfg: ContainerConfig;
try {
  contract = decodeContainerEnv(process.env);
  cfg = containerConfigOf(contract);
} catch (err) {
  fatal("invalid container configuration", err);
}
const logger: ContainerLogger = containerLogger({ app: cfg.appName, unit: cfg.unit }, { level: contract.logLevel });
const log = logger.log;
// what was deployed: the first line names the stack and the spec it came from
log.info({ stack: contract.stack, specHash: contract.specHash, transport: contract.transport.kind, kind: cfg.kind, declaration: cfg.name }, "container starting");

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
const transport: ContainerTransport = await containerTransportOf(contract).catch((err) => fatal("cannot load the transport", err));
let setupError: Error | null = null;
try {
  const secrets = await transport.loadSecrets();
  logger.addSecrets(secrets);
  if (secrets.length) log.info({ secrets: secrets.length }, "secrets loaded into the environment");
} catch (err) {
  setupError = err as Error;
}
setInvoker(transport.invoker());

const exitCode = cfg.httpPort !== null ? await runWebUnit(cfg) : await runWorkerUnit(cfg);
await health?.close();
log.flush?.();
process.exit(exitCode);

// ---- a worker unit (functions, classes, variants)

async function runWorkerUnit(cfg: ContainerConfig): Promise<number> {
  const worker = transport.worker(log);
  state = transportState(worker);
  const stop = (reason: string, drainMs: number) => () => worker.stop(drainMs, reason);
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
    await worker.setupFailed(encodeError(err));
    await worker.close();
    return 1;
  }
  worker.nameInputsWith(target.label);
  log.info({ bootMs: Math.round(performance.now() - bootStartedAt), slots: target.slots }, "app loaded; running @enter hooks");
  const exit = await runWorker(target, worker, {
    timeoutMs: cfg.timeoutMs,
    setupTimeoutMs: cfg.setupTimeoutMs,
    idleExitMs: cfg.idleExitMs ?? undefined,
    // the timed-out work cannot be interrupted in this process: finish the others, then exit
    onTimeout: () => worker.stop(cfg.drainMs, "an input timed out: recycling the container"),
    log,
  });
  log.info({ exit, stats: worker.stats }, "worker stopped");
  return exit === "setup-failed" ? 1 : 0;
}

function transportState(worker: ContainerWorkerTransport) {
  return {
    get ready() {
      return worker.state === "ready";
    },
    get detail() {
      const { completed, retried, deadLettered } = worker.stats;
      return { state: worker.state, inFlight: worker.inFlight, completed, retried, deadLettered, uptimeMs: Math.round(performance.now() - bootStartedAt) };
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

/** Bearer tokens of a private webApp/webServer unit: `GANTRY_WEB_TOKEN` (a secret's variable), and the transport's. */
async function webTokens(): Promise<string[]> {
  const tokens: string[] = [];
  if (process.env.GANTRY_WEB_TOKEN) tokens.push(process.env.GANTRY_WEB_TOKEN);
  tokens.push(...(await transport.webTokens()));
  logger.addSecrets(tokens);
  return tokens;
}
