/**
 * The seam between user-facing handles and whatever runs them. Handles never know where they run:
 * `gantry run` installs the local runtime, a container installs a client that talks to its
 * supervisor (locally) or to SQS/DynamoDB (on AWS). One invoker per process, kept on globalThis so
 * that two copies of this module (say, bundled and not) still agree.
 */
import type { AutoscalerSettings } from "./options.ts";

/** What a call is addressed to. */
export interface CallTarget {
  app: string;
  /** function or class name */
  name: string;
  /** method name, for classes */
  method?: string;
  /** variant id (see `variantId`) when not the base declaration */
  variant?: string;
  /** class parameters of the instance */
  params?: Record<string, unknown>;
}

export interface MapOptions {
  /** deliver errors as values instead of failing the whole map (default false) */
  returnExceptions?: boolean;
  /** results in input order (default true); false streams them as they finish */
  orderOutputs?: boolean;
}

export interface KeyValueBackend {
  get(key: unknown): Promise<{ found: boolean; value?: unknown }>;
  put(key: unknown, value: unknown): Promise<void>;
  pop(key: unknown): Promise<{ found: boolean; value?: unknown }>;
  has(key: unknown): Promise<boolean>;
  keys(): Promise<unknown[]>;
  len(): Promise<number>;
}

export interface QueueBackend {
  put(values: unknown[]): Promise<void>;
  /** resolves with up to `max` values; waits up to `timeoutMs` (null: forever) for the first */
  get(max: number, timeoutMs: number | null): Promise<unknown[]>;
  len(): Promise<number>;
}

export interface VolumeBackend {
  commit(): Promise<void>;
  reload(): Promise<void>;
}

export interface Invoker {
  remote(target: CallTarget, args: unknown[]): Promise<unknown>;
  spawn(target: CallTarget, args: unknown[]): Promise<string>;
  /** waits for a spawned call; rejects with a TimeoutError after `timeoutMs` (the call goes on) */
  result(callId: string, options: { timeoutMs?: number }): Promise<unknown>;
  cancel(callId: string): Promise<void>;
  /** yields one result per input (errors as values when `returnExceptions`) */
  map(target: CallTarget, inputs: AsyncIterable<unknown[]>, options: Required<MapOptions>): AsyncIterable<unknown>;
  dict(name: string, options: { createIfMissing: boolean }): KeyValueBackend;
  queue(name: string, options: { createIfMissing: boolean }): QueueBackend;
  volume(name: string): VolumeBackend;
  updateAutoscaler(target: CallTarget, settings: AutoscalerSettings): Promise<void>;
}

const KEY = Symbol.for("gantry.invoker");
type Holder = { [KEY]?: Invoker };

export function setInvoker(invoker: Invoker | undefined): void {
  (globalThis as Holder)[KEY] = invoker;
}

export function currentInvoker(): Invoker {
  const invoker = (globalThis as Holder)[KEY];
  if (!invoker) {
    throw new Error(
      "gantry: no runtime is attached to this process. Run the app with `gantry run <app.ts>` " +
        "(or `gantry serve`), or call `.local()` to run a function in this process.",
    );
  }
  return invoker;
}

