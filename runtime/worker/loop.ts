/**
 * The container-side input loop, the same over every transport:
 * 1. `@enter` hooks once, before any input (snap hooks first); a failure there is reported to the
 *    transport as a setup failure, never as an input error.
 * 2. Receive inputs, never more than the free concurrency slots; one slot per input, given back
 *    when that input's work has really settled (so a batch refills slots input by input).
 * 3. Run each input (through the batcher for `@batched` methods) under its timeout, and hand the
 *    transport exactly one outcome per input. User errors never stop the loop.
 * 4. Name the input that ends the container, over a transport that can say so (`endContainer`):
 *    each input runs in its own async context, so a `process.exit` called from an input's code,
 *    or an event loop blocked past an input's timeout (watchdog.ts), is pinned on that input. It is
 *    charged; the container's other inputs are handed back uncharged (runtime/delivery.ts).
 * 5. Stop when told to, when the transport closes, or after `idleExitMs` without work: drain the
 *    inputs that have no outcome yet, up to a budget (an input that already has one, such as a
 *    timed-out attempt that cannot be interrupted, is not waited for); hand the rest back to the
 *    transport; run `@exit` hooks once; wait for every outcome to be stored; close the transport.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeArgs, encodeError, encodeResult } from "../serialize.ts";
import { ContainerCrashedError, FunctionTimeoutError, InputCancelledError } from "../errors.ts";
import { exitMessage } from "../delivery.ts";
import { startWatchdog, type Watchdog } from "./watchdog.ts";
import { Batcher } from "./batcher.ts";
import { paramsKey } from "./params.ts";
import type { Outcome, Transport, WorkInput, WorkerControl } from "./transport.ts";
import type { WorkerTarget } from "./target.ts";
import type { SerializedRequest } from "../web/backend.ts";
import type { Logger } from "../log.ts";

export interface WorkerOptions {
  /** per-input timeout when the input carries none */
  timeoutMs?: number;
  /** bound on the `@enter` hooks */
  setupTimeoutMs?: number;
  /** stop after this long with nothing in flight (the supervisor decides locally, so unset there) */
  idleExitMs?: number;
  /**
   * Called after a timed-out input was reported. Its work cannot be interrupted inside this process,
   * so the host recycles the process (locally the supervisor kills it; on AWS the worker exits).
   */
  onTimeout?(input: WorkInput): void;
  log?: Logger;
}

/** Stack frames of the runtime itself (this directory, runtime/local, node internals), dropped from errors sent back. */
const RUNTIME_DIR = fileURLToPath(new URL("../", import.meta.url));
const RUNTIME_FRAMES = new RegExp(
  `${escapeRegExp(join(RUNTIME_DIR, "worker") + sep)}|${escapeRegExp(join(RUNTIME_DIR, "local") + sep)}|\\(node:internal/|at node:internal/`,
);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export type WorkerExit = "stopped" | "closed" | "idle" | "setup-failed";

interface Running {
  input: WorkInput;
  cancelled: boolean;
  timedOut: boolean;
  reported: boolean;
  /** when its timeout ends (ms since epoch); null without one */
  deadline: number | null;
}

/** The input whose code is running: every input runs in its own async context. */
const current = new AsyncLocalStorage<Running>();

export function runWorker(target: WorkerTarget, transport: Transport, options: WorkerOptions = {}): Promise<WorkerExit> {
  return new WorkerLoop(target, transport, options).run();
}

class WorkerLoop implements WorkerControl {
  private free: number;
  private readonly running = new Map<string, Running>();
  /** one per method and parameter set */
  private readonly batchers = new Map<string, Batcher>();
  /** `complete` calls still in progress: awaited before the transport closes */
  private readonly reporting = new Set<Promise<void>>();
  private stopRequest: { drainMs: number; reason: string } | null = null;
  /** aborted when the loop must stop: a pending receive returns what it has */
  private readonly receiving = new AbortController();
  private wake: (() => void) | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private settled: (() => void) | null = null;
  /** an input is ending the container: nothing more is reported */
  private ending = false;
  private watchdog: Watchdog | null = null;
  private unguardExit: (() => void) | null = null;

