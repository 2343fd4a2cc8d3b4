import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MAX_DEPTH, SerializationError, decodeArgs, decodeError, decodeValue, encodeArgs, encodeError, encodeResult, encodeValue,
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

// ---- identity, -0 and depth (issue 15, items 6 and 8)

test("a cycle survives next to NaN (and next to values that must be replaced, such as Errors)", () => {
  const withNaN: Record<string, unknown> = { n: NaN, list: [NaN, 1] };
  withNaN.self = withNaN;
  (withNaN.list as unknown[]).push(withNaN);
  const out = roundTrip(withNaN) as Record<string, any>;
  assert.equal(out.self, out);
  assert.equal(out.list[2], out);
  assert.ok(Number.isNaN(out.n) && Number.isNaN(out.list[0]));

  const withError: Record<string, unknown> = { e: new Error("inside") };
  withError.self = withError;
  const back = roundTrip(withError) as Record<string, any>;
  assert.equal(back.self, back);
  assert.ok(back.e instanceof Error);

  const shared = { e: new TypeError("shared") };
  const twice = roundTrip([shared, shared, new Map([["k", shared]])]) as any[];
  assert.equal(twice[0], twice[1]);
  assert.equal(twice[2].get("k"), twice[0]);
});

test("-0 comes back as -0: alone, in arrays, objects, Maps, Sets' neighbours and arguments", () => {
  assert.ok(Object.is(roundTrip(-0), -0));
  const out = roundTrip({ z: -0, list: [0, -0, 1], map: new Map([["k", -0]]), set: new Set([-0, 1]) }) as any;
  assert.ok(Object.is(out.z, -0));
  assert.ok(Object.is(out.list[1], -0) && Object.is(out.list[0], 0));
  assert.ok(Object.is(out.map.get("k"), -0));
  assert.deepEqual([...out.set], [0, 1], "a Set keeps +0 for -0 (SameValueZero), as JavaScript does");
  assert.ok(Object.is(decodeArgs(encodeArgs([-0], { callee: "f.remote" }))[0], -0));
  assert.ok(Object.is((decodeError(encodeError(Object.assign(new Error("x"), { at: -0 }))) as any).at, -0));
});

test("-0 is written as the standard msgpack float64, so any msgpack decoder reads -0", () => {
  assert.deepEqual([...encodeValue(-0, "value")], [0xcb, 0x80, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...encodeValue(0, "value")], [0]);
});

const nest = (levels: number, wrap: (v: unknown) => unknown) => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = wrap(v);
  return v;
};

