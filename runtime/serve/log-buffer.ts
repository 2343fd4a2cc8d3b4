/**
 * The recent output of `gantry serve`'s containers, for `gantry logs` against a running server: a
 * ring buffer per container (the last LINES_PER_CONTAINER lines each; the containers that exited
 * longest ago are dropped first beyond MAX_CONTAINERS). Each line has a sequence number, so a
 * follower asks for what came after the last one it saw, and waits (long poll) when there is none.
 * Lines are stored masked: a secret value never leaves the server through it.
 */
import type { OutputSource } from "../local/container.ts";

export const LINES_PER_CONTAINER = 1000;
export const MAX_CONTAINERS = 200;

export interface LogLine {
  seq: number;
  /** ms since the epoch, when the server read the line */
  time: number;
  /** `square#1`, `Model[gpu=H100]#2` */
  container: string;
  stream: "stdout" | "stderr";
  text: string;
  /** the calls the container held when it printed the line */
  calls: string[];
}

export interface LogQuery {
  /** lines after this sequence number (default: from the oldest kept) */
  after?: number;
  /** lines at or after this time (ms since the epoch) */
  sinceMs?: number;
  /** the function or class (variant) whose containers' lines are wanted: `square`, `Model`, `Model[gpu=H100]` */
  fn?: string;
  /** only lines printed while this call was in flight */
  call?: string;
}

export class LogBuffer {
  private seq = 0;
  private readonly byContainer = new Map<string, LogLine[]>();
  private waiters = new Set<() => void>();

  constructor(private readonly mask: (text: string) => string = (t) => t) {}

  /** The last sequence number handed out (0 before any line). */
  get last(): number {
    return this.seq;
  }

  add(stream: LogLine["stream"], source: OutputSource, time = Date.now()): void {
    const line: LogLine = { seq: ++this.seq, time, container: source.container, stream, text: this.mask(source.text), calls: source.calls };
    let lines = this.byContainer.get(source.container);
    if (!lines) {
      lines = [];
      this.byContainer.set(source.container, lines);
      this.evict();
    } else {
      // re-insert so that the map's order is "least recently written first"
      this.byContainer.delete(source.container);
      this.byContainer.set(source.container, lines);
    }
    lines.push(line);
    if (lines.length > LINES_PER_CONTAINER) lines.shift();
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** The matching lines in the order they were printed. */
  query(q: LogQuery): LogLine[] {
    const out: LogLine[] = [];
    for (const lines of this.byContainer.values()) {
      for (const line of lines) if (matches(line, q)) out.push(line);
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Like `query`, but when nothing matches yet, waits up to `waitMs` for a line that does. */
  async next(q: LogQuery, waitMs: number, signal?: AbortSignal): Promise<LogLine[]> {
    const deadline = Date.now() + waitMs;
    let after = q.after ?? 0;
    for (;;) {
      const found = this.query({ ...q, after });
      if (found.length || Date.now() >= deadline || signal?.aborted) return found;
      after = Math.max(after, this.seq);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, deadline - Date.now());
        signal?.addEventListener("abort", done, { once: true });
        this.waiters.add(done);
        function done() {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  }

  private evict(): void {
    while (this.byContainer.size > MAX_CONTAINERS) {
      const oldest = this.byContainer.keys().next().value;
      if (oldest === undefined) return;
      this.byContainer.delete(oldest);
    }
  }
}

function matches(line: LogLine, q: LogQuery): boolean {
  if (q.after !== undefined && line.seq <= q.after) return false;
  if (q.sinceMs !== undefined && line.time < q.sinceMs) return false;
  if (q.call !== undefined && !line.calls.includes(q.call)) return false;
  if (q.fn !== undefined && !containerOf(line.container, q.fn)) return false;
  return true;
}

/**
 * `Model[gpu=H100]#2` belongs to `Model[gpu=H100]` and to `Model`; `square#1` to `square`. A class
 * with parameters has pools labelled `Model(<digest>)`.
 */
export function containerOf(container: string, fn: string): boolean {
  const pool = container.slice(0, container.lastIndexOf("#"));
  if (pool === fn) return true;
  return pool.startsWith(`${fn}[`) || pool.startsWith(`${fn}(`);
}
