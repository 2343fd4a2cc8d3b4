/**
 * Class handles: `Cls.of(X).instance({ ... })`, variants (`withOptions`, `withConcurrency`,
 * `withBatching`) and `Cls.fromName(app, name)` for classes deployed by another app.
 */
import { CallHandleImpl, type CallHandle, type InvokerSource } from "./handles.ts";
import { currentInvoker, type CallTarget } from "./invoker.ts";
import { deployedSource, stackNameOf } from "./deployed.ts";
import type { FromNameOptions } from "./function.ts";
import { constructWithParameters, type ParamBrand } from "./decorators.ts";
import { describeClass, registeredApps } from "./registry.ts";
import { variantId, type VariantOverrides } from "./variant-id.ts";
import { assertVariantOptions, type AutoscalerSettings, type BatchedOptions, type ConcurrentOptions, type VariantOptions } from "./options.ts";

type ParamKeys<C, Req extends boolean> = {
  [K in keyof C]: C[K] extends { readonly [B in ParamBrand]: { required: Req } } ? K : never;
}[keyof C];
type ParamType<V> = V extends { readonly [B in ParamBrand]: { type: infer T } } ? T : never;

/** The `.instance({ ... })` argument of a class: its `parameter()` fields, required or optional. */
export type ParamsOf<C> =
  { [K in ParamKeys<C, true>]: ParamType<C[K]> } & { [K in ParamKeys<C, false>]?: ParamType<C[K]> };

type MethodKeys<C> = { [K in keyof C]: C[K] extends (...args: any[]) => unknown ? K : never }[keyof C];

/**
 * A method's handle. A method taking one array and returning an array (the shape `@batched`
 * requires) may also be called with one element: the runtime batches single calls together.
 */
export type MethodHandle<M> = M extends (...args: infer A) => infer R
  ? A extends [infer X extends readonly unknown[]]
    ? Awaited<R> extends readonly unknown[]
      ? CallHandle<A, Awaited<R>> & CallHandle<[X[number]], Awaited<R>[number]>
      : CallHandle<A, Awaited<R>>
    : CallHandle<A, Awaited<R>>
  : never;

export type Instance<C> = { readonly [K in MethodKeys<C>]: MethodHandle<C[K]> } & {
  /** Changes the deployed pool's autoscaling until the next deploy resets it. */
  updateAutoscaler(settings: AutoscalerSettings): Promise<void>;
};

type InstanceArgs<C> = {} extends ParamsOf<C> ? [params?: ParamsOf<C>] : [params: ParamsOf<C>];

export type { VariantOptions } from "./options.ts";

interface ClassRef {
  app: () => string;
  name: string;
  ctor: (new () => object) | null;
  /** where calls go: a deployed stack (`Cls.fromName(app, name, { stack })`), else this process's runtime */
  invoker: InvokerSource;
}

export class Cls<C extends object> {
  private constructor(private readonly ref: ClassRef, private readonly overrides: VariantOverrides) {}

  static of<C extends object>(ctor: new () => C): Cls<C> {
    const app = () => {
      for (const a of registeredApps()) if (a.classes.some((c) => c.ctor === ctor)) return a.name;
      throw new Error(`Cls.of(${ctor.name}): the class is not declared with @app.cls(...)`);
    };
    return new Cls<C>({ app, name: ctor.name, ctor, invoker: currentInvoker }, {});
  }

  /**
   * A class deployed by another app (or this one), found by name. With `stack`, from any Node
   * process with AWS credentials, like `Function.fromName(app, fn, { stack })`.
   */
  static fromName<C extends object>(appName: string, name: string, options: FromNameOptions = {}): Cls<C> {
    let invoker: InvokerSource = currentInvoker;
    if (options.stack !== undefined) {
      const stack = stackNameOf(options.stack);
      if (!stack) throw new TypeError(`Cls.fromName(${JSON.stringify(appName)}, ${JSON.stringify(name)}): stack "${options.stack}" is not a stack name`);
      invoker = deployedSource({ app: appName, stack, unit: name, region: options.region, redis: options.redis });
    }
    return new Cls<C>({ app: () => appName, name, ctor: null, invoker }, {});
  }

  withOptions(options: VariantOptions): Cls<C> {
    assertVariantOptions(options);
    return new Cls<C>(this.ref, { ...this.overrides, ...options });
  }
  withConcurrency(options: ConcurrentOptions): Cls<C> {
    return new Cls<C>(this.ref, { ...this.overrides, maxInputs: options.maxInputs, targetInputs: options.targetInputs });
  }
  withBatching(options: BatchedOptions): Cls<C> {
    return new Cls<C>(this.ref, { ...this.overrides, maxBatchSize: options.maxBatchSize, waitMs: options.waitMs });
  }

  /** The variant id the runtime deploys this handle's pool under. */
  get variant(): string { return variantId(this.ref.name, this.overrides); }

  instance(...[params]: InstanceArgs<C>): Instance<C> {
    const values = { ...(params ?? {}) } as Record<string, unknown>;
    const ref = this.ref;
    const variant = Object.keys(this.overrides).length ? this.variant : undefined;
    const target = (method?: string): CallTarget => ({ app: ref.app(), name: ref.name, method, variant, params: values });
    const local = ref.ctor ? localRunner(ref.ctor, ref.name, values) : null;
    const methods = new Map<string, CallHandleImpl>();
    return new Proxy({} as Instance<C>, {
      get(_t, key) {
        if (key === "updateAutoscaler") {
          return async (settings: AutoscalerSettings) => (await ref.invoker()).updateAutoscaler(target(), settings);
        }
        if (typeof key !== "string" || key === "then") return undefined;
        let handle = methods.get(key);
        if (!handle) {
          handle = new CallHandleImpl(() => target(key), (args) => {
            if (!local) throw new Error(`${ref.name}.${key}.local(): Cls.fromName handles cannot run locally`);
            return local(key, args);
          }, ref.invoker);
          methods.set(key, handle);
        }
        return handle;
      },
    });
  }
}

/** `.local()` on a method: one in-process instance per handle, `@enter` hooks run once before it. */
function localRunner(ctor: new () => object, name: string, params: Record<string, unknown>) {
  let ready: Promise<Record<string, (...a: unknown[]) => unknown>> | undefined;
  const meta = describeClass(ctor);
  return async (method: string, args: unknown[]): Promise<unknown> => {
    ready ??= (async () => {
      const instance = constructWithParameters(ctor, name, params) as Record<string, (...a: unknown[]) => unknown>;
      for (const hook of meta.enter) await instance[hook.name]();
      return instance;
    })();
    const instance = await ready;
    const batched = meta.methods.find((m) => m.name === method)?.batched;
    if (typeof instance[method] !== "function") throw new TypeError(`${name} has no method "${method}"`);
    if (batched && args.length === 1 && !Array.isArray(args[0])) {
      const [out] = (await instance[method]([args[0]])) as unknown[];
      return out;
    }
    return instance[method](...args);
  };
}
