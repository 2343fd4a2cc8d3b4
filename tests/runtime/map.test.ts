import { test } from "node:test";
import assert from "node:assert/strict";
import { mapCalls, type Submitted } from "../../runtime/map.ts";

/** A submit function whose calls finish when the test says so. */
function controlled() {
  const calls: Array<{ args: unknown[]; resolve(v: unknown): void; reject(e: unknown): void; cancelled: boolean }> = [];
  const submit = (args: unknown[]): Submitted => {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
    const call = { args, resolve, reject, cancelled: false };
    calls.push(call);
    return { promise, cancel: () => void (call.cancelled = true) };
  };
  return { calls, submit };
}

async function* tuples(n: number): AsyncIterable<unknown[]> {
  for (let i = 0; i < n; i++) yield [i];
}

const tick = () => new Promise((r) => setImmediate(r));

test("ordered outputs come in input order whatever the completion order", async () => {
  const { calls, submit } = controlled();
  const out: unknown[] = [];
  const done = (async () => {
    for await (const v of mapCalls(tuples(4), submit, { returnExceptions: false, orderOutputs: true })) out.push(v);
  })();
  await tick();
  assert.equal(calls.length, 4);
  for (const i of [3, 1, 0, 2]) calls[i].resolve(`r${i}`);
  await done;
  assert.deepEqual(out, ["r0", "r1", "r2", "r3"]);
});

test("unordered outputs come as they finish", async () => {
  const { calls, submit } = controlled();
  const out: unknown[] = [];
  const done = (async () => {
    for await (const v of mapCalls(tuples(3), submit, { returnExceptions: false, orderOutputs: false })) out.push(v);
  })();
  await tick();
  calls[2].resolve("c");
  await tick();
  calls[0].resolve("a");
  await tick();
  calls[1].resolve("b");
  await done;
  assert.deepEqual(out, ["c", "a", "b"]);
});

test("returnExceptions yields errors as values", async () => {
  const { calls, submit } = controlled();
  const pending = (async () => {
    const out: unknown[] = [];
    for await (const v of mapCalls(tuples(3), submit, { returnExceptions: true, orderOutputs: true })) out.push(v);
    return out;
  })();
  await tick();
  calls[0].resolve(1);
  calls[1].reject(new Error("two failed"));
  calls[2].reject("three");
  const out = await pending;
  assert.equal(out[0], 1);
  assert.ok(out[1] instanceof Error);
  assert.equal((out[1] as Error).message, "two failed");
  assert.equal((out[2] as Error).message, "three");
});

test("without returnExceptions the first failure throws and outstanding calls are cancelled", async () => {
  const { calls, submit } = controlled();
  const pending = (async () => {
    for await (const _ of mapCalls(tuples(3), submit, { returnExceptions: false, orderOutputs: true }));
  })();
  await tick();
  calls[0].reject(new Error("first failed"));
  await assert.rejects(pending, { message: "first failed" });
  assert.deepEqual(calls.map((c) => c.cancelled), [false, true, true]);
});

test("back-pressure: never more than `window` inputs submitted but not consumed", async () => {
  const { calls, submit } = controlled();
  let pulled = 0;
  async function* endless() {
    for (;;) {
      pulled++;
      yield [pulled];
    }
  }
  const iterator = mapCalls(endless(), submit, { returnExceptions: false, orderOutputs: true, window: 5 })[Symbol.asyncIterator]();
  const first = iterator.next();
  await tick();
  assert.equal(calls.length, 5);
  calls[0].resolve("a");
  assert.deepEqual(await first, { value: "a", done: false });
  await tick();
  assert.equal(calls.length, 6, "one consumed result frees one slot");
  await iterator.return!(undefined);
  assert.ok(calls.slice(1).every((c) => c.cancelled));
  assert.ok(pulled <= 7);
});

test("a submit that throws fails that input only", async () => {
  let i = 0;
  const submit = (args: unknown[]): Submitted => {
    if (i++ === 1) throw new TypeError("cannot send");
    return { promise: Promise.resolve(args[0]), cancel() {} };
  };
  const out: unknown[] = [];
  for await (const v of mapCalls(tuples(3), submit, { returnExceptions: true, orderOutputs: true })) out.push(v);
  assert.equal(out[0], 0);
  assert.equal((out[1] as Error).message, "cannot send");
  assert.equal(out[2], 2);
});