test("a value nested too deep gets an error naming the argument, not a bare RangeError", () => {
  const deep = nest(10_000, (v) => [v]);
  assert.throws(() => encodeArgs([1, deep], { callee: "square.remote", paramNames: ["n", "x"] }), (err: unknown) => {
    assert.ok(err instanceof SerializationError, String(err));
    assert.match(err.message, new RegExp(
      `^square\\.remote: argument 2 \\(x\\) is nested deeper than ${MAX_DEPTH} levels \\(at \\[0\\]\\[0\\].*…\\), which cannot be sent to a container$`));
    return true;
  });
  assert.throws(() => encodeArgs([nest(10_000, (v) => ({ a: v }))], { callee: "f.map" }),
    /^SerializationError: f\.map: argument 1 is nested deeper than 256 levels \(at a\.a\.a/);
  assert.throws(() => encodeResult(nest(MAX_DEPTH + 1, (v) => new Set([v])), "square"),
    /^SerializationError: square returned a value nested deeper than 256 levels \(at <Set element>/);
  assert.throws(() => encodeValue(nest(MAX_DEPTH + 1, (v) => new Map([["k", v]])), 'Dict "d" value'),
    /^SerializationError: Dict "d" value is nested deeper than 256 levels/);
});

test("values up to the depth limit round-trip, whatever containers they nest", () => {
  for (const wrap of [(v: unknown) => [v], (v: unknown) => ({ a: v }), (v: unknown) => new Map([["k", v]]), (v: unknown) => new Set([v])]) {
    const value = nest(MAX_DEPTH, wrap);
    assert.deepEqual(roundTrip(value), value);
  }
  // an error deep inside a value: its fields are rebuilt below the same limit
  const deepError = Object.assign(new Error("deep"), { data: nest(MAX_DEPTH + 5, (v) => [v]) });
  assert.equal((decodeError(encodeError(deepError)) as any).data, `[nested deeper than ${MAX_DEPTH} levels]`);
});

/** A small seeded generator (mulberry32): the same random values on every run. */
function random(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("property: random nested values (cycles, sharing, NaN, -0, Errors) round-trip with their shape", () => {
  const next = random(15);
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)];
  const leaves = () => pick<unknown>([NaN, -0, 0, 1.5, -7, Infinity, "s", "", true, null, undefined, 2n ** 70n, new Date(5), new Uint8Array([1, 2])]);
  for (let run = 0; run < 200; run++) {
    const containers: object[] = [];
    const gen = (depth: number): unknown => {
      if (depth > 6 || next() < 0.3) {
        // a reference to an enclosing or earlier container: cycles and sharing
        if (containers.length && next() < 0.15) return pick(containers);
        return leaves();
      }
      const kind = pick(["array", "object", "map", "set", "error"]);
      if (kind === "error") return Object.assign(new RangeError(`e${depth}`), { code: leaves() });
      const c: any = kind === "array" ? [] : kind === "object" ? {} : kind === "map" ? new Map() : new Set();
      containers.push(c);
      const n = Math.floor(next() * 4);
      for (let i = 0; i < n; i++) {
        const v = gen(depth + 1);
        if (kind === "array") c.push(v);
        else if (kind === "object") c[`k${i}`] = v;
        else if (kind === "map") c.set(`k${i}`, v);
        else c.add(v);
      }
      return c;
    };
    const value = gen(0);
    assertSameShape(roundTrip(value), value, new Map(), `run ${run}`);
  }
});

/** Deep equality that also checks identity (cycles, sharing), NaN and -0 (Object.is). */
function assertSameShape(actual: unknown, expected: unknown, pairs: Map<object, unknown>, where: string): void {
  if (expected === null || typeof expected !== "object") {
    assert.ok(Object.is(actual, expected), `${where}: ${String(actual)} is not ${String(expected)}`);
    return;
  }
  if (pairs.has(expected)) {
    assert.equal(actual, pairs.get(expected), `${where}: a shared reference or cycle was broken`);
    return;
  }
  assert.ok(actual !== null && typeof actual === "object", `${where}: not an object`);
  pairs.set(expected, actual);
  assert.equal(Object.getPrototypeOf(actual).constructor, Object.getPrototypeOf(expected).constructor, where);
  if (expected instanceof Error) {
    const e = actual as Error & { code?: unknown };
    assert.equal(e.message, expected.message, where);
    assertSameShape(e.code, (expected as Error & { code?: unknown }).code, pairs, `${where}.code`);
  } else if (expected instanceof Map) {
    const a = actual as Map<unknown, unknown>;
    assert.deepEqual([...a.keys()], [...expected.keys()], where);
    for (const [k, v] of expected) assertSameShape(a.get(k), v, pairs, `${where}.get(${String(k)})`);
  } else if (expected instanceof Set) {
    const a = [...(actual as Set<unknown>)];
    const e = [...expected];
    assert.equal(a.length, e.length, where);
    e.forEach((v, i) => assertSameShape(a[i], v, pairs, `${where}<${i}>`));
  } else if (expected instanceof Date || expected instanceof Uint8Array) {
    assert.deepEqual(actual, expected, where);
  } else {
    const a = actual as Record<string, unknown>;
    assert.deepEqual(Object.keys(a), Object.keys(expected), where);
    for (const k of Object.keys(expected)) assertSameShape(a[k], (expected as Record<string, unknown>)[k], pairs, `${where}.${k}`);
  }
}
