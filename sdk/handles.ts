/**
 * Typed handles: what `app.function` returns and what `Cls.of(X).instance(...)` gives per method.
 * Every call goes through the process's invoker (see invoker.ts); `.local()` runs in this process.
 */
import { currentInvoker, type CallTarget, type Invoker, type MapOptions } from "./invoker.ts";
import { deployedSource, stackNameOf, type RedisOption } from "./deployed.ts";
import { parseCallId, unitOfKeyName } from "../runtime/aws/call-keys.ts";

/** Where a handle's calls go: this process's runtime, or one a handle was made for. */
export type InvokerSource = () => Invoker | Promise<Invoker>;
import type { ConcurrentOptions, FunctionVariantOptions } from "./options.ts";

/** Both an async stream of results (`for await`) and a promise of all of them (`await`). */
export class MapResult<R> implements AsyncIterable<R>, PromiseLike<R[]> {
  private consumed = false;
  private all?: Promise<R[]>;

  constructor(private readonly start: () => AsyncIterable<R>) {}

  [Symbol.asyncIterator](): AsyncIterator<R> {
    if (this.consumed) throw new Error("this map() result was already consumed; call map() again to rerun it");
    this.consumed = true;
    return this.start()[Symbol.asyncIterator]();
  }

  then<T1 = R[], T2 = never>(
    onfulfilled?: ((value: R[]) => T1 | PromiseLike<T1>) | null,
    onrejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    this.all ??= (async () => {
      const out: R[] = [];
      for await (const r of this) out.push(r);
      return out;
    })();
    return this.all.then(onfulfilled, onrejected);
  }
}

/** A spawned call: fetch its result later, possibly from another process, by its id. */
export class FunctionCall<R = unknown> {
  /** `invoker`: where the call was made (`Function.fromName(app, fn, { stack })`); default: this process's runtime */
  constructor(readonly objectId: string, private readonly invoker: InvokerSource = currentInvoker) {}

  /** Waits for the result; `timeout` in seconds (the call goes on after a timeout). */
  async get(options: { timeout?: number } = {}): Promise<R> {
    const timeoutMs = options.timeout === undefined ? undefined : options.timeout * 1000;
    return (await (await this.invoker()).result(this.objectId, { timeoutMs })) as R;
  }
  async cancel(): Promise<void> { return (await this.invoker()).cancel(this.objectId); }

  /**
   * The call with this id. Without options, through the runtime attached to this process (`gantry
   * run`, `gantry serve`, a gantry container). With `{ app, stack }`, from any Node process with
   * AWS credentials, like `Function.fromName(app, fn, { stack })`, with that function's caller
   * policy: the id names the function it was made to (`function`, when given, must agree).
   */
  static fromId<R = unknown>(id: string, options?: FromIdOptions): FunctionCall<R> {
    if (options === undefined) return new FunctionCall<R>(id);
    const label = `FunctionCall.fromId(${JSON.stringify(id)})`;
    const stack = typeof options.stack === "string" ? stackNameOf(options.stack) : undefined;
    if (typeof options.app !== "string" || !options.app || !stack) {
      throw new TypeError(`${label}: options need the deployed app's name and stack ({ app: "my-app", stack: "prod" }), got ${JSON.stringify(options)}`);
    }
    if (options.redis !== undefined) {
      if (!REDIS_CALL_ID.test(id)) throw new TypeError(`${label}: not a call id of a Kubernetes stack (they read <unit>/<id>, e.g. square/fc-…)`);
      return new FunctionCall<R>(id, deployedSource({ app: options.app, stack, region: options.region, redis: options.redis }));
    }
    // an AWS call id names the unit it was made to (runtime/aws/call-keys.ts)
    const parts = parseCallId(id);
    if (!parts) throw new TypeError(`${label}: not a call id of a deployed AWS stack (they read <function>:<caller>:<id>, the objectId of what .spawn() returned there)`);
    const unit = unitOfKeyName(parts.callee);
    if (options.function !== undefined && options.function !== unit) {
      throw new TypeError(`${label}: the call was made to ${unit}, not ${options.function}`);
    }
    return new FunctionCall<R>(id, deployedSource({ app: options.app, stack, unit, region: options.region }));
  }
}

