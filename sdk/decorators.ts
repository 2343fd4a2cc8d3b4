/**
 * Standard (TC39) decorators for class members and classes: `@method()`, `@enter({ snap })`,
 * `@exit()`, `@batched({...})`, `@concurrent({...})`, and the `parameter()` field initializer.
 */
import { memberMetaFor, setClassConcurrency } from "./registry.ts";
import type { BatchedOptions, ConcurrentOptions } from "./options.ts";

type AnyMethod = (this: any, ...args: any[]) => any;

export function method() {
  return (value: AnyMethod, context: ClassMethodDecoratorContext): void => {
    memberMetaFor(value, String(context.name)).method = true;
  };
}

/** Runs once per container before any input. `snap: true` hooks run before the memory snapshot. */
export function enter(options: { snap?: boolean } = {}) {
  return (value: AnyMethod, context: ClassMethodDecoratorContext): void => {
    memberMetaFor(value, String(context.name)).enter = { snap: options.snap ?? false };
  };
}

/** Runs once when the container shuts down (SIGTERM, scale-down, preemption). */
export function exit() {
  return (value: AnyMethod, context: ClassMethodDecoratorContext): void => {
    memberMetaFor(value, String(context.name)).exit = true;
  };
}

/**
 * The method receives arrays and returns an array of the same length; callers still call it one
 * input at a time. A batch is released at `maxBatchSize` inputs or `waitMs` after its first input.
 */
export function batched(options: BatchedOptions) {
  return (value: (this: any, inputs: any[]) => unknown, context: ClassMethodDecoratorContext): void => {
    memberMetaFor(value, String(context.name)).batched = { maxBatchSize: options.maxBatchSize, waitMs: options.waitMs };
  };
}

/** Inputs in flight per container. */
export function concurrent(options: ConcurrentOptions) {
  return (value: abstract new (...args: any[]) => object, _context: ClassDecoratorContext): void => {
    setClassConcurrency(value, options);
  };
}

// ---- parameter(): typed fields filled from `.instance({ ... })`

declare const paramBrand: unique symbol;
export type ParamBrand = typeof paramBrand;
export type ParamValueType = string | number | boolean | bigint;
/** The type of a parameter field: the value's type, branded so `.instance()` can find it. */
export type Parameter<T, Required extends boolean> = T & { readonly [paramBrand]: { required: Required; type: T } };

type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T extends bigint ? bigint : T;

const PARAM = Symbol.for("gantry.parameter");
export interface ParameterMarker { [PARAM]: true; required: boolean; default?: ParamValueType }

/** A required class parameter: `modelName = parameter<string>()`. */
export function parameter<T extends ParamValueType>(): Parameter<T, true>;
/** An optional class parameter, typed from its default: `batchSize = parameter({ default: 32 })`. */
export function parameter<T extends ParamValueType>(options: { default: T }): Parameter<Widen<T>, false>;
export function parameter(options?: { default: ParamValueType }): unknown {
  const marker: ParameterMarker = options === undefined
    ? { [PARAM]: true, required: true }
    : { [PARAM]: true, required: false, default: options.default };
  return marker;
}

export function isParameterMarker(value: unknown): value is ParameterMarker {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[PARAM] === true;
}

/**
 * Builds an instance and fills its parameter fields. Unknown or missing parameters are errors that
 * name the class's parameters.
 */
export function constructWithParameters<T extends object>(
  ctor: new () => T,
  className: string,
  params: Record<string, unknown>,
): T {
  const instance = new ctor();
  const fields = parameterFields(instance);
  for (const key of Object.keys(params)) {
    if (!fields.has(key)) {
      throw new TypeError(`${className} has no parameter "${key}" (parameters: ${[...fields.keys()].join(", ") || "none"})`);
    }
  }
  for (const [name, marker] of fields) {
    if (name in params) (instance as Record<string, unknown>)[name] = params[name];
    else if (marker.required) throw new TypeError(`${className}: missing required parameter "${name}"`);
    else (instance as Record<string, unknown>)[name] = marker.default;
  }
  return instance;
}

export function parameterFields(instance: object): Map<string, ParameterMarker> {
  const fields = new Map<string, ParameterMarker>();
  for (const [key, value] of Object.entries(instance)) if (isParameterMarker(value)) fields.set(key, value);
  return fields;
}
