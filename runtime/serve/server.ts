/**
 * `gantry serve`: the local dev server. This process (the supervisor) holds what must outlive a
 * reload: the listener on the user's port, the bearer token and the result-URL signing key, the
 * local runtime (its Dicts, Queues and call ids), the schedules and the file watcher. Each version
 * of the app gets a front-door process (front-door-main.ts) that analyses and imports it and
 * serves its routes on a loopback port; the listener forwards every request to the current one.
 *
 * A change to the app file or a project file it imports starts a new front door. If the analysis
 * or the import fails, the errors are printed and the last good version keeps serving. If it
 * works, new requests go to the new version at once (new containers, new code); the old front
 * door answers the requests it holds, and the old containers finish their inputs, then stop and
 * run their `@exit` hooks. Nothing in flight is dropped.
 */
import { randomBytes } from "node:crypto";
import { isAbsolute, relative } from "node:path";
import { inspect } from "node:util";
import type { AppSpec } from "../../synth/spec.ts";
import { processOutput, type OutputSink } from "../local/container.ts";
import { defaultStateDir, LocalRuntime } from "../local/runtime.ts";
import { listen, type Listening } from "../web/node.ts";
import { errorResponse } from "../web/http.ts";
import { banner, routeLines } from "./banner.ts";
import { FrontDoor, killAllFrontDoors, type FrontDoorHost, type Started } from "./front-door.ts";
import type { FailedMessage, RouteInfo } from "./protocol.ts";
import { Scheduler, type RunOutcome } from "./schedules.ts";
import { appSecretMask } from "./secrets.ts";
import { FileWatcher } from "./watch.ts";
import { LogBuffer } from "./log-buffer.ts";
import { handleOps, OPS_PREFIX, type ScheduleStatus, type ServeStatus } from "./ops.ts";
import { removeRecord, writeRecord } from "./record.ts";
import { CALLS_PATH, handleCalls, servedPeers } from "./calls.ts";

export interface ServeOptions {
  /** absolute path of the app file */
  appFile: string;
  /** 0 picks a free port */
  port: number;
  host: string;
  watch: boolean;
  /** from GANTRY_TOKEN; without it a token is generated and printed */
  token?: string;
  color: boolean;
  /** how long Ctrl-C waits for requests and calls in flight (default 30 s) */
  drainMs?: number;
  /** how long a request waits for its call before a 303 to the result URL (default 150 s) */
  syncWindowMs?: number;
  /** stdout / stderr */
  out?: (text: string) => void;
  err?: (text: string) => void;
  /** environment of the front doors and containers (default: this process's, without GANTRY_TOKEN) */
  env?: NodeJS.ProcessEnv;
  /** where the containers' output is printed (default: this process's stdout/stderr) */
  output?: OutputSink;
  /** write the server record `gantry logs` / `gantry status` find it by (default true) */
  record?: boolean;
}

export type ServeStart = { ok: true; server: DevServer } | { ok: false; exitCode: 1 | 2; message?: string };

/** A finished call's result stays readable (result URLs, `FunctionCall.get`) this long. */
const RESULT_RETENTION_MS = 15 * 60_000;
/** An old front door gets this long to answer the requests it holds after a reload. */
const RETIRE_MAX_MS = 10 * 60_000;
/** Restarts of a front door that crashed, before waiting for the next change. */
const MAX_RESTARTS = 3;

export async function startDevServer(options: ServeOptions): Promise<ServeStart> {
  const server = new DevServer(options);
  return server.start();
}

export class DevServer {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly out: (text: string) => void;
  private readonly err: (text: string) => void;
  private readonly token: string;
  private readonly signingKey = randomBytes(32);
  private readonly env: NodeJS.ProcessEnv;
  private readonly displayFile: string;
  private runtime!: LocalRuntime;
  private listener!: Listening;
  private spec!: AppSpec;
  /** `Secret.fromDict` values of the current version, by secret id */
  private secretValues: Record<string, Record<string, string>> = {};
  private routes: RouteInfo[] = [];
  private current: FrontDoor | null = null;
  private readonly doors = new Set<FrontDoor>();
  private generation = 0;
  private readonly scheduler: Scheduler;
  private watcher: FileWatcher | null = null;
  private reloading: Promise<void> | null = null;
  private reloadAgain: string[] | null = null;
  private restarts = 0;
  private stopping: Promise<void> | null = null;
  /** recent container output for `gantry logs` (masked as it is stored) */
  readonly logs = new LogBuffer((text) => this.logMask(text));
  private cachedMask: { at: number; mask: (text: string) => string } | null = null;
  /** the bearer token of the operations routes (in the server record only) */
  private readonly opsToken = randomBytes(24).toString("base64url");
  private readonly startedAt = new Date();
  private readonly lastRuns = new Map<string, NonNullable<ScheduleStatus["last"]>>();
  private recorded = false;