  constructor(
    private readonly target: WorkerTarget,
    private readonly transport: Transport,
    private readonly options: WorkerOptions,
  ) {
    this.free = target.slots;
  }

  async run(): Promise<WorkerExit> {
    this.transport.attach?.(this);
    try {
      await withDeadline(this.target.setup(), this.options.setupTimeoutMs, () =>
        new FunctionTimeoutError(`@enter hooks did not finish within ${this.options.setupTimeoutMs} ms`));
    } catch (err) {
      this.options.log?.error({ err }, "container setup failed");
      await this.transport.setupFailed(encodeError(err, { dropFrames: RUNTIME_FRAMES }));
      await this.teardown();
      return "setup-failed";
    }
    await this.transport.ready();
    if (this.transport.endContainer) this.guard();

    let exit: WorkerExit = "stopped";
    this.armIdle();
    while (!this.stopRequest) {
      if (this.free === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      let inputs: WorkInput[] | null;
      try {
        inputs = await this.transport.receive(this.free, this.receiving.signal);
      } catch (err) {
        if (this.stopRequest) break;
        this.options.log?.warn({ err }, "receiving inputs failed; retrying in 1 s");
        await sleep(1000);
        continue;
      }
      if (inputs === null) {
        exit = "closed";
        break;
      }
      for (const input of inputs) this.start(input);
    }
    if (this.stopRequest?.reason === "idle") exit = "idle";
    this.disarmIdle();
    await this.drain();
    await this.handBack();
    await this.teardown();
    return exit;
  }

  // ---- WorkerControl

  cancel(inputId: string): void {
    const run = this.running.get(inputId);
    if (!run) return;
    run.cancelled = true;
    for (const batcher of this.batchers.values()) if (batcher.remove(run)) break;
  }

  stop(options: { drainMs?: number; reason?: string } = {}): void {
    if (this.stopRequest) {
      // a second, more urgent stop shortens the drain
      this.stopRequest.drainMs = Math.min(this.stopRequest.drainMs, options.drainMs ?? Infinity);
    } else {
      this.stopRequest = { drainMs: options.drainMs ?? Infinity, reason: options.reason ?? "stop" };
    }
    this.receiving.abort();
    this.wake?.();
    this.settled?.();
  }

  // ---- inputs

  private start(input: WorkInput): void {
    this.free--;
    this.disarmIdle();
    const timeoutMs = input.timeoutMs ?? this.options.timeoutMs;
    const deadline = timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs) ? Date.now() + timeoutMs : null;
    const run: Running = { input, cancelled: false, timedOut: false, reported: false, deadline };
    this.running.set(input.id, run);
    this.trackDeadlines();
    void current.run(run, () => this.execute(run));
  }

  // ---- an input that ends the container

  /** Pins `process.exit` and a blocked event loop on the input that caused them. */
  private guard(): void {
    const original = process.exit;
    const guarded = ((code?: number | string | null) => {
      const run = current.getStore();
      if (run && !run.reported && this.running.get(run.input.id) === run) {
        const label = this.target.label(run.input.method);
        const error = new ContainerCrashedError(exitMessage(label, code ?? process.exitCode, run.input.attempt));
        this.endContainer(run, { status: "error", error: encodeError(error), timedOut: false });
      }
      return original.call(process, code);
    }) as typeof process.exit;
    process.exit = guarded;
    this.unguardExit = () => {
      if (process.exit === guarded) process.exit = original;
    };
    this.watchdog = startWatchdog(() => this.blocked());
  }

