/** An in-memory worker Transport for tests: push inputs, read outcomes, see what the loop asked for. */
import type { Outcome, Transport, WorkInput, WorkerControl } from "../../../runtime/worker/transport.ts";
import { encodeArgs } from "../../../runtime/serialize.ts";

export class MemoryTransport implements Transport {
  readonly pending: WorkInput[] = [];
  readonly outcomes: Array<{ input: WorkInput; outcome: Outcome }> = [];
  /** the `max` of every receive call, and how many inputs it returned */
  readonly receives: Array<{ max: number; got: number }> = [];
  readonly log: string[] = [];
  /** what the loop handed back when it stopped */
  readonly handedBack: WorkInput[] = [];
  /** when set, each `complete` waits for it before recording (a slow result write) */
  completeGate: Promise<void> | null = null;
  control: WorkerControl | null = null;
  private ended = false;
  private wake: (() => void) | null = null;
  private outcomeWaiters: Array<() => void> = [];
  private seq = 0;
  private readonly watched = new WeakSet<AbortSignal>();

  attach(control: WorkerControl): void {
    this.control = control;
  }
  async ready(): Promise<void> {
    this.log.push("ready");
  }
  async setupFailed(): Promise<void> {
    this.log.push("setup-failed");
  }
  async receive(max: number, signal: AbortSignal): Promise<WorkInput[] | null> {
    if (!this.watched.has(signal)) {
      this.watched.add(signal);
      signal.addEventListener("abort", () => this.wake?.(), { once: true });
    }
    while (this.pending.length === 0) {
      if (this.ended) return null;
      if (signal.aborted) return [];
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const got = this.pending.splice(0, max);
    this.receives.push({ max, got: got.length });
    return got;
  }
  async complete(input: WorkInput, outcome: Outcome): Promise<void> {
    if (this.completeGate) {
      this.log.push(`complete ${input.id} started`);
      await this.completeGate;
    }
    this.outcomes.push({ input, outcome });
    this.log.push(`complete ${input.id}`);
    for (const w of this.outcomeWaiters.splice(0)) w();
  }
  async handBack(inputs: WorkInput[]): Promise<void> {
    this.handedBack.push(...inputs);
    this.log.push(`hand back ${inputs.map((i) => i.id).join(",")}`);
  }
  async close(): Promise<void> {
    this.log.push("close");
  }

  /** Queues an input calling `method` with `args`; returns its id. */
  push(method: string | null, args: unknown[], extra: Partial<WorkInput> = {}): string {
    const id = `in-${++this.seq}`;
    this.pending.push({ id, callId: `call-${this.seq}`, method, payload: encodeArgs(args, { callee: "test" }), attempt: 1, ...extra });
    this.wake?.();
    return id;
  }

  /** No more inputs: receive returns null once the queue is empty. */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async waitForOutcomes(n: number): Promise<void> {
    while (this.outcomes.length < n) await new Promise<void>((resolve) => this.outcomeWaiters.push(resolve));
  }

  outcomeOf(id: string): Outcome | undefined {
    return this.outcomes.find((o) => o.input.id === id)?.outcome;
  }
}