  constructor(private readonly options: ServeOptions) {
    this.out = options.out ?? ((t) => void process.stdout.write(t));
    this.err = options.err ?? ((t) => void process.stderr.write(t));
    this.token = options.token ?? randomBytes(18).toString("base64url");
    const env = { ...(options.env ?? process.env) };
    delete env.GANTRY_TOKEN;
    this.env = env;
    this.displayFile = this.rel(options.appFile);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.scheduler = new Scheduler({ run: (name) => this.runScheduled(name), print: (line) => this.out(`${line}\n`) });
  }

  get url(): string {
    return this.listener.url;
  }

  async start(): Promise<ServeStart> {
    const first = await this.startFrontDoor();
    if (!first.ok) {
      this.err(failureText(first.failure));
      return { ok: false, exitCode: 1 };
    }
    const { door, ready } = first;
    if (ready.diagnostics) this.err(ready.diagnostics);
    this.spec = ready.spec;
    this.secretValues = ready.secretValues;
    this.routes = ready.routes;
    this.runtime = new LocalRuntime({
      spec: ready.spec, appFile: this.options.appFile, secretValues: ready.secretValues, output: this.outputSink(),
      // calls to another app go to its running gantry serve in this project (calls.ts)
      peers: servedPeers(defaultStateDir(this.options.appFile)),
    });
    try {
      this.listener = await listen((request) => this.handle(request), {
        port: this.options.port,
        host: this.options.host,
        ready: () => this.current !== null && !this.stopping,
      });
    } catch (e) {
      door.kill();
      await this.runtime.shutdown();
      const code = (e as NodeJS.ErrnoException).code;
      const where = `${this.options.host}:${this.options.port}`;
      const message = code === "EADDRINUSE" ? `${where} is already in use: choose another port with --port (0 picks a free one)`
        : `cannot listen on ${where}: ${(e as Error).message}`;
      return { ok: false, exitCode: 2, message };
    }
    this.adopt(door);
    this.scheduler.update(this.spec);
    if (this.options.record !== false) this.writeRecord();
    if (this.options.watch) {
      this.watcher = new FileWatcher((files) => this.reload(files.length ? `${files.map((f) => this.rel(f)).join(", ")} changed` : "a file changed"));
      this.watcher.set(ready.files);
    }
    this.out(banner({
      appName: this.spec.app.name,
      appFile: this.displayFile,
      baseUrl: this.listener.url,
      routes: this.routes,
      spec: this.spec,
      token: this.options.token === undefined ? this.token : null,
      schedules: this.scheduler.describe(),
      watching: this.watcher ? this.watcher.size : null,
    }));
    return { ok: true, server: this };
  }

  /**
   * Ctrl-C: stop accepting, let requests in flight finish (up to `drainMs`), then stop every
   * container; their `@exit` hooks run. Resolves (and `done` with it) when all is down.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const drainMs = this.options.drainMs ?? 30_000;
      this.watcher?.close();
      this.scheduler.stop();
      const inFlight = [...this.doors].reduce((n, d) => n + d.inFlight, 0);
      this.err(`\ngantry serve: stopping${inFlight ? ` after the ${inFlight} request${inFlight === 1 ? "" : "s"} in flight` : ""}; ` +
        "the containers then run their @exit hooks (Ctrl-C again to kill them)\n");
      await this.listener.close({ graceMs: drainMs });
      await Promise.all([...this.doors].map((d) => d.retire(1000)));
      await this.runtime.shutdown({ drainMs });
      this.removeRecord();
      this.err("gantry serve: stopped\n");
      this.resolveDone();
    })();
    return this.stopping;
  }

  /** A second Ctrl-C: kill every process now. */
  kill(): void {
    this.removeRecord();
    this.runtime?.kill();
    killAllFrontDoors();
    this.resolveDone();
  }

  // ---- requests

