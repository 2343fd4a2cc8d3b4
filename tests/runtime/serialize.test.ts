import { test } from "node:test";
import assert from "node:assert/strict";
import {
  SerializationError, decodeArgs, decodeError, decodeValue, encodeArgs, encodeError, encodeResult, encodeValue,
} from "../../runtime/serialize.ts";

const roundTrip = (value: unknown) => decodeValue(encodeValue(value, "value"));

test("round-trips Dates, Maps, Sets, typed arrays, Buffers, bigints and more", () => {
  const value = {
    date: new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 123)),
    map: new Map<unknown, unknown>([["a", 1], [2, new Set(["x", 3])], [{ k: 1 }, [1, 2]]]),
    set: new Set([1, "two", 3n]),
    f64: new Float64Array([1.5, -2.25]),
    i32: new Int32Array([-1, 2 ** 31 - 1]),
    u8: new Uint8Array([0, 255]),
    big64: new BigInt64Array([-(2n ** 63n)]),
    buffer: Buffer.from("héllo"),
    arrayBuffer: new Uint8Array([9, 8, 7]).buffer,
    regexp: /ab+c/gi,
    big: 2n ** 100n,
    nested: { list: [null, undefined, true, "s", 1.25, -7] },
    nan: NaN,
    inf: -Infinity,
  };
  const out = roundTrip(value) as typeof value;
  assert.ok(out.date instanceof Date);
  assert.equal(out.date.toISOString(), "2024-02-29T12:30:15.123Z");
  assert.ok(out.map instanceof Map);
  assert.equal(out.map.get("a"), 1);
  assert.deepEqual(out.map.get(2), new Set(["x", 3]));
  assert.deepEqual([...out.map.keys()][2], { k: 1 });
  assert.deepEqual(out.set, new Set([1, "two", 3n]));
  assert.ok(out.f64 instanceof Float64Array);
  assert.deepEqual([...out.f64], [1.5, -2.25]);
  assert.ok(out.i32 instanceof Int32Array);
  assert.deepEqual([...out.i32], [-1, 2 ** 31 - 1]);
  assert.equal(out.u8.constructor, Uint8Array);
  assert.ok(out.big64 instanceof BigInt64Array);
  assert.equal(out.big64[0], -(2n ** 63n));
  assert.ok(Buffer.isBuffer(out.buffer));
  assert.equal(out.buffer.toString(), "héllo");
  assert.ok(out.arrayBuffer instanceof ArrayBuffer);
  assert.deepEqual([...new Uint8Array(out.arrayBuffer)], [9, 8, 7]);
  assert.ok(out.regexp instanceof RegExp);
  assert.equal(out.regexp.flags, "gi");
  assert.equal(out.big, 2n ** 100n);
  assert.deepEqual(out.nested, value.nested);
  assert.ok(Number.isNaN(out.nan));
  assert.equal(out.inf, -Infinity);
});

test("keeps shared references and cycles", () => {
  const shared = { n: 1 };
  const cyclic: Record<string, unknown> = { shared, again: shared };
  cyclic.self = cyclic;
  const out = roundTrip(cyclic) as Record<string, any>;
  assert.equal(out.self, out);
  assert.equal(out.shared, out.again);
});

test("round-trips errors: class, message, stack, cause and custom fields", () => {
  const cause = new Error("the root cause");
  const error = new RangeError("out of range", { cause }) as RangeError & { code?: string; details?: unknown };
  error.code = "E_RANGE";
  error.details = { limit: 10, when: new Date(0) };
  const out = decodeError(encodeError(error)) as typeof error;
  assert.ok(out instanceof RangeError);
  assert.equal(out.name, "RangeError");
  assert.equal(out.message, "out of range");
  assert.equal(out.stack, error.stack);
  assert.equal(out.code, "E_RANGE");
  assert.deepEqual(out.details, { limit: 10, when: new Date(0) });
  assert.ok(out.cause instanceof Error);
  assert.equal((out.cause as Error).message, "the root cause");
  assert.equal((out.cause as Error).stack, cause.stack);
});

