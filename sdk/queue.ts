/** A distributed FIFO queue shared by every container of the app: `Queue.fromName("jobs")`. */
import { currentInvoker, type QueueBackend } from "./invoker.ts";

export class Queue<T = unknown> {
  private constructor(readonly name: string, readonly createIfMissing: boolean) {}

  static fromName<T = unknown>(name: string, options: { createIfMissing?: boolean } = {}): Queue<T> {
    return new Queue<T>(name, options.createIfMissing ?? false);
  }

  private backend(): QueueBackend {
    return currentInvoker().queue(this.name, { createIfMissing: this.createIfMissing });
  }

  async put(value: T): Promise<void> { return this.backend().put([value]); }
  async putMany(values: T[]): Promise<void> { return this.backend().put(values); }
  /** Waits up to `timeout` seconds (default: forever) for a value; undefined when none came. */
  async get(options: { timeout?: number } = {}): Promise<T | undefined> {
    const [value] = await this.backend().get(1, options.timeout === undefined ? null : options.timeout * 1000);
    return value as T | undefined;
  }
  async getMany(max: number, options: { timeout?: number } = {}): Promise<T[]> {
    return (await this.backend().get(max, options.timeout === undefined ? null : options.timeout * 1000)) as T[];
  }
  async len(): Promise<number> { return this.backend().len(); }
}
