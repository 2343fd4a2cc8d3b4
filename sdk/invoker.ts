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

/**
 * This process's invoker. With none attached and `GANTRY_REDIS_URL` set, a process outside the
 * cluster (a script, a service) calls the Kubernetes stack that Redis serves: the Redis invoker
 * (runtime/redis/outside.ts) is attached on first use, loaded only then.
 */
export function currentInvoker(): Invoker {
  const invoker = (globalThis as Holder)[KEY];
  if (invoker) return invoker;
  if (process.env.GANTRY_REDIS_URL) {
    const attached = lazyInvoker(async () => (await import("../runtime/redis/outside.ts")).invokerFromEnv());
    setInvoker(attached);
    return attached;
  }
  throw new Error(
    "gantry: no runtime is attached to this process. Run the app with `gantry run <app.ts>` " +
      "(or `gantry serve`), call `.local()` to run a function in this process, or set GANTRY_REDIS_URL " +
      "(and GANTRY_REDIS_NAMESPACE) to call a stack deployed on Kubernetes.",
  );
}

/** An invoker whose real one is loaded on the first call (each method waits for it). */
export function lazyInvoker(load: () => Promise<Invoker>): Invoker {
  let loaded: Promise<Invoker> | null = null;
  const real = () => {
    if (!loaded) {
      const made = load();
      // a failed load (an incomplete environment) is tried again on the next call
      made.catch(() => {
        if (loaded === made) loaded = null;
      });
      loaded = made;
    }
    return loaded;
  };
  const later = <T>(f: (i: Invoker) => Promise<T>) => real().then(f);
  return {
    remote: (target, args) => later((i) => i.remote(target, args)),
    spawn: (target, args) => later((i) => i.spawn(target, args)),
    result: (callId, options) => later((i) => i.result(callId, options)),
    cancel: (callId) => later((i) => i.cancel(callId)),
    map: (target, inputs, options) => ({
      async *[Symbol.asyncIterator]() {
        yield* (await real()).map(target, inputs, options);
      },
    }),
    dict: (name, options) => {
      const b = later(async (i) => i.dict(name, options));
      return {
        get: (key) => b.then((x) => x.get(key)), put: (key, value) => b.then((x) => x.put(key, value)),
        pop: (key) => b.then((x) => x.pop(key)), has: (key) => b.then((x) => x.has(key)),
        keys: () => b.then((x) => x.keys()), len: () => b.then((x) => x.len()),
      };
    },
    queue: (name, options) => {
      const b = later(async (i) => i.queue(name, options));
      return { put: (values) => b.then((x) => x.put(values)), get: (max, timeoutMs) => b.then((x) => x.get(max, timeoutMs)), len: () => b.then((x) => x.len()) };
    },
    volume: (name) => {
      const b = later(async (i) => i.volume(name));
      return { commit: () => b.then((x) => x.commit()), reload: () => b.then((x) => x.reload()) };
    },
    updateAutoscaler: (target, settings) => later((i) => i.updateAutoscaler(target, settings)),
  };
}

