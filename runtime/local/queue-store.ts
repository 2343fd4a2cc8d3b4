/**
 * `Queue`s of the local runtime: FIFO queues held in the supervisor's memory for the length of a
 * `gantry run` (items are stored packed). Because they do not outlive the run, `fromName` creates
 * a missing queue whether or not `createIfMissing` is set.
 */

interface Waiter {
  max: number;
  resolve(items: Uint8Array[]): void;
  timer: NodeJS.Timeout | null;
}

export class LocalQueue {
  private items: Uint8Array[] = [];
  private waiters: Waiter[] = [];

  put(items: Uint8Array[]): void {
    this.items.push(...items);
    while (this.items.length && this.waiters.length) {
      const w = this.waiters.shift()!;
      if (w.timer) clearTimeout(w.timer);
      w.resolve(this.items.splice(0, w.max));
    }
  }

  /** Up to `max` items; waits up to `timeoutMs` (null: forever) for the first one. */
  get(max: number, timeoutMs: number | null): Promise<Uint8Array[]> {
    if (this.items.length || timeoutMs === 0) return Promise.resolve(this.items.splice(0, Math.max(1, max)));
    return new Promise((resolve) => {
      const waiter: Waiter = { max: Math.max(1, max), resolve, timer: null };
      if (timeoutMs !== null) {
        waiter.timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve([]);
        }, timeoutMs);
      }
      this.waiters.push(waiter);
    });
  }

  get length(): number {
    return this.items.length;
  }

  /** Releases every waiting `get` (the app stops). */
  close(): void {
    for (const w of this.waiters.splice(0)) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve([]);
    }
  }
}

export class QueueStore {
  private readonly queues = new Map<string, LocalQueue>();

  get(name: string): LocalQueue {
    let q = this.queues.get(name);
    if (!q) this.queues.set(name, (q = new LocalQueue()));
    return q;
  }

  close(): void {
    for (const q of this.queues.values()) q.close();
  }
}
