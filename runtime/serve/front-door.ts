/**
 * The supervisor's handle on one front-door process (front-door-main.ts): starts it, answers its
 * calls with the local runtime, forwards HTTP requests to it, and retires it after a reload (once
 * the requests it holds are answered).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { CallTarget } from "../../sdk/invoker.ts";
import type { SerializedRequest, SerializedResponse } from "../web/backend.ts";
import { toWireError, type FailedMessage, type FromFrontDoor, type ReadyMessage, type StartMessage, type ToFrontDoor } from "./protocol.ts";
import { forwardHttp, Upstream } from "./proxy.ts";

// .ts from the sources (tests, a checkout), .js from the built package
const FRONT_DOOR_MAIN = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "./front-door-main.ts" : "./front-door-main.js", import.meta.url));
const TSX_LOADER = import.meta.resolve("tsx");

/** What the front door's calls run on: the supervisor's local runtime. */
export interface FrontDoorHost {
  spawn(target: CallTarget, args: unknown[]): Promise<string>;
  result(callId: string, timeoutMs: number): Promise<unknown>;
  forward(target: CallTarget, request: SerializedRequest): Promise<SerializedResponse>;
  /** masks secret values in an error's text before it crosses to the front door (its logs, its answers) */
  mask(text: string): string;
}

export interface FrontDoorOptions extends Omit<StartMessage, "t"> {
  generation: number;
  host: FrontDoorHost;
  env: NodeJS.ProcessEnv;
}

export type Started = { ok: true; door: FrontDoor; ready: ReadyMessage } | { ok: false; failure: FailedMessage };

/** Every front-door process not known to have exited (a second Ctrl-C kills them all). */
const live = new Set<ChildProcess>();

export function killAllFrontDoors(): void {
  for (const child of live) child.kill("SIGKILL");
}

export class FrontDoor {
  /** requests being forwarded to it */
  private active = 0;
  private idle: (() => void) | null = null;
  private upstream: Upstream | null = null;
  private retiring: Promise<void> | null = null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** it exited without being told to (not retired, not killed) */
  onUnexpectedExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | null = null;
  private expectedExit = false;

  private constructor(readonly generation: number, private readonly child: ChildProcess, private readonly host: FrontDoorHost) {
    live.add(child);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        live.delete(child);
        this.upstream?.close();
        if (!this.expectedExit) this.onUnexpectedExit?.(code, signal);
        resolve({ code, signal });
      });
    });
    child.on("message", (message: FromFrontDoor) => {
      if (message.t === "rpc") this.answer(message);
    });
  }

  /** Starts a front door for the app as it is on disk now; resolves when it serves, or why it could not. */
  static start(options: FrontDoorOptions): Promise<Started> {
    const { generation, host, env, ...start } = options;
    // GANTRY_CONTAINER_NODE_ARGS (--inspect, --cpu-prof...) is for containers, not for this process
    const child = spawn(process.execPath, ["--import", TSX_LOADER, FRONT_DOOR_MAIN], {
      env,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
    });
    const door = new FrontDoor(generation, child, host);
    return new Promise<Started>((resolve) => {
      const onMessage = (message: FromFrontDoor) => {
        if (message.t === "ready") {
          child.off("message", onMessage);
          door.upstream = new Upstream(new URL(message.url));
          resolve({ ok: true, door, ready: message });
        } else if (message.t === "failed") {
          child.off("message", onMessage);
          door.expectedExit = true;
          resolve({ ok: false, failure: message });
        }
      };
      child.on("message", onMessage);
      child.once("error", (err) => {
        door.expectedExit = true;
        resolve({ ok: false, failure: { t: "failed", reason: "error", text: `could not start a front door: ${err.message}`, files: [] } });
      });
      void door.exited.then(({ code, signal }) => {
        door.expectedExit = true;
        resolve({ ok: false, failure: { t: "failed", reason: "error", text: `the front door exited while starting (${signal ?? `code ${code}`})`, files: [] } });
      });
      door.send({ t: "start", ...start });
    });
  }

  /** Forwards one request; the front door is not retired while any is in flight. */
  async fetch(request: Request): Promise<Response> {
    if (!this.upstream) throw new Error("the front door is not ready");
    this.active++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (--this.active === 0) this.idle?.();
    };
    try {
      return await forwardHttp(this.upstream, request, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  get inFlight(): number {
    return this.active;
  }

  /**
   * Takes it out of service: waits until the requests it holds are answered (at most `maxWaitMs`),
   * then lets it exit (killed if it does not within a few seconds).
   */
  retire(maxWaitMs: number): Promise<void> {
    this.retiring ??= (async () => {
      this.expectedExit = true;
      if (this.active > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, maxWaitMs);
          timer.unref();
          this.idle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      this.send({ t: "drain", graceMs: 1000 });
      const killer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
      killer.unref();
      await this.exited;
      clearTimeout(killer);
    })();
    return this.retiring;
  }

  kill(): void {
    this.expectedExit = true;
    this.child.kill("SIGKILL");
  }

  private send(message: ToFrontDoor): void {
    if (!this.child.connected) return;
    this.child.send(message, undefined, {}, () => {});
  }

  private answer(message: Extract<FromFrontDoor, { t: "rpc" }>): void {
    let work: Promise<unknown>;
    try {
      work = message.op === "spawn" ? this.host.spawn(message.target, message.args)
        : message.op === "result" ? this.host.result(message.callId, message.timeoutMs)
        : this.host.forward(message.target, message.request);
    } catch (err) {
      work = Promise.reject(err);
    }
    work.then(
      (value) => {
        if (!this.child.connected) return;
        try {
          this.child.send({ t: "reply", rid: message.rid, ok: true, value } satisfies ToFrontDoor, undefined, {}, () => {});
        } catch (err) {
          // the value cannot be cloned across (the runtime checks results, so this is rare)
          this.send({ t: "reply", rid: message.rid, ok: false, error: { name: "ResultNotSerializable", message: (err as Error).message } });
        }
      },
      (err) => {
        const wire = toWireError(err);
        this.send({ t: "reply", rid: message.rid, ok: false, error: { name: this.host.mask(wire.name), message: this.host.mask(wire.message) } });
      },
    );
  }
}
