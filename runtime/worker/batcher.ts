/**
 * `@batched` semantics inside one container: single inputs are collected and the method is called
 * with an array. A batch is released when it reaches `maxBatchSize` or `waitMs` after its first
 * input. The method must return one output per input (same length, same order); otherwise every
 * input of the batch fails with the same error. A failing batch never stops the next one.
 */
import type { BatchingSpec } from "../../synth/spec.ts";
import { InputCancelledError } from "../errors.ts";

interface Pending {
  item: unknown;
  /** when it arrived (performance.now()); a batch's window starts at its oldest input */
  at: number;
  key: object;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class Batcher {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: BatchingSpec,
    private readonly run: (items: unknown[]) => Promise<unknown>,
    private readonly label: string,
  ) {}

  /** Resolves with this item's output once its batch ran. `key` identifies it for `remove`. */
  add(item: unknown, key: object): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, at: performance.now(), key, resolve, reject });
      if (this.pending.length === 1) this.arm(this.config.waitMs);
      if (this.pending.length >= this.config.maxBatchSize) this.release();
    });
  }

  /** Drops an input that has not been released yet (cancelled, expired). */
  remove(key: object): boolean {
    const i = this.pending.findIndex((p) => p.key === key);
    if (i < 0) return false;
    const [p] = this.pending.splice(i, 1);
    p.reject(new InputCancelledError(`${this.label}: input cancelled before its batch ran`));
    if (this.pending.length === 0) this.disarm();
    return true;
  }

  /** Releases whatever is pending now (used when the container stops). */
  flush(): void {
    while (this.pending.length) this.release();
  }

  get size(): number {
    return this.pending.length;
  }

  private arm(delayMs: number): void {
    this.disarm();
    this.timer = setTimeout(() => this.release(), Math.max(0, delayMs));
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private release(): void {
    this.disarm();
    const batch = this.pending.splice(0, this.config.maxBatchSize);
    if (this.pending.length) {
      // the leftovers arrived after the batch filled: their window starts with the oldest of them
      const waited = performance.now() - this.pending[0].at;
      if (this.pending.length >= this.config.maxBatchSize) queueMicrotask(() => this.release());
      else this.arm(Math.max(0, this.config.waitMs - waited));
    }
    if (batch.length) void this.runBatch(batch);
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    try {
      const outputs = await this.run(batch.map((p) => p.item));
      if (!Array.isArray(outputs) || outputs.length !== batch.length) {
        const got = Array.isArray(outputs) ? `${outputs.length} outputs` : `a ${outputs === null ? "null" : typeof outputs}`;
        throw new TypeError(
          `${this.label} is @batched: it returned ${got} for ${batch.length} inputs (return one output per input, in order)`,
        );
      }
      batch.forEach((p, i) => p.resolve(outputs[i]));
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