/** runtime/redis/wire.ts newCallId: the unit, "/", a local part */
const REDIS_CALL_ID = /^[^/\s]+\/[^/\s]+$/;

/** Where a call from `FunctionCall.fromId` was made: a deployed app's stack. */
export interface FromIdOptions {
  /** the app's name (`new App("...")`) */
  app: string;
  /** the deployed stack (`prod`, or `org/project/prod`) */
  stack: string;
  /** the function (or unit id) that was spawned; optional, the id names it (a mismatch is refused) */
  function?: string;
  /** the stack's AWS region (default: AWS_REGION / AWS_DEFAULT_REGION / the profile's) */
  region?: string;
  /** a Kubernetes stack's Redis, as for `Function.fromName` (its call ids name their unit: `function` is not needed) */
  redis?: RedisOption;
}

type Elements<T> = Iterable<T> | AsyncIterable<T>;

/** The calls every function and method handle offers. */
export interface CallHandle<A extends unknown[], R> {
  remote(...args: A): Promise<R>;
  local(...args: A): Promise<R>;
  map(inputs: Elements<A[0]>, options: MapOptions & { returnExceptions: true }): MapResult<R | Error>;
  map(inputs: Elements<A[0]>, options?: MapOptions): MapResult<R>;
  starmap(inputs: Elements<A>, options: MapOptions & { returnExceptions: true }): MapResult<R | Error>;
  starmap(inputs: Elements<A>, options?: MapOptions): MapResult<R>;
  /** Runs for every input and waits; results are dropped, the first error is thrown. */
  forEach(inputs: Elements<A[0]>, options?: Omit<MapOptions, "orderOutputs">): Promise<void>;
  spawn(...args: A): Promise<FunctionCall<R>>;
}

export interface FunctionHandle<A extends unknown[], R> extends CallHandle<A, R> {
  /** the exported binding's name, once the runtime has bound the module's exports */
  readonly name: string | undefined;
  /**
   * The same function in its own pool with other options (`fn.withOptions({ gpu: "T4", maxContainers: 2 })`).
   * Written with static arguments, the synthesizer finds it and deploys that pool.
   */
  withOptions(options: FunctionVariantOptions): FunctionHandle<A, R>;
  /** The same function in its own pool taking `maxInputs` inputs per container at once. */
  withConcurrency(options: ConcurrentOptions): FunctionHandle<A, R>;
}

async function* asTuples(inputs: Elements<unknown>, spread: boolean): AsyncIterable<unknown[]> {
  for await (const x of inputs as AsyncIterable<unknown>) yield spread ? [...(x as unknown[])] : [x];
}

/** Implements the calls over a target and an in-process implementation for `.local()`. */
export class CallHandleImpl implements CallHandle<unknown[], unknown> {
  constructor(
    private readonly target: () => CallTarget,
    private readonly runLocal: (args: unknown[]) => Promise<unknown>,
    private readonly invoker: InvokerSource = currentInvoker,
  ) {}

  async remote(...args: unknown[]): Promise<unknown> { return (await this.invoker()).remote(this.target(), args); }
  async local(...args: unknown[]): Promise<unknown> { return this.runLocal(args); }

  map(inputs: Elements<unknown>, options: MapOptions = {}): MapResult<any> {
    return this.mapTuples(asTuples(inputs, false), options);
  }
  starmap(inputs: Elements<unknown[]>, options: MapOptions = {}): MapResult<any> {
    return this.mapTuples(asTuples(inputs, true), options);
  }
  async forEach(inputs: Elements<unknown>, options: Omit<MapOptions, "orderOutputs"> = {}): Promise<void> {
    for await (const _ of this.mapTuples(asTuples(inputs, false), { ...options, orderOutputs: false }));
  }
  async spawn(...args: unknown[]): Promise<FunctionCall<unknown>> {
    return new FunctionCall(await (await this.invoker()).spawn(this.target(), args), this.invoker);
  }

  private mapTuples(tuples: AsyncIterable<unknown[]>, options: MapOptions): MapResult<unknown> {
    const opts = { returnExceptions: options.returnExceptions ?? false, orderOutputs: options.orderOutputs ?? true };
    const { invoker, target } = this;
    return new MapResult(async function* () {
      yield* (await invoker()).map(target(), tuples, opts);
    });
  }
}
