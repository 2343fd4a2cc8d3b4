/**
 * `.map` / `.starmap` / `.forEach` over any way of submitting one call: the local runtime submits
 * to its pools, a container submits to its supervisor. Inputs are pulled lazily with back-pressure
 * (at most `window` inputs submitted but not yet consumed, so a huge or endless iterable and a slow
 * consumer stay bounded); results come in input order, or as they finish with `orderOutputs: false`.
 * Without `returnExceptions` the first failure (in output order) is thrown and the calls still
 * outstanding are cancelled.
 */

export interface Submitted {
  promise: Promise<unknown>;
  cancel(): void;
}

export interface MapRunOptions {
  returnExceptions: boolean;
  orderOutputs: boolean;
  /** inputs in flight or finished-but-not-consumed at most (default 1000) */
  window?: number;
}

class Signal {
  private waiter: (() => void) | null = null;
  wait(): Promise<void> {
    return new Promise((resolve) => (this.waiter = resolve));
  }
  fire(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

export async function* mapCalls(
  inputs: AsyncIterable<unknown[]>,
  submit: (args: unknown[], index: number) => Submitted,
  options: MapRunOptions,
): AsyncGenerator<unknown> {
  const window = Math.max(1, options.window ?? 1000);
  const outstanding = new Map<number, Submitted>();
  const finished = new Map<number, Settled>();
  const slotFreed = new Signal();
  const resultReady = new Signal();
  let submitted = 0;
  let yielded = 0;
  let inputsDone = false;
  let inputError: { error: unknown } | null = null;
  let stopped = false;
  const iterator = inputs[Symbol.asyncIterator]();

  const settle = (index: number, result: Settled) => {
    if (!outstanding.delete(index)) return;
    finished.set(index, result);
    resultReady.fire();
  };

  const pump = async () => {
    try {
      while (!stopped) {
        while (!stopped && outstanding.size + finished.size >= window) await slotFreed.wait();
        if (stopped) break;
        const next = await iterator.next();
        if (next.done || stopped) break;
        const index = submitted++;
        let call: Submitted;
        try {
          call = submit(next.value, index);
        } catch (error) {
          call = { promise: Promise.reject(error), cancel() {} };
        }
        outstanding.set(index, call);
        call.promise.then((value) => settle(index, { ok: true, value }), (error) => settle(index, { ok: false, error }));
      }
    } catch (error) {
      inputError = { error };
    } finally {
      inputsDone = true;
      resultReady.fire();
    }
  };
  void pump();

  try {
    for (;;) {
      let key: number | undefined;
      if (options.orderOutputs) key = finished.has(yielded) ? yielded : undefined;
      else key = finished.keys().next().value;
      if (key !== undefined) {
        const result = finished.get(key)!;
        finished.delete(key);
        yielded++;
        slotFreed.fire();
        if (result.ok) yield result.value;
        else if (options.returnExceptions) yield asError(result.error);
        else throw result.error;
        continue;
      }
      if (inputError) throw (inputError as { error: unknown }).error;
      if (inputsDone && outstanding.size === 0 && finished.size === 0) return;
      await resultReady.wait();
    }
  } finally {
    stopped = true;
    for (const call of outstanding.values()) call.cancel();
    outstanding.clear();
    slotFreed.fire();
    if (!inputsDone) void Promise.resolve(iterator.return?.()).catch(() => {});
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
