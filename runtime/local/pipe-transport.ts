/**
 * The container side of the pipe to the local supervisor, as a worker Transport. The supervisor
 * pushes inputs (never more than the container's free slots), cancellations and stop requests;
 * this transport hands them to the loop, and sends outcomes and requests (nested calls, Dict,
 * Queue, Volume) back.
 *
 * Inputs carry no `params`: locally each parameter set runs in a pool of its own, whose containers
 * are booted with it (BootInfo.params). There is no `handBack` either: the supervisor already
 * knows which inputs a stopping container still holds, and redelivers them when it exits.
 */
import type { Channel } from "./channel.ts";
import type { ContainerRequest, FromContainer, ToContainer } from "./protocol.ts";
import type { Outcome, Transport, WorkInput, WorkerControl } from "../worker/transport.ts";
import { decodeError } from "../serialize.ts";

/** The supervisor's pipe in a container process (container-main.ts opens it). */
const PIPE_FD = 3;

export class PipeTransport implements Transport {
  private queue: WorkInput[] = [];
  private waiter: (() => void) | null = null;
  private control: WorkerControl | null = null;
  private closed = false;
  private nextRid = 1;
  private readonly pending = new Map<number, { resolve(v: Uint8Array | undefined): void; reject(e: Error): void }>();
  /** a stop that arrived before the loop attached */
  private earlyStop: { drainMs: number } | null = null;
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(private readonly channel: Channel<ToContainer, FromContainer>) {}

  /** Feeds a message from the supervisor (the channel's handler calls this). */
  handle(message: ToContainer): void {
    switch (message.t) {
      case "in":
        this.queue.push({ id: message.id, callId: message.call, method: message.m, payload: message.a, attempt: message.n, timeoutMs: message.to,
          ...(message.k === "http" ? { kind: "http" as const } : {}) });
        this.wakeUp();
        return;
      case "cancel":
        this.queue = this.queue.filter((i) => i.id !== message.id);
        this.control?.cancel(message.id);
        return;
      case "stop":
        this.stopLoop(message.drainMs);
        return;
      case "res": {
        const p = this.pending.get(message.rid);
        if (!p) return;
        this.pending.delete(message.rid);
        if (message.ok) p.resolve(message.v);
        else p.reject(decodeError(message.e));
        return;
      }
      case "boot":
        return;
    }
  }

  /** The supervisor went away: no more inputs, pending requests fail. */
  disconnected(): void {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new Error("the gantry supervisor went away"));
    this.pending.clear();
    this.stopLoop(0);
    this.wakeUp();
  }

  stopLoop(drainMs: number): void {
    if (this.control) this.control.stop({ drainMs, reason: "supervisor" });
    else this.earlyStop = { drainMs };
  }

  request(req: ContainerRequest): Promise<Uint8Array | undefined> {
    if (this.closed) return Promise.reject(new Error("the gantry supervisor went away"));
    const rid = this.nextRid++;
    return new Promise((resolve, reject) => {
      this.pending.set(rid, { resolve, reject });
      this.channel.send({ t: "req", rid, req });
    });
  }

  // ---- Transport

  attach(control: WorkerControl): void {
    this.control = control;
    if (this.earlyStop) control.stop({ drainMs: this.earlyStop.drainMs, reason: "supervisor" });
  }

  async ready(): Promise<void> {
    this.channel.send({ t: "ready" });
  }

  async setupFailed(error: Uint8Array): Promise<void> {
    this.channel.send({ t: "setup-failed", e: error });
  }

  async receive(max: number, signal: AbortSignal): Promise<WorkInput[] | null> {
    if (this.queue.length === 0) {
      // one listener per signal (the loop reuses its signal until it stops)
      if (!this.watched.has(signal)) {
        this.watched.add(signal);
        signal.addEventListener("abort", () => this.wakeUp(), { once: true });
      }
      while (this.queue.length === 0) {
        if (this.closed) return null;
        if (signal.aborted) return [];
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    }
    return this.queue.length <= max ? this.queue.splice(0) : this.queue.splice(0, max);
  }

  async complete(input: WorkInput, outcome: Outcome): Promise<void> {
    if (outcome.status === "ok") this.channel.send({ t: "out", id: input.id, s: "ok", v: outcome.value });
    else if (outcome.status === "error") this.channel.send({ t: "out", id: input.id, s: "error", e: outcome.error, timedOut: outcome.timedOut });
    else this.channel.send({ t: "out", id: input.id, s: "cancelled" });
  }

  /**
   * The input that ends this container, straight onto the pipe (fd 3) before the process dies.
   * The supervisor charges it and redelivers the others uncharged when it sees the exit.
   */
  endContainer(culprit: WorkInput, outcome: Extract<Outcome, { status: "error" }>): boolean {
    return this.channel.sendSync({ t: "out", id: culprit.id, s: "error", e: outcome.error, timedOut: outcome.timedOut, ended: true }, PIPE_FD);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private wakeUp(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
