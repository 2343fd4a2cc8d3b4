/**
 * Waits for results in the results table on behalf of every call of one process: a single poller
 * reads the due calls in batches (BatchGetItem, 100 keys, consistent reads), each call polled
 * sooner right after it was sent and at most once a second later on. A call is settled by the
 * first final record read for it, which is the only one that will ever exist (results.ts).
 */
import { TimeoutError } from "../errors.ts";
import { AwsAccessError } from "./access.ts";
import type { ResultStore } from "./results.ts";
import { isFinal, type CallRecord } from "./wire.ts";

const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 1000;

interface Waiter {
  resolve(record: CallRecord): void;
  reject(error: Error): void;
}

interface Watched {
  callId: string;
  nextAt: number;
  intervalMs: number;
  waiters: Set<Waiter>;
}

export class ResultWaiter {
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | null = null;
  private polling = false;

  constructor(private readonly results: ResultStore, private readonly now: () => number = Date.now) {}

  /** Resolves with the call's final record; rejects with TimeoutError after `timeoutMs` (the call goes on). */
  wait(callId: string, options: { timeoutMs?: number } = {}): Promise<CallRecord> {
    return new Promise<CallRecord>((resolve, reject) => {
      let w = this.watched.get(callId);
      if (!w) {
        w = { callId, nextAt: this.now(), intervalMs: FIRST_POLL_MS, waiters: new Set() };
        this.watched.set(callId, w);
      }
      let timer: NodeJS.Timeout | null = null;
      const waiter: Waiter = {
        resolve: (r) => {
          if (timer) clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          if (timer) clearTimeout(timer);
          reject(e);
        },
      };
      w.waiters.add(waiter);
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          w!.waiters.delete(waiter);
          if (w!.waiters.size === 0) this.watched.delete(callId);
          reject(new TimeoutError(`call ${callId} did not finish within ${options.timeoutMs} ms (it is still running)`));
        }, Math.max(0, options.timeoutMs));
      }
      this.schedule(0);
    });
  }

  /** Polls sooner for this call (after something changed it, e.g. a cancellation). */
  poke(callId: string): void {
    const w = this.watched.get(callId);
    if (!w) return;
    w.nextAt = this.now();
    w.intervalMs = FIRST_POLL_MS;
    this.schedule(0);
  }

  get size(): number {
    return this.watched.size;
  }

  private schedule(delayMs: number): void {
    if (this.polling) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.watched.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poll();
    }, Math.max(0, delayMs));
  }

  private async poll(): Promise<void> {
    this.polling = true;
    try {
      const now = this.now();
      const due = [...this.watched.values()].filter((w) => w.nextAt <= now);
      if (due.length) {
        let records: Map<string, CallRecord>;
        const denied = new Map<string, Error>();
        try {
          records = await this.results.getMany(due.map((w) => w.callId), denied);
        } catch (err) {
          // transient (throttling, network): try these again a little later
          for (const w of due) w.nextAt = this.now() + Math.min(MAX_POLL_MS, w.intervalMs * 2);
          void err;
          records = new Map();
        }
        const at = this.now();
        for (const [callId, err] of denied) {
          // the table is scoped by call id: a call this process neither made nor runs is not its to read
          const w = this.watched.get(callId);
          this.watched.delete(callId);
          const error = new AwsAccessError(`call ${callId}: this process may not read its result (a role reaches the calls it made and the calls made to it; ` +
            `pass results between functions, not call ids): ${err.message}`, "denied");
          for (const waiter of w?.waiters ?? []) waiter.reject(error);
        }
        for (const w of due) {
          if (denied.has(w.callId)) continue;
          const record = records.get(w.callId);
          if (record && isFinal(record)) {
            this.watched.delete(w.callId);
            for (const waiter of w.waiters) waiter.resolve(record);
          } else if (w.nextAt <= at) {
            w.intervalMs = Math.min(MAX_POLL_MS, Math.ceil(w.intervalMs * 1.5));
            w.nextAt = at + w.intervalMs;
          }
        }
      }
    } finally {
      this.polling = false;
    }
    let next = Infinity;
    for (const w of this.watched.values()) next = Math.min(next, w.nextAt);
    if (next !== Infinity) this.schedule(next - this.now());
  }
}
