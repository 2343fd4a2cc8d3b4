/**
 * The supervisor's handle on one local container: a real child process
 * (`node --import tsx runtime/local/container-main.ts`) with the message pipe on fd 3. Its
 * stdout and stderr are forwarded line by line, prefixed with the container's label.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Duplex } from "node:stream";
import { Channel } from "./channel.ts";
import type { Call } from "./call.ts";
import type { BootInfo, ContainerRequest, FromContainer, ToContainer } from "./protocol.ts";
import { namespaceCommand } from "./namespace.ts";

// .ts from the sources (tests, a checkout), .js from the built package
const CONTAINER_MAIN = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "./container-main.ts" : "./container-main.js", import.meta.url));
const TSX_LOADER = import.meta.resolve("tsx");
/** How long after a container's exit its pipe may still deliver messages. */
const PIPE_DRAIN_MS = 1000;

export type ContainerState = "starting" | "ready" | "stopping" | "exited";

export interface ContainerEvents {
  ready(c: Container): void;
  setupFailed(c: Container, error: Uint8Array): void;
  output(c: Container, message: Extract<FromContainer, { t: "out" }>): void;
  request(c: Container, rid: number, request: ContainerRequest): void;
  exit(c: Container, code: number | null, signal: NodeJS.Signals | null): void;
}

/** Where container output goes; the default writes to this process's stdout/stderr. */
export interface OutputSink {
  /** `line` is prefixed with the container; `source` says whose it is (`gantry serve` keeps it for `gantry logs`) */
  stdout(line: string, source?: OutputSource): void;
  stderr(line: string, source?: OutputSource): void;
}

/** One line of a container's output, unprefixed, with the calls it held when it printed it. */
export interface OutputSource {
  container: string;
  text: string;
  /** ids of the calls in flight in the container at that moment (one, unless it runs several at once) */
  calls: string[];
}

export const processOutput: OutputSink = {
  stdout: (line) => void process.stdout.write(line + "\n"),
  stderr: (line) => void process.stderr.write(line + "\n"),
};

export class Container {
  state: ContainerState = "starting";
  /** dispatch id -> call, for the inputs this container is working on */
  readonly inflight = new Map<string, Call>();
  /** it reported that its setup (app import, `@enter`) failed */
  setupFailed = false;
  readonly child: ChildProcess;
  readonly pid: number;
  /** why the supervisor killed it, when it did ("timeout", "shutdown"...) */
  killedFor: string | null = null;
  /** the input that ended this container (it called `process.exit`): its other inputs are innocent */
  endedBy: Call | null = null;
  /** the supervisor asked it to stop (scale-down, shutdown) */
  stopRequested = false;
  /** when it became ready (ms since epoch) */
  readyAt: number | null = null;
  idleTimer: NodeJS.Timeout | null = null;
  /** when its last input finished */
  idleSince = Date.now();
  readonly exited: Promise<void>;
  /** the last lines of stderr, to explain a container that died during startup */
  readonly stderrTail: string[] = [];
  private readonly channel: Channel<FromContainer, ToContainer>;

  constructor(
    readonly label: string,
    boot: BootInfo,
    env: NodeJS.ProcessEnv,
    cwd: string,
    events: ContainerEvents,
    output: OutputSink,
  ) {
    // GANTRY_CONTAINER_NODE_ARGS: extra node flags for containers (`--inspect`, `--cpu-prof`...)
    const extra = (process.env.GANTRY_CONTAINER_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
    const command = [process.execPath, ...extra, "--import", TSX_LOADER, CONTAINER_MAIN];
    // in a mount namespace, child processes see the volumes at their paths (namespace.ts)
    const launch = boot.childMounts.mode === "namespace"
      ? namespaceCommand(boot.childMounts.root, boot.childMounts.bound, cwd, command)
      : { file: command[0], args: command.slice(1) };
    this.child = spawn(launch.file, launch.args, {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    this.pid = this.child.pid ?? -1;
    const pipe = this.child.stdio[3] as Duplex;
    this.channel = new Channel<FromContainer, ToContainer>(pipe, (message) => {
      switch (message.t) {
        case "ready":
          if (this.state === "starting") this.state = "ready";
          this.readyAt = Date.now();
          events.ready(this);
          return;
        case "setup-failed":
          events.setupFailed(this, message.e);
          return;
        case "out":
          events.output(this, message);
          return;
        case "req":
          events.request(this, message.rid, message.req);
          return;
      }
    });
    const prefix = `[${label}]`;
    const source = (text: string): OutputSource => ({ container: label, text, calls: [...new Set([...this.inflight.values()].map((c) => c.id))] });
    createInterface({ input: this.child.stdout! }).on("line", (line) => output.stdout(`${prefix} ${line}`, source(line)));
    createInterface({ input: this.child.stderr! }).on("line", (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
      // the container's own structured logs stay JSON lines (they name the container already)
      output.stderr(line.startsWith('{"level":') ? line : `${prefix} ${line}`, source(line));
    });
    this.exited = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.state === "exited") return;
        this.state = "exited";
        if (this.idleTimer) clearTimeout(this.idleTimer);
        this.channel.destroy();
        events.exit(this, code, signal);
        resolve();
      };
      // what the container wrote to the pipe just before it died (the input that ended it, say) is
      // read before its exit is handled; bounded, since a grandchild may hold the pipe open
      this.child.once("exit", (code, signal) => {
        const late = setTimeout(() => finish(code, signal), PIPE_DRAIN_MS);
        this.channel.onClose(() => {
          clearTimeout(late);
          finish(code, signal);
        });
      });
      this.child.once("error", (err) => {
        this.stderrTail.push(String(err));
        output.stderr(`${prefix} ${err.message}`);
        // a process that could not be spawned never emits "exit"
        if (this.child.pid === undefined) finish(1, null);
      });
    });
    this.send({ t: "boot", boot });
  }

  send(message: ToContainer): void {
    this.channel.send(message);
  }

  /** Asks the container to stop: drain for `drainMs`, run `@exit` hooks, exit. Killed after `graceMs`. */
  stop(drainMs: number, graceMs: number): Promise<void> {
    if (this.state === "exited") return this.exited;
    if (!this.stopRequested) {
      this.stopRequested = true;
      this.state = "stopping";
      this.send({ t: "stop", drainMs });
      const timer = setTimeout(() => this.kill("stop-timeout"), drainMs + graceMs);
      timer.unref();
      void this.exited.then(() => clearTimeout(timer));
    }
    return this.exited;
  }

  kill(reason: string): void {
    if (this.state === "exited") return;
    this.killedFor ??= reason;
    this.state = "stopping";
    this.child.kill("SIGKILL");
  }
}
