/**
 * How arguments, results and errors cross process boundaries: msgpackr with structured cloning
 * (cycles, Maps, Sets, Dates, RegExps, bigints, typed arrays, ArrayBuffers, Buffers), plus Errors
 * with their name, message, stack, cause and custom fields (msgpackr alone keeps name, message and
 * cause only).
 *
 * Before packing, a walk checks that every value can round-trip: functions, symbols, promises and
 * instances of user classes cannot (msgpackr would silently drop them or flatten them into plain
 * objects), so they get an error that names the argument and where inside it the value sits. So
 * does a value nested deeper than MAX_DEPTH (msgpackr would overflow the stack). NaN, -0, cycles
 * and shared references come back as they were sent.
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
function errorToWire(error: Error, seen: Map<object, unknown>, depth: number): WireError {
  const data: ErrorData = { name: error.name, message: String(error.message) };
  seen.set(error, undefined); // a cause cycle ends here
  if (typeof error.stack === "string") data.stack = dropFrames ? trimStack(error.stack, dropFrames) : error.stack;
  if ("cause" in error) data.cause = lenient(error.cause, seen, depth);
  if (error instanceof AggregateError) data.errors = error.errors.map((e) => lenient(e, seen, depth));
  const fields: Record<string, unknown> = {};
  let any = false;
  for (const key of Object.keys(error)) {
    if (key === "cause" || key === "stack" || key === "message" || key === "name") continue;
    fields[key] = lenient((error as unknown as Record<string, unknown>)[key], seen, depth);
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

function lenient(value: unknown, seen: Map<object, unknown>, depth: number): unknown {
  try {
    return prepare(value, "", seen, depth);
  } catch (err) {
    if (err instanceof Unsendable) return `[${err.what}]`;
    throw err;
  }
}

// ---- -0 on the wire

/**
 * msgpackr writes `-0` as the integer 0. Prepared values carry a NegativeZero in its place, which
 * this extension writes as the standard msgpack float64 -0 (0xcb 80 00 ...), so any msgpack
 * decoder reads -0 back; the extension type is never on the wire.
 */
class NegativeZero {}

addExtension({
  Class: NegativeZero,
  type: 0x48, // registered for msgpackr's bookkeeping only: pack writes a plain float64
  pack(_value: NegativeZero, allocateForWrite: (size: number) => { target: Uint8Array; targetView: DataView; position: number }) {
    const { target, targetView, position } = allocateForWrite(9);
    target[position] = 0xcb;
    targetView.setFloat64(position + 1, -0);
  },
  unpack: () => -0,
} as unknown as Parameters<typeof addExtension>[0]);

// ---- the walk

/**
 * Values nested deeper than this are refused: msgpackr packs and unpacks recursively, and a few
 * thousand levels (far fewer for Sets, which cost it two frames a level) overflow the stack with
 * a bare RangeError. Counted in containers (arrays, objects, Maps, Sets, Errors) from the value's top.
 */
export const MAX_DEPTH = 256;

class Unsendable extends Error {
  constructor(readonly what: string, readonly path: string) {
    super(what);
  }
}

class TooDeep extends Unsendable {}

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

const isLeafObject = (value: object) =>
  value instanceof Date || value instanceof RegExp || value instanceof ArrayBuffer || value instanceof TypedArray || value instanceof DataView;

/**
 * Returns `value` ready for msgpackr. Two passes: `check` walks the value once, throwing
 * Unsendable for what cannot round-trip and noting whether anything must be replaced (Errors by
 * WireErrors, -0 by NegativeZero); only then does `rebuild` copy the value with the replacements.
 * Most values need none and are packed as they are. The copy registers each container before
 * descending into it, so cycles and shared references survive exactly.
 * `seen` maps objects already rebuilt to their copies (shared with the fields of Errors).
 */
function prepare(value: unknown, path: string, seen: Map<object, unknown>, depth = 0): unknown {
  const state = { replace: false };
  check(value, path, depth, new Set(), state);
  return state.replace ? rebuild(value, seen, depth) : value;
}