  /**
   * Called by the watchdog on the paused main thread, in the async context of the code that blocks
   * it: true when that is an input past its deadline (it was charged, the container must die).
   */
  private blocked(): boolean {
    const run = current.getStore();
    if (!run || run.reported || run.deadline === null || Date.now() < run.deadline) return false;
    if (this.running.get(run.input.id) !== run) return false;
    const label = this.target.label(run.input.method);
    const error = new FunctionTimeoutError(`${label} timed out after ${(run.input.timeoutMs ?? this.options.timeoutMs ?? 0) / 1000} s (attempt ${run.input.attempt})`);
    this.options.log?.error({ callId: run.input.callId, fn: label }, "an input blocked the event loop past its timeout: ending the container");
    this.endContainer(run, { status: "error", error: encodeError(error), timedOut: true });
    return true;
  }

  /** Synchronous last words: the culprit's outcome and the innocent inputs, to the transport. */
  private endContainer(culprit: Running, outcome: Extract<Outcome, { status: "error" }>): void {
    if (this.ending) return;
    this.ending = true;
    const innocent = this.unreported().filter((r) => r !== culprit);
    for (const r of [culprit, ...innocent]) r.reported = true;
    try {
      this.transport.endContainer?.(culprit.input, outcome, innocent.map((r) => r.input));
    } catch (err) {
      this.options.log?.error({ err }, "could not report the input that ended the container");
    }
  }

  /** The watchdog watches the earliest deadline of the inputs without an outcome. */
  private trackDeadlines(): void {
    if (!this.watchdog) return;
    let earliest: number | null = null;
    for (const r of this.running.values()) {
      if (!r.reported && r.deadline !== null && (earliest === null || r.deadline < earliest)) earliest = r.deadline;
    }
    this.watchdog.setDeadline(earliest);
  }

  private async execute(run: Running): Promise<void> {
    const { input } = run;
    const label = this.target.label(input.method);
    const timeoutMs = input.timeoutMs ?? this.options.timeoutMs;
    const started = performance.now();
    let timer: NodeJS.Timeout | null = null;
    if (timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => {
        if (run.reported || this.ending) return;
        run.timedOut = true;
        const error = new FunctionTimeoutError(`${label} timed out after ${timeoutMs / 1000} s (attempt ${input.attempt})`);
        this.report(run, { status: "error", error: encodeError(error), timedOut: true });
        for (const batcher of this.batchers.values()) batcher.remove(run);
        this.options.onTimeout?.(input);
      }, timeoutMs);
    }
    let outcome: Outcome;
    try {
      const value = await this.work(input, run);
      outcome = { status: "ok", value: encodeResult(value, label) };
    } catch (err) {
      outcome = err instanceof InputCancelledError && run.cancelled
        ? { status: "cancelled" }
        : { status: "error", error: encodeError(err, { dropFrames: RUNTIME_FRAMES }), timedOut: false };
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (run.cancelled && outcome.status !== "cancelled") outcome = { status: "cancelled" };
    if (this.options.log?.isLevelEnabled("debug")) {
      this.options.log.debug({ callId: input.callId, fn: label, attempt: input.attempt, status: outcome.status,
        durationMs: Math.round(performance.now() - started) }, "input finished");
    }
    this.report(run, outcome);
    this.running.delete(input.id);
    this.free++;
    this.wake?.();
    if (this.running.size === 0) this.armIdle();
  }

  private work(input: WorkInput, run: Running): Promise<unknown> {
    const args = decodeArgs(input.payload);
    if (input.kind === "http") {
      if (!this.target.forward) throw new TypeError(`${this.target.label(input.method)} does not serve HTTP requests`);
      return this.target.forward(args[0] as SerializedRequest);
    }
    const batching = this.target.batching(input.method);
    // a batched method called with one element is batched with others; called with an array it
    // runs on that array directly (the same rule as `.local()`)
    if (batching && !(args.length === 1 && Array.isArray(args[0]))) {
      if (args.length !== 1) {
        throw new TypeError(`${this.target.label(input.method)} is @batched: call it with one input at a time (got ${args.length} arguments)`);
      }
      return this.batcherFor(input, batching).add(args[0], run);
    }
    return this.target.invoke(input, args);
  }

