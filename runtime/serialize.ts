/**
 * How arguments, results and errors cross process boundaries: msgpackr with structured cloning
 * (cycles, Maps, Sets, Dates, RegExps, bigints, typed arrays, ArrayBuffers, Buffers), plus Errors
 * with their name, message, stack, cause and custom fields (msgpackr alone keeps name, message and
 * cause only).
 *
 * Before packing, a walk checks that every value can round-trip: functions, symbols, promises and
 * instances of user classes cannot (msgpackr would silently drop them or flatten them into plain
 * objects), so they get an error that names the argument and where inside it the value sits.
 */
import { Packr, addExtension } from "msgpackr";

const packr = new Packr({ structuredClone: true, moreTypes: true });

/** A value that cannot be sent to (or back from) a container. */
export class SerializationError extends TypeError {
  override name = "SerializationError";
}

// ---- errors on the wire

/** What survives of an Error: its fields, packed by msgpackr like any other value. */
interface ErrorData {
  name: string;
  message: string;
  stack?: string;
  cause?: unknown;
  /** AggregateError's errors */
  errors?: unknown[];
  /** own enumerable fields such as `code` or `statusCode` */
  fields?: Record<string, unknown>;
}

/** Stands in for an Error while packing; only this private class gets the extension, so user code using msgpackr is unaffected. */
class WireError {
  constructor(readonly data: ErrorData) {}
}

const BUILTIN_ERRORS: Record<string, new (message?: string) => Error> = {
  Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError,
};

addExtension({
  Class: WireError,
  type: 0x47, // 'G': unused by msgpackr's own extensions
  write: (w: WireError) => w.data,
  read: (data: ErrorData) => rebuildError(data),
});

function rebuildError(data: ErrorData): Error {
  let error: Error;
  if (data.name === "AggregateError") error = new AggregateError(data.errors ?? [], data.message);
  else error = new (BUILTIN_ERRORS[data.name] ?? Error)(data.message);
  if (error.name !== data.name) {
    Object.defineProperty(error, "name", { value: data.name, writable: true, configurable: true, enumerable: false });
  }
  if (data.stack !== undefined) {
    Object.defineProperty(error, "stack", { value: data.stack, writable: true, configurable: true, enumerable: false });
  }
  if ("cause" in data) {
    Object.defineProperty(error, "cause", { value: data.cause, writable: true, configurable: true, enumerable: false });
  }
  if (data.fields) Object.assign(error, data.fields);
  return error;
}

/** Errors must always cross: fields that cannot be sent are replaced by a description. */
function errorToWire(error: Error, seen: Map<object, unknown>): WireError {
  const data: ErrorData = { name: error.name, message: String(error.message) };
  seen.set(error, undefined); // a cause cycle ends here
  if (typeof error.stack === "string") data.stack = dropFrames ? trimStack(error.stack, dropFrames) : error.stack;
  if ("cause" in error) data.cause = lenient(error.cause, seen);
  if (error instanceof AggregateError) data.errors = error.errors.map((e) => lenient(e, seen));
  const fields: Record<string, unknown> = {};
  let any = false;
  for (const key of Object.keys(error)) {
    if (key === "cause" || key === "stack" || key === "message" || key === "name") continue;
    fields[key] = lenient((error as unknown as Record<string, unknown>)[key], seen);
    any = true;
  }
  if (any) data.fields = fields;
  const wire = new WireError(data);
  seen.set(error, wire);
  return wire;
}

/** Set while encodeError runs with `dropFrames` (encoding is synchronous). */
let dropFrames: RegExp | null = null;

function trimStack(stack: string, drop: RegExp): string {
  return stack.split("\n").filter((line, i) => i === 0 || !/^\s+at /.test(line) || !drop.test(line)).join("\n");
}

function lenient(value: unknown, seen: Map<object, unknown>): unknown {
  try {
    return prepare(value, "", seen);
  } catch (err) {
    if (err instanceof Unsendable) return `[${err.what}]`;
    throw err;
  }
}

// ---- the walk

class Unsendable extends Error {
  constructor(readonly what: string, readonly path: string) {
    super(what);
  }
}

const TypedArray = Object.getPrototypeOf(Uint8Array);

function describeUnsendable(value: unknown): string | null {
  switch (typeof value) {
    case "function":
      return value.prototype && /^class\b/.test(Function.prototype.toString.call(value))
        ? `a class (${(value as Function).name || "anonymous"})`
        : "a function";
    case "symbol":
      return "a symbol";
    default:
      return null;
  }
}

/**
 * Returns `value` ready for msgpackr: the same object when nothing needed changing, otherwise a
 * copy with Errors replaced by WireErrors. Throws Unsendable for a value that cannot round-trip.
 * `seen` maps objects already visited to their prepared form (this handles cycles and sharing).
 */