function check(value: unknown, path: string, depth: number, visited: Set<object>, state: { replace: boolean }): void {
  if (value === null || typeof value !== "object") {
    const problem = describeUnsendable(value);
    if (problem) throw new Unsendable(problem, path);
    if (Object.is(value, -0)) state.replace = true;
    return;
  }
  if (visited.has(value)) return;
  if (depth >= MAX_DEPTH) throw new TooDeep(`nested deeper than ${MAX_DEPTH} levels`, path);
  visited.add(value);
  const inner = depth + 1;
  if (value instanceof Error) {
    // errors always cross (errorToWire describes the fields it cannot send)
    state.replace = true;
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item !== null && (typeof item === "object" || typeof item === "function" || typeof item === "symbol")) {
        check(item, `${path}[${i}]`, inner, visited, state);
      } else if (item === 0 && 1 / item < 0) state.replace = true;
    }
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== null && (typeof item === "object" || typeof item === "function" || typeof item === "symbol")) {
        check(item, `${path}.${key}`, inner, visited, state);
      } else if (item === 0 && 1 / item < 0) state.replace = true;
    }
    return;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      check(k, `${path}<Map key>`, inner, visited, state);
      check(v, `${path}.get(${typeof k === "string" ? JSON.stringify(k) : String(k)})`, inner, visited, state);
    }
    return;
  }
  if (value instanceof Set) {
    for (const v of value) check(v, `${path}<Set element>`, inner, visited, state);
    return;
  }
  if (isLeafObject(value)) return;
  throw new Unsendable(describeObject(value, proto), path);
}

/** The copy of a checked value, with Errors and -0 replaced (see prepare). */
function rebuild(value: unknown, seen: Map<object, unknown>, depth: number): unknown {
  if (value === null || typeof value !== "object") return Object.is(value, -0) ? new NegativeZero() : value;
  if (seen.has(value)) return seen.get(value) ?? value;
  if (value instanceof Error) return errorToWire(value, seen, depth + 1);
  const inner = depth + 1;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    seen.set(value, copy);
    for (let i = 0; i < value.length; i++) copy[i] = rebuild(value[i], seen, inner);
    return copy;
  }
  if (value instanceof Map) {
    const copy = new Map<unknown, unknown>();
    seen.set(value, copy);
    for (const [k, v] of value) copy.set(rebuild(k, seen, inner), rebuild(v, seen, inner));
    return copy;
  }
  if (value instanceof Set) {
    const copy = new Set<unknown>();
    seen.set(value, copy);
    for (const v of value) copy.add(rebuild(v, seen, inner));
    return copy;
  }
  if (isLeafObject(value)) return value;
  // a plain object (check refused everything else)
  const copy: Record<string, unknown> = Object.getPrototypeOf(value) === null ? Object.create(null) : {};
  seen.set(value, copy);
  for (const key of Object.keys(value)) copy[key] = rebuild((value as Record<string, unknown>)[key], seen, inner);
  return copy;
}

function describeObject(value: object, proto: object): string {
  if (value instanceof Promise) return "a Promise (await it before sending its value)";
  if (value instanceof WeakMap || value instanceof WeakSet) return `a ${value.constructor.name}`;
  if (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer) return "a SharedArrayBuffer";
  const ctorName = (proto as { constructor?: { name?: string } }).constructor?.name;
  return `an instance of class ${ctorName || "(anonymous)"} (send plain objects, arrays, Maps, Sets, Dates, typed arrays or Buffers)`;
}

/** How an Unsendable reads after its subject: `is a function`, `holds a symbol at [1]`, `is nested deeper than ...`. */
function problemOf(err: Unsendable): string {
  if (err instanceof TooDeep) return `is ${err.what} (at ${shorten(showPath(err.path), 48)})`;
  return err.path ? `holds ${err.what} at ${showPath(err.path)}` : `is ${err.what}`;
}

function prepareOrThrow(value: unknown, describe: (problem: string, err: Unsendable) => string): unknown {
  try {
    return prepare(value, "", new Map());
  } catch (err) {
    if (err instanceof Unsendable) throw new SerializationError(describe(problemOf(err), err));
    throw err;
  }
}

/** `opts.onDone`, `[2].id`, `.get("k")` (a Map value keeps its dot: `get("k")` alone reads oddly). */
function showPath(path: string): string {
  return path.startsWith(".get(") ? path : path.replace(/^\./, "");
}

function shorten(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
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
    prepared[i] = prepareOrThrow(args[i], (problem) => {
      const name = ctx.paramNames?.[i];
      return `${ctx.callee}: argument ${i + 1}${name ? ` (${name})` : ""} ${problem}, which cannot be sent to a container`;
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
  const prepared = prepareOrThrow(value, (problem, err) => {
    // "square returned a function at run", "square returned a value nested deeper than 256 levels (at …)"
    const what = err instanceof TooDeep ? `a value ${problem.replace(/^is /, "")}`
      : err.path ? `${err.what} at ${showPath(err.path)}` : err.what;
    return `${who} returned ${what}, which cannot be sent back to the caller`;
  });
  return packr.pack(prepared);
}

/** Packs any value (Dict keys and values, Queue items); `what` names it in errors. */
export function encodeValue(value: unknown, what: string): Uint8Array {
  const prepared = prepareOrThrow(value, (problem) => `${what} ${problem}, which cannot be stored`);
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
    return packr.pack(errorToWire(error, new Map(), 0));
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
