/**
 * One autoscaling pool of local containers: a function, or one parameter set of one class variant.
 *
 * - Calls wait in a queue and are pushed to ready containers, never more than a container's slots
 *   (`@concurrent` maxInputs, at least the largest `@batched` size). Pools with batched methods fill
 *   the busiest container first so batches fill up; others spread to the least busy.
 * - Containers are started while the load (queued + running) needs more than `targetInputs` per
 *   container (+ `bufferContainers` while busy), up to `maxContainers`; `minContainers` stay up.
 *   A container idle for `scaledownWindow` exits (its `@exit` hooks run) unless it is needed.
 * - What a failure and a crash do is runtime/delivery.ts's rule: failures of the user's code (an
 *   error, a timeout) are retried with the configured backoff, then reported. A timed-out attempt
 *   kills its container: JavaScript cannot be interrupted, so the process is recycled. A container
 *   that dies (crash, `kill -9`) has its inputs redelivered to another container without charging
 *   an attempt (up to MAX_REDELIVERIES times per input). When the container names the input that
 *   ended it (`process.exit` inside it, or an event loop it blocked past its timeout), only that
 *   input is charged; the others are redelivered, neither charged nor counted as a crash.
 */
import type { EventEmitter } from "node:events";
import type { RetriesSpec } from "../../synth/spec.ts";
import { APP_IMPORT_ALLOWANCE_MS, afterCrash, afterFailure, countsAsCrash, type Ending } from "../delivery.ts";
import { decodeError, encodeError } from "../serialize.ts";
import { ContainerCrashedError, ContainerSetupError, FunctionTimeoutError, InputCancelledError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { Container, type ContainerEvents, type OutputSink } from "./container.ts";
import type { Call, CallOutcome } from "./call.ts";
import type { BootInfo, ContainerRequest } from "./protocol.ts";

// the rules live in runtime/delivery.ts; re-exported for the modules that imported them from here
export { MAX_REDELIVERIES, retryDelayMs } from "../delivery.ts";
/**
 * The supervisor kills an attempt this long after its timeout when the worker did not report it.
 * Generous: a container whose event loop an input blocks names the culprit itself first (its
 * watchdog, runtime/worker/watchdog.ts), which charges only that input.
 */
const BACKSTOP_GRACE_MS = 5000;

export interface AutoscaleConfig {
  minContainers: number;
  /** resolved: the spec's bound, or the local cap when unbounded */
  maxContainers: number;
  bufferContainers: number;
  scaledownWindowMs: number;
}

export interface PoolConfig {
  key: string;
  /** the function or class variant: `square`, `Model[gpu=H100]` */
  declaration: string;
  /** `square`, `Model`, `Model[gpu=H100]`, with a parameter digest when the class has parameters */
  label: string;
  boot: Omit<BootInfo, "label">;
  env: NodeJS.ProcessEnv;
  cwd: string;
  timeoutMs: number;
  retries: RetriesSpec;
  /** inputs one container may hold at once */
  slots: number;
  /** inputs per container the autoscaler aims for */
  targetInputs: number;
  /** batching pools fill one container before the next */
  fillFirst: boolean;
  autoscale: AutoscaleConfig;
  /** how long a stopping container may take to run its `@exit` hooks before it is killed */
  stopGraceMs: number;
  /**
   * No container starts before this settles (calls queue meanwhile). `gantry serve` uses it so a
   * reloaded webServer waits for the old one to release its port.
   */
  startAfter?: Promise<unknown>;
}

export interface PoolHost {
  events: EventEmitter;
  log: Logger;
  output: OutputSink;
  /** nested calls and Dict/Queue/Volume operations from code inside a container */
  request(container: Container, request: ContainerRequest): Promise<RequestReply>;
  /** the call is done and nobody will ask for it by id */
  forget(call: Call): void;
}

export type RequestReply = { ok: true; v?: Uint8Array } | { ok: false; e: Uint8Array };

export class Pool {
  private queue: Call[] = [];
  private readonly retrying = new Set<Call>();
  readonly containers = new Set<Container>();
  private running = 0;
  private started = 0;
  private dispatches = 0;
  /** calls that failed with no attempts left (what a deployed unit dead-letters) */
  private failedCalls = 0;
  private stopping = false;
  /** no container may start yet (config.startAfter has not settled) */
  private gated = false;
  /** set by retire(): resolved once the pool has finished its work and its containers stopped */
  private retirement: { promise: Promise<void>; resolve(): void } | null = null;
  private readonly containerEvents: ContainerEvents;

  constructor(readonly config: PoolConfig, private readonly host: PoolHost) {
    this.containerEvents = {
      ready: (c) => this.onReady(c),
      setupFailed: (c, e) => this.onSetupFailed(c, e),
      output: (c, m) => this.onOutput(c, m),
      request: (c, rid, req) => this.onRequest(c, rid, req),
      exit: (c, code, signal) => this.onExit(c, code, signal),
    };
    if (config.startAfter) {
      this.gated = true;
      void config.startAfter.catch(() => {}).then(() => {
        this.gated = false;
        this.pump();
      });
    }
    this.pump(); // minContainers
  }

  submit(call: Call): void {
    if (this.stopping) {
      this.finish(call, failure(new InputCancelledError(`${call.label}: the app is stopping`)));
      return;
    }
    call.state = "queued";
    this.queue.push(call);
    this.pump();
  }

  cancel(call: Call): void {
    if (call.state === "done") return;
    call.cancelled = true;
    if (call.state === "queued") {
      const i = this.queue.indexOf(call);
      if (i >= 0) this.queue.splice(i, 1);
    } else if (call.state === "retry-wait") {
      if (call.retryTimer) clearTimeout(call.retryTimer);
      this.retrying.delete(call);
    } else if (call.state === "running" && call.container && call.dispatchId) {
      // the container drops it (or discards its result); its slot comes back when it reports
      call.container.send({ t: "cancel", id: call.dispatchId });
    }
    this.finish(call, failure(new InputCancelledError(`${call.label}: call ${call.id} was cancelled`)));
    this.retireWhenDone();
  }

  updateAutoscaler(settings: Partial<Omit<AutoscaleConfig, "scaledownWindowMs">> & { scaledownWindowMs?: number }): void {
    Object.assign(this.config.autoscale, Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)));
    this.pump();
    for (const c of this.containers) {
      if (c.state !== "ready" || c.inflight.size > 0) continue;
      if (c.idleTimer) clearTimeout(c.idleTimer);
      c.idleTimer = null;
      this.armIdle(c, false);
    }
  }

  /**
   * Takes the pool out of service (`gantry serve` reloaded the app): the runtime sends it no new
   * calls, it finishes those it holds (queued, running, waiting to retry), then stops its
   * containers (their `@exit` hooks run). Resolves when they have exited.
   */
  retire(): Promise<void> {
    if (!this.retirement) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.retirement = { promise, resolve };
      this.config.autoscale.minContainers = 0;
      this.config.autoscale.bufferContainers = 0;
      this.pump();
    }
    return this.retirement.promise;
  }

  /** Stops every container (their `@exit` hooks run); calls not finished fail as cancelled. */
  async shutdown(drainMs: number): Promise<void> {
    this.stopping = true;
    const why = (call: Call) => failure(new InputCancelledError(`${call.label}: the app stopped before the call finished`));
    for (const call of this.queue.splice(0)) this.finish(call, why(call));
    for (const call of this.retrying) {
      if (call.retryTimer) clearTimeout(call.retryTimer);
      this.finish(call, why(call));
    }
    this.retrying.clear();
    await Promise.all([...this.containers].map((c) => c.stop(drainMs, this.config.stopGraceMs)));
    this.retirement?.resolve();
  }

  /** Kills every container now (a second Ctrl-C). */
  killAll(): void {
    this.stopping = true;
    for (const c of this.containers) c.kill("shutdown");
  }

  stats(): { queued: number; running: number; containers: number; ready: number; retrying: number; failed: number } {
    let ready = 0;
    for (const c of this.containers) if (c.state === "ready") ready++;
    return { queued: this.queue.length, running: this.running, containers: this.containers.size, ready, retrying: this.retrying.size, failed: this.failedCalls };
  }

  // ---- scheduling

  private pump(): void {
    if (this.stopping) return;
    while (this.queue.length > 0) {
      const container = this.pickContainer();
      if (!container) break;
      this.dispatch(this.queue.shift()!, container);
    }
    this.scale();
    this.retireWhenDone();
  }

  /** A retired pool with nothing left to do stops its containers. */
  private retireWhenDone(): void {
    if (!this.retirement || this.stopping) return;
    if (this.queue.length > 0 || this.running > 0 || this.retrying.size > 0) return;
    this.stopping = true;
    const done = this.retirement.resolve;
    void Promise.all([...this.containers].map((c) => c.stop(0, this.config.stopGraceMs))).then(done);
  }

  private pickContainer(): Container | null {
    let best: Container | null = null;
    for (const c of this.containers) {
      if (c.state !== "ready" || c.inflight.size >= this.config.slots) continue;
      if (!best) best = c;
      else if (this.config.fillFirst ? c.inflight.size > best.inflight.size : c.inflight.size < best.inflight.size) best = c;
    }
    return best;
  }

  private dispatch(call: Call, container: Container): void {
    const id = `${call.id}#${++this.dispatches}`;
    call.state = "running";
    call.container = container;
    call.dispatchId = id;
    container.inflight.set(id, call);
    this.running++;
    const { timeoutMs } = this.config;
    container.send({ t: "in", id, call: call.id, m: call.target.method ?? null, a: call.payload, n: call.attempt, to: timeoutMs,
      ...(call.kind === "http" ? { k: "http" as const } : {}) });
    call.backstop = setTimeout(() => this.onBackstop(call, container, id), timeoutMs + BACKSTOP_GRACE_MS);
    if (this.host.events.listenerCount("input:dispatch") > 0) {
      this.host.events.emit("input:dispatch", { pool: this.config.label, callId: call.id, attempt: call.attempt, container: container.label, pid: container.pid });
    }
  }

  /** The load the autoscaler sizes for: queued + running inputs. */
  private desired(): number {
    const { minContainers, maxContainers, bufferContainers } = this.config.autoscale;
    const load = this.queue.length + this.running;
    const need = Math.ceil(load / this.config.targetInputs) + (load > 0 ? bufferContainers : 0);
    // maxContainers bounds spend: it wins over minContainers
    return Math.min(maxContainers, Math.max(minContainers, need));
  }

  private live(): number {
    let n = 0;
    for (const c of this.containers) if (c.state === "starting" || c.state === "ready") n++;
    return n;
  }

  private scale(): void {
    if (this.gated) return;
    for (let live = this.live(), want = this.desired(); live < want; live++) this.startContainer();
  }

  private startContainer(): void {
    const label = `${this.config.label}#${++this.started}`;
    const c = new Container(label, { ...this.config.boot, label }, this.config.env, this.config.cwd, this.containerEvents, this.host.output);
    this.containers.add(c);
    // a container stuck before ready (an import or @enter hook that never returns, even
    // synchronously) is killed and reported as a setup failure
    const startupMs = Math.max(this.config.boot.setupTimeoutMs, APP_IMPORT_ALLOWANCE_MS) + BACKSTOP_GRACE_MS;
    const startup = setTimeout(() => {
      if (c.readyAt !== null || c.state !== "starting") return;
      this.onSetupFailed(c, encodeError(new Error(`the container did not become ready within ${startupMs / 1000} s (importing the app and running @enter hooks)`)));
      c.kill("startup-timeout");
    }, startupMs);
    startup.unref();
    void c.exited.then(() => clearTimeout(startup));
    this.host.log.debug({ container: label, containerPid: c.pid }, "container starting");
    this.host.events.emit("container:start", { pool: this.config.label, container: label, pid: c.pid });
  }

  /**
   * Scale-down: a container idle for `scaledownWindow` stops unless the pool needs it. One lazy
   * timer per container (re-armed for the time left when it fires early), not one per input.
   */
  private armIdle(c: Container, resetSince = true): void {
    if (resetSince) c.idleSince = Date.now();
    if (this.stopping || c.state !== "ready" || c.idleTimer) return;
    const check = () => {
      c.idleTimer = null;
      if (this.stopping || c.state !== "ready" || c.inflight.size > 0) return;
      const left = c.idleSince + this.config.autoscale.scaledownWindowMs - Date.now();
      if (left > 0) {
        c.idleTimer = setTimeout(check, left);
        c.idleTimer.unref();
      } else if (this.live() > this.desired()) {
        this.host.log.debug({ container: c.label }, "container idle: scaling down");
        this.host.events.emit("container:idle", { pool: this.config.label, container: c.label, pid: c.pid });
        void c.stop(0, this.config.stopGraceMs);
      }
    };
    c.idleTimer = setTimeout(check, this.config.autoscale.scaledownWindowMs);
    c.idleTimer.unref();
  }

  // ---- outcomes

  private release(c: Container, id: string, call: Call): void {
    c.inflight.delete(id);
    this.running--;
    if (call.backstop) clearTimeout(call.backstop);
    call.backstop = null;
    call.container = null;
    call.dispatchId = null;
    if (c.inflight.size === 0) this.armIdle(c);
  }

  private finish(call: Call, outcome: CallOutcome): void {
    if (call.state === "done") return;
    call.settle(outcome);
    if (!call.keep) this.host.forget(call);
  }

  /** A failure of the user's code: retry with backoff while attempts are left. */
  private fail(call: Call, error: Uint8Array, reason: string): void {
    if (call.state === "done") return;
    const next = afterFailure(this.config.retries, call.attempt);
    if (next.kind === "fail" || this.stopping || call.kind === "http") {
      if (next.kind === "fail" && !this.stopping && call.kind !== "http" && !call.cancelled) this.failedCalls++;
      this.finish(call, { ok: false, error });
      return;
    }
    const { delayMs } = next;
    call.state = "retry-wait";
    this.retrying.add(call);
    this.host.log.info({ call: call.id, attempt: call.attempt, delayMs, reason }, `${call.label} failed; retrying`);
    this.host.events.emit("input:retry", { pool: this.config.label, callId: call.id, attempt: call.attempt, delayMs, reason });
    call.retryTimer = setTimeout(() => {
      call.retryTimer = null;
      this.retrying.delete(call);
      if (call.state !== "retry-wait") return;
      call.attempt++;
      this.submit(call);
    }, delayMs);
  }

  private onReady(c: Container): void {
    this.host.events.emit("container:ready", { pool: this.config.label, container: c.label, pid: c.pid });
    this.pump();
    if (c.inflight.size === 0) this.armIdle(c);
  }

  private onOutput(c: Container, message: { id: string; s: "ok" | "error" | "cancelled"; v?: Uint8Array; e?: Uint8Array; timedOut?: boolean; ended?: boolean }): void {
    const call = c.inflight.get(message.id);
    if (!call) return;
    // this input ended its container (process.exit): the container's other inputs are innocent
    if (message.ended) c.endedBy = call;
    this.release(c, message.id, call);
    if (message.s === "ok") this.finish(call, { ok: true, value: message.v! });
    else if (message.s === "error") {
      this.fail(call, message.e!, message.timedOut ? "timeout" : "error");
      // the timed-out work is still running in there: recycle the process
      if (message.timedOut) c.kill("timeout");
    }
    this.pump();
  }

  private onBackstop(call: Call, c: Container, id: string): void {
    if (c.inflight.get(id) !== call) return;
    if (c.inflight.size > 1) {
      // the container is unresponsive with several inputs in it and did not say which one blocks
      // it: none is charged (every input in flight counts a crash, like a kill -9)
      this.host.log.warn({ call: call.id, container: c.label }, `${c.label} is unresponsive past ${call.label}'s timeout; killing it`);
      c.kill("unresponsive");
      return;
    }
    this.release(c, id, call);
    const seconds = this.config.timeoutMs / 1000;
    this.host.log.warn({ call: call.id, container: c.label }, `${call.label} timed out after ${seconds} s; killing its container`);
    this.fail(call, encodeError(new FunctionTimeoutError(`${call.label} timed out after ${seconds} s (attempt ${call.attempt})`)), "timeout");
    c.kill("timeout");
    this.pump();
  }

  private onSetupFailed(c: Container, error: Uint8Array): void {
    c.setupFailed = true;
    const remote = decodeError(error);
    const wrapped = new ContainerSetupError(`${c.label}: container setup failed: ${remote.name}: ${remote.message}`);
    wrapped.stack = `${wrapped.name}: ${wrapped.message}\n${(remote.stack ?? "").split("\n").slice(1).join("\n")}`;
    (wrapped as Error & { cause?: unknown }).cause = remote;
    this.host.log.error({ container: c.label, err: remote }, "container setup failed");
    const bytes = encodeError(wrapped);
    // the inputs waiting for this pool fail this attempt (and retry per the policy)
    for (const call of this.queue.splice(0)) this.fail(call, bytes, "setup");
  }

  private onRequest(c: Container, rid: number, request: ContainerRequest): void {
    this.host.request(c, request).then(
      (reply) => c.send({ t: "res", rid, ...reply }),
      (err) => c.send({ t: "res", rid, ok: false, e: encodeError(err) }),
    );
  }

  private onExit(c: Container, code: number | null, signal: NodeJS.Signals | null): void {
    this.containers.delete(c);
    // a container the supervisor killed as unresponsive died like a crashed one: nobody was named
    const crashed = !c.stopRequested && (c.killedFor === null || c.killedFor === "unresponsive") && c.endedBy === null;
    const reason = c.killedFor ?? (c.setupFailed ? "setup-failed" : c.stopRequested ? "stopped" : c.endedBy ? "ended-by-input" : "crash");
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (crashed && c.killedFor === null && !c.setupFailed && c.readyAt === null && !signal) {
      // exited while starting without saying why: a setup failure, explained by its stderr
      // (killed by a signal while starting is a crash: the next container just starts)
      this.onSetupFailed(c, encodeError(new Error(`the container exited during startup (${how})\n${c.stderrTail.join("\n")}`)));
    }
    for (const [id, call] of [...c.inflight]) {
      this.release(c, id, call);
      if (call.state === "done") continue;
      if (this.stopping) {
        this.finish(call, failure(new InputCancelledError(`${call.label}: the app stopped while the call was running`)));
        continue;
      }
      if (call.kind === "http") {
        // a forwarded request may have had effects already: its answer is the failure, not a second try
        this.finish(call, failure(new ContainerCrashedError(`${call.label}: the container exited (${how}) while handling the request`)));
        continue;
      }
      const ending: Ending = crashed ? "crash" : "innocent";
      if (countsAsCrash(ending) && afterCrash(++call.crashes).kind === "fail") {
        this.finish(call, failure(new ContainerCrashedError(
          `${call.label}: the container running this input died ${call.crashes} times (last: ${how})`)));
        continue;
      }
      this.host.log.warn({ call: call.id, container: c.label, reason }, `${c.label} exited (${how}) while running ${call.label}; redelivering the input`);
      this.host.events.emit("input:redeliver", { pool: this.config.label, callId: call.id, container: c.label, reason });
      call.state = "queued";
      this.queue.unshift(call);
    }
    if (crashed) this.host.log.warn({ container: c.label, containerPid: c.pid }, `${c.label} exited unexpectedly (${how})`);
    this.host.events.emit("container:exit", { pool: this.config.label, container: c.label, pid: c.pid, code, signal, reason });
    this.pump();
  }
}

function failure(error: Error): CallOutcome {
  return { ok: false, error: encodeError(error) };
}
