/** A WorkerTarget built from plain functions, for loop tests that need full control of the work. */
import type { Invocation, WorkerTarget } from "../../../runtime/worker/target.ts";
import type { BatchingSpec } from "../../../synth/spec.ts";

export interface StubOptions {
  slots?: number;
  batching?: Record<string, BatchingSpec>;
  /** method name -> work; receives the invocation (method and params) and the arguments */
  methods: Record<string, (call: Invocation, args: unknown[]) => Promise<unknown>>;
  /** "enter", "exit", "invoke <method> <paramsJSON> <argsJSON>" in order */
  events?: string[];
}

export function stubTarget(o: StubOptions): WorkerTarget {
  const events = o.events ?? [];
  return {
    slots: o.slots ?? 4,
    label: (method) => `Stub.${method}`,
    batching: (method) => (method !== null ? o.batching?.[method] ?? null : null),
    async setup() {
      events.push("enter");
    },
    async invoke(call, args) {
      events.push(`invoke ${call.method} ${JSON.stringify(call.params ?? null)} ${JSON.stringify(args)}`);
      const fn = call.method !== null ? o.methods[call.method] : undefined;
      if (!fn) throw new TypeError(`Stub has no method "${call.method}"`);
      return fn(call, args);
    },
    async teardown() {
      events.push("exit");
    },
  };
}

/** A promise plus its resolve function: work that ends when a test says so. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