test("keeps the name of custom error classes and AggregateError's errors", () => {
  class QuotaError extends Error {
    override name = "QuotaError";
    constructor(readonly quota: number) {
      super(`quota ${quota} exceeded`);
    }
  }
  const out = decodeError(encodeError(new QuotaError(5))) as Error & { quota?: number };
  assert.equal(out.name, "QuotaError");
  assert.equal(out.quota, 5);
  assert.match(String(out.stack), /QuotaError: quota 5 exceeded/);

  const agg = decodeError(encodeError(new AggregateError([new TypeError("a"), new Error("b")], "both"))) as AggregateError;
  assert.ok(agg instanceof AggregateError);
  assert.deepEqual(agg.errors.map((e: Error) => [e.name, e.message]), [["TypeError", "a"], ["Error", "b"]]);
});

test("errors inside values (returnExceptions-style results) round-trip", () => {
  const out = roundTrip([1, new TypeError("bad"), { e: new Error("inner") }]) as [number, Error, { e: Error }];
  assert.equal(out[0], 1);
  assert.ok(out[1] instanceof TypeError);
  assert.equal(out[2].e.message, "inner");
});

test("an error with a field that cannot be sent still crosses, the field described", () => {
  const error = new Error("with a callback") as Error & { retry?: () => void };
  error.retry = () => {};
  const out = decodeError(encodeError(error)) as Error & { retry?: unknown };
  assert.equal(out.message, "with a callback");
  assert.equal(out.retry, "[a function]");
});

test("anything thrown becomes an Error", () => {
  assert.equal(decodeError(encodeError("plain string")).message, "non-Error thrown: plain string");
  const fromObject = decodeError(encodeError({ status: 404 })) as Error & { value?: unknown };
  assert.deepEqual(fromObject.value, { status: 404 });
});

test("a function argument gets an error naming the argument", () => {
  assert.throws(
    () => encodeArgs([() => 1], { callee: "square.remote", paramNames: ["x"] }),
    (err: unknown) => {
      assert.ok(err instanceof SerializationError);
      assert.equal(err.message, "square.remote: argument 1 (x) is a function, which cannot be sent to a container");
      return true;
    },
  );
});

test("the error names the argument and the path inside it", () => {
  assert.throws(
    () => encodeArgs([1, { opts: { onDone: () => {} } }], { callee: "train.remote", paramNames: ["epochs", "config"] }),
    { message: "train.remote: argument 2 (config) holds a function at opts.onDone, which cannot be sent to a container" },
  );
  assert.throws(
    () => encodeArgs([[1, Symbol("s")]], { callee: "f.map", paramNames: ["xs"] }),
    { message: "f.map: argument 1 (xs) holds a symbol at [1], which cannot be sent to a container" },
  );
  assert.throws(
    () => encodeArgs([new Map([["k", () => 1]])], { callee: "f.remote" }),
    { message: 'f.remote: argument 1 holds a function at .get("k"), which cannot be sent to a container' },
  );
});

test("class instances, promises and classes are refused by name", () => {
  class Point {
    constructor(readonly x: number) {}
  }
  assert.throws(() => encodeArgs([new Point(1)], { callee: "f.remote", paramNames: ["p"] }),
    /argument 1 \(p\) is an instance of class Point .*cannot be sent to a container/);
  assert.throws(() => encodeArgs([Promise.resolve(1)], { callee: "f.remote", paramNames: ["p"] }),
    /argument 1 \(p\) is a Promise \(await it before sending its value\)/);
  assert.throws(() => encodeArgs([Point], { callee: "f.remote", paramNames: ["p"] }),
    /argument 1 \(p\) is a class \(Point\)/);
  assert.throws(() => encodeArgs([new WeakMap()], { callee: "f.remote" }), /is a WeakMap/);
});

test("a result that cannot be sent back names the function", () => {
  assert.throws(() => encodeResult({ ok: true, run: () => 1 }, "square"),
    { message: "square returned a function at run, which cannot be sent back to the caller" });
  assert.equal(decodeValue(encodeResult({ ok: true }, "square")) instanceof Object, true);
});

test("argument lists round-trip", () => {
  const args = decodeArgs(encodeArgs([1, "two", [3], undefined], { callee: "f.remote" }));
  assert.deepEqual(args, [1, "two", [3], undefined]);
});