  /** The batcher of the input's method and parameter set (a batch runs on one instance). */
  private batcherFor(input: WorkInput, config: NonNullable<ReturnType<WorkerTarget["batching"]>>): Batcher {
    const key = `${input.method}\u0000${paramsKey(input.params)}`;
    let batcher = this.batchers.get(key);
    if (!batcher) {
      const call = { method: input.method, params: input.params };
      batcher = new Batcher(config, (items) => this.target.invoke(call, [items]), this.target.label(input.method));
      this.batchers.set(key, batcher);
    }
    return batcher;
  }

  /** One outcome per input, whatever happens (none for an input handed back). */
  private report(run: Running, outcome: Outcome): void {
    if (run.reported || this.ending) return;
    run.reported = true;
    this.trackDeadlines();
    // stored outside the input's async context: what the transport starts now (sockets, timers)
    // must not be taken for that input's code later
    const done: Promise<void> = current.exit(() => this.transport.complete(run.input, outcome))
      .catch((err) => {
        this.options.log?.error({ err, inputId: run.input.id }, "could not report an outcome");
      })
      .finally(() => this.reporting.delete(done));
    this.reporting.add(done);
    // a drain waits for inputs without an outcome only
    this.settled?.();
  }

  /** Inputs that have no outcome yet (a timed-out one has its outcome while its work goes on). */
  private unreported(): Running[] {
    return [...this.running.values()].filter((r) => !r.reported);
  }

  // ---- stopping

  private async drain(): Promise<void> {
    const started = Date.now();
    const budget = () => this.stopRequest?.drainMs ?? Infinity;
    // an immediate stop abandons pending batches: their inputs are handed back (handBack), or,
    // over a transport without that hook, get no outcome and are redelivered by the supervisor
    if (budget() > 0) for (const batcher of this.batchers.values()) batcher.flush();
    while (this.unreported().length > 0) {
      const left = started + budget() - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = Number.isFinite(left) ? setTimeout(resolve, left) : null;
        this.settled = () => {
          if (timer) clearTimeout(timer);
          resolve();
        };
      });
      this.settled = null;
    }
  }

  /**
   * After the drain, before `@exit`: the inputs still without an outcome go back to the transport
   * (on AWS, visible again on the queue) so another container takes them while this one runs its
   * `@exit` hooks. They get no outcome from this process afterwards, even if their work ends.
   */
  private async handBack(): Promise<void> {
    const unfinished = this.unreported();
    if (unfinished.length === 0) return;
    for (const run of unfinished) {
      run.reported = true;
      for (const batcher of this.batchers.values()) if (batcher.remove(run)) break;
    }
    if (!this.transport.handBack) return;
    try {
      await this.transport.handBack(unfinished.map((r) => r.input));
    } catch (err) {
      this.options.log?.error({ err, count: unfinished.length }, "could not hand back unfinished inputs");
    }
  }

  private async teardown(): Promise<void> {
    this.watchdog?.stop();
    this.watchdog = null;
    this.unguardExit?.();
    await this.target.teardown((hook, err) => this.options.log?.error({ err, hook }, "@exit hook failed"));
    // outcomes still being stored (a result write, a retry) finish before the transport closes
    while (this.reporting.size) await Promise.allSettled([...this.reporting]);
    await this.transport.close();
  }

  private armIdle(): void {
    const ms = this.options.idleExitMs;
    if (ms === undefined || this.stopRequest || this.running.size > 0) return;
    this.disarmIdle();
    this.idleTimer = setTimeout(() => this.stop({ drainMs: 0, reason: "idle" }), ms);
  }

  private disarmIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

function withDeadline<T>(work: Promise<T>, ms: number | undefined, error: () => Error): Promise<T> {
  if (ms === undefined || !Number.isFinite(ms)) return work;
  let timer: NodeJS.Timeout;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(error()), ms))),
  ]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