  private async handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path.startsWith(OPS_PREFIX)) {
      return handleOps(request, { token: this.opsToken, logs: this.logs, status: () => this.status() });
    }
    // other local apps calling this one (gantry run client.ts, runtime/serve/calls.ts)
    if (path === CALLS_PATH) {
      return handleCalls(request, {
        token: this.opsToken,
        call: async (req) => {
          const reply = await this.runtime.callRequest(req);
          if (req.op === "spawn" && reply.ok) this.forgetLater(req.id);
          return reply;
        },
      });
    }
    const door = this.current;
    if (!door) return errorResponse(503, "Unavailable", "the app is not loaded", {}, { "retry-after": "1" });
    try {
      return await door.fetch(request);
    } catch (e) {
      return errorResponse(502, "BadGateway", `the app's front door did not answer: ${(e as Error).message}`);
    }
  }

  private readonly host: FrontDoorHost = {
    spawn: async (target, args) => {
      const id = await this.runtime.spawn(target, args);
      this.forgetLater(id);
      return id;
    },
    result: (callId, timeoutMs) => this.runtime.result(callId, { timeoutMs }),
    forward: (target, request) => this.runtime.forward(target, request),
    mask: (text) => this.mask(text),
  };

  /** A spawned call is kept for its result (URL) for a while after it ends, then forgotten (a server spawns many). */
  private forgetLater(id: string): void {
    void this.runtime.result(id).catch(() => {}).finally(() => {
      setTimeout(() => this.runtime.forget(id), RESULT_RETENTION_MS).unref();
    });
  }

  /** Secret values masked as the AWS container's logger does (runtime/secret-mask.ts). */
  private mask(text: string): string {
    if (!this.spec) return text;
    return appSecretMask({ spec: this.spec, appFile: this.options.appFile, secretValues: this.secretValues}).mask(text);
  }

  // ---- gantry logs / gantry status

  /** Container output goes where it always did, and into the log buffer. */
  private outputSink(): OutputSink {
    const print = this.options.output ?? processOutput;
    return {
      stdout: (line, source) => {
        print.stdout(line, source);
        if (source) this.logs.add("stdout", source);
      },
      stderr: (line, source) => {
        print.stderr(line, source);
        if (source) this.logs.add("stderr", source);
      },
    };
  }

  status(): ServeStatus {
    return {
      app: this.spec.app.name,
      appFile: this.options.appFile,
      url: this.listener.url,
      pid: process.pid,
      startedAt: this.startedAt.toISOString(),
      pools: this.runtime.status(),
      schedules: this.scheduler.snapshot().map((s) => ({ ...s, last: this.lastRuns.get(s.name) ?? null })),
    };
  }

  private writeRecord(): void {
    try {
      writeRecord(this.runtime.stateDir, {
        app: this.spec.app.name, appFile: this.options.appFile, url: this.listener.url, pid: process.pid,
        token: this.opsToken, startedAt: this.startedAt.toISOString(),
      });
      this.recorded = true;
    } catch (e) {
      this.err(`gantry serve: could not write the server record (gantry logs / gantry status will not find this server): ${(e as Error).message}\n`);
    }
  }

  private removeRecord(): void {
    if (!this.recorded) return;
    this.recorded = false;
    try {
      removeRecord(this.runtime.stateDir, this.options.appFile);
    } catch {
      // best effort: a record whose process is gone counts as none
    }
  }

  /**
   * `mask` reads the secret stores again on every call; a server printing many lines reuses the
   * mask for a second (a container sees its secrets' values as they were when it started).
   */
  private logMask(text: string): string {
    if (!this.spec) return text;
    const now = Date.now();
    if (!this.cachedMask || now - this.cachedMask.at > 1000) {
      const mask = appSecretMask({ spec: this.spec, appFile: this.options.appFile, secretValues: this.secretValues });
      this.cachedMask = { at: now, mask: (t) => mask.mask(t) };
    }
    return this.cachedMask.mask(text);
  }

  // ---- versions of the app

  private startFrontDoor(): Promise<Started> {
    return FrontDoor.start({
      generation: ++this.generation,
      appFile: this.options.appFile,
      tokens: [this.token],
      signingKey: this.signingKey,
      color: this.options.color,
      cwd: process.cwd(),
      ...(this.options.syncWindowMs !== undefined ? { syncWindowMs: this.options.syncWindowMs } : {}),
      host: this.host,
      env: this.env,
    });
  }

  private adopt(door: FrontDoor): void {
    this.current = door;
    this.doors.add(door);
    void door.exited.then(() => this.doors.delete(door));
    door.onUnexpectedExit = (code, signal) => {
      if (this.stopping || door !== this.current) return;
      this.err(`gantry serve: the app's front door exited unexpectedly (${signal ?? `code ${code}`})\n`);
      if (++this.restarts <= MAX_RESTARTS) this.reload("restarting it");
      else this.err("gantry serve: not restarting it again until a file changes\n");
    };
  }

  private reload(why: string): void {
    if (this.stopping) return;
    if (this.reloading) {
      this.reloadAgain = [...(this.reloadAgain ?? []), why];
      return;
    }
    this.reloading = (async () => {
      let reason: string | null = why;
      while (reason !== null && !this.stopping) {
        await this.reloadOnce(reason);
        reason = this.reloadAgain ? this.reloadAgain.join("; ") : null;
        this.reloadAgain = null;
      }
      this.reloading = null;
    })();
  }

  private async reloadOnce(why: string): Promise<void> {
    const started = performance.now();
    this.out(`\ngantry serve: ${why}; reloading\n`);
    const result = await this.startFrontDoor();
    if (this.stopping) {
      if (result.ok) result.door.kill();
      return;
    }
    if (!result.ok) {
      this.err(failureText(result.failure));
      this.err(`gantry serve: still serving the last good version; fix the ${result.failure.reason === "diagnostics" ? "errors" : "error"} and save again\n`);
      // also watch files the broken version imports (a fix may be there)
      this.watcher?.set([...(this.watcher?.watched ?? []), ...result.failure.files]);
      return;
    }
    const { door, ready } = result;
    if (ready.diagnostics) this.err(ready.diagnostics);
    this.restarts = 0;
    const previous = this.current;
    // new calls run in new containers from now on; the old ones finish theirs, then run @exit
    void this.runtime.reload(ready.spec, ready.secretValues);
    this.adopt(door);
    void previous?.retire(RETIRE_MAX_MS);
    const routesChanged = JSON.stringify(ready.routes) !== JSON.stringify(this.routes);
    const oldSchedules = JSON.stringify(this.spec.functions.map((f) => [f.name, f.schedule]));
    this.spec = ready.spec;
    this.secretValues = ready.secretValues;
    this.routes = ready.routes;
    this.scheduler.update(this.spec);
    this.watcher?.set(ready.files);
    this.out(`gantry serve: reloaded in ${Math.round(performance.now() - started)} ms\n`);
    if (routesChanged) this.out(`${routeLines(this.routes, this.listener.url).join("\n")}\n`);
    if (oldSchedules !== JSON.stringify(this.spec.functions.map((f) => [f.name, f.schedule]))) {
      const lines = this.scheduler.describe();
      this.out(lines.length ? `schedules:\n${lines.map((l) => `  ${l}\n`).join("")}` : "schedules: none\n");
    }
  }

  // ---- schedules

  private async runScheduled(name: string): Promise<RunOutcome> {
    const at = new Date().toISOString();
    const outcome = await this.runScheduledOnce(name);
    this.lastRuns.set(name, { at, ok: outcome.ok, summary: outcome.summary, ms: Math.round(outcome.ms) });
    return outcome;
  }

  private async runScheduledOnce(name: string): Promise<RunOutcome> {
    const started = performance.now();
    const ms = () => performance.now() - started;
    try {
      const value = await this.runtime.remote({ app: this.spec.app.name, name }, []);
      return { ok: true, summary: summarize(value), ms: ms() };
    } catch (e) {
      const error = e as Error;
      return { ok: false, summary: this.mask(`${error?.name ?? "Error"}: ${error?.message ?? String(e)}`), ms: ms() };
    }
  }

  /** relative to the working directory when the file is under it */
  private rel(file: string): string {
    const rel = relative(process.cwd(), file);
    return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
  }
}

/** Diagnostics as the analysis formats them; other failures as one "gantry serve:" message. */
function failureText(failure: FailedMessage): string {
  const text = failure.text.endsWith("\n") ? failure.text : `${failure.text}\n`;
  return failure.reason === "diagnostics" ? text : `gantry serve: ${text}`;
}

function summarize(value: unknown): string {
  const text = inspect(value, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 200 });
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