function prepare(value: unknown, path: string, seen: Map<object, unknown>): unknown {
  if (value === null || typeof value !== "object") {
    const problem = describeUnsendable(value);
    if (problem) throw new Unsendable(problem, path);
    return value;
  }
  if (seen.has(value)) return seen.get(value) ?? value;
  if (value instanceof Error) return errorToWire(value, seen);

  if (Array.isArray(value)) {
    seen.set(value, value);
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const out = item !== null && typeof item === "object" || typeof item === "function" || typeof item === "symbol"
        ? prepare(item, `${path}[${i}]`, seen)
        : item;
      if (out !== item && !copy) copy = value.slice(0, i);
      if (copy) copy.push(out);
    }
    if (copy) seen.set(value, copy);
    return copy ?? value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    seen.set(value, value);
    let copy: Record<string, unknown> | null = null;
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const item = (value as Record<string, unknown>)[key];
      const out = item !== null && typeof item === "object" || typeof item === "function" || typeof item === "symbol"
        ? prepare(item, `${path}.${key}`, seen)
        : item;
      if (out !== item && !copy) {
        copy = {};
        for (let j = 0; j < i; j++) copy[keys[j]] = (value as Record<string, unknown>)[keys[j]];
      }
      if (copy) copy[key] = out;
    }
    if (copy) seen.set(value, copy);
    return copy ?? value;
  }
  if (value instanceof Map) {
    seen.set(value, value);
    let changed = false;
    const entries: Array<[unknown, unknown]> = [];
    for (const [k, v] of value) {
      const kk = prepare(k, `${path}<Map key>`, seen);
      const vv = prepare(v, `${path}.get(${typeof k === "string" ? JSON.stringify(k) : String(k)})`, seen);
      if (kk !== k || vv !== v) changed = true;
      entries.push([kk, vv]);
    }
    if (!changed) return value;
    const copy = new Map(entries);
    seen.set(value, copy);
    return copy;
  }
  if (value instanceof Set) {
    seen.set(value, value);
    let changed = false;
    const items: unknown[] = [];
    for (const v of value) {
      const vv = prepare(v, `${path}<Set element>`, seen);
      if (vv !== v) changed = true;
      items.push(vv);
    }
    if (!changed) return value;
    const copy = new Set(items);
    seen.set(value, copy);
    return copy;
  }
  if (value instanceof Date || value instanceof RegExp || value instanceof ArrayBuffer ||
      value instanceof TypedArray || value instanceof DataView) {
    return value;
  }
  throw new Unsendable(describeObject(value, proto), path);
}

function describeObject(value: object, proto: object): string {
  if (value instanceof Promise) return "a Promise (await it before sending its value)";
  if (value instanceof WeakMap || value instanceof WeakSet) return `a ${value.constructor.name}`;
  if (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer) return "a SharedArrayBuffer";
  const ctorName = (proto as { constructor?: { name?: string } }).constructor?.name;
  return `an instance of class ${ctorName || "(anonymous)"} (send plain objects, arrays, Maps, Sets, Dates, typed arrays or Buffers)`;
}

function prepareOrThrow(value: unknown, describe: (path: string, what: string) => string): unknown {
  try {
    return prepare(value, "", new Map());
  } catch (err) {
    if (err instanceof Unsendable) throw new SerializationError(describe(err.path, err.what));
    throw err;
  }
}

/** `opts.onDone`, `[2].id`, `.get("k")` (a Map value keeps its dot: `get("k")` alone reads oddly). */
function showPath(path: string): string {
  return path.startsWith(".get(") ? path : path.replace(/^\./, "");
}

// ---- public API

export interface ArgsContext {
  /** what is being called, e.g. `square.remote` or `Model.generate.map` */
  callee: string;
  /** parameter names, from the app spec, to name the argument in errors */
  paramNames?: readonly string[];
}

/** Packs a call's arguments; a value that cannot be sent gets an error naming the argument. */
export function encodeArgs(args: readonly unknown[], ctx: ArgsContext): Uint8Array {
  const prepared = new Array<unknown>(args.length);
  for (let i = 0; i < args.length; i++) {
    prepared[i] = prepareOrThrow(args[i], (path, what) => {
      const name = ctx.paramNames?.[i];
      const arg = `argument ${i + 1}${name ? ` (${name})` : ""}`;
      return path
        ? `${ctx.callee}: ${arg} holds ${what} at ${showPath(path)}, which cannot be sent to a container`
        : `${ctx.callee}: ${arg} is ${what}, which cannot be sent to a container`;
    });
  }
  return packr.pack(prepared);
}

export function decodeArgs(bytes: Uint8Array): unknown[] {
  const value = packr.unpack(bytes);
  if (!Array.isArray(value)) throw new TypeError("malformed call payload: expected an argument list");
  return value;
}

/** Packs a function's return value; `who` names the function (`square returned ...`). */
export function encodeResult(value: unknown, who: string): Uint8Array {
  const prepared = prepareOrThrow(value, (path, what) => path
    ? `${who} returned ${what} at ${showPath(path)}, which cannot be sent back to the caller`
    : `${who} returned ${what}, which cannot be sent back to the caller`);
  return packr.pack(prepared);
}

/** Packs any value (Dict keys and values, Queue items); `what` names it in errors. */
export function encodeValue(value: unknown, what: string): Uint8Array {
  const prepared = prepareOrThrow(value, (path, problem) => path
    ? `${what} holds ${problem} at ${showPath(path)}, which cannot be stored`
    : `${what} is ${problem}, which cannot be stored`);
  return packr.pack(prepared);
}

export function decodeValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

/**
 * Packs an error (or anything thrown). Never throws: fields that cannot be sent are described.
 * `options.dropFrames` removes matching stack frames (the runtime's own), here and in causes.
 */
export function encodeError(thrown: unknown, options: { dropFrames?: RegExp } = {}): Uint8Array {
  const error = thrown instanceof Error ? thrown : new Error(`non-Error thrown: ${safeString(thrown)}`);
  if (!(thrown instanceof Error) && thrown !== null && typeof thrown === "object") {
    (error as Error & { value?: unknown }).value = thrown;
  }
  dropFrames = options.dropFrames ?? null;
  try {
    return packr.pack(errorToWire(error, new Map()));
  } finally {
    dropFrames = null;
  }
}

export function decodeError(bytes: Uint8Array): Error {
  const value = packr.unpack(bytes);
  return value instanceof Error ? value : new Error(safeString(value));
}

function safeString(value: unknown): string {
  try {
    return typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
