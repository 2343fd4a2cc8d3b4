import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { FunctionCall } from "../../../sdk/index.ts";
import { startRuntime, waitFor, type Started } from "../helpers.ts";

type Mod = typeof import("../fixtures/basic.ts");
let rt: Started<Mod>;

before(async () => {
  rt = await startRuntime<Mod>("basic.ts");
});
after(() => rt.stop());

test(".remote runs in a container process, not here", async () => {
  assert.equal(await rt.mod.square.remote(7), 49);
  const pid = await rt.mod.whoami.remote();
  assert.notEqual(pid, process.pid);
  assert.equal(await rt.mod.add.remote(2, 3), 5);
});

test(".local runs in this process", async () => {
  assert.equal(await rt.mod.whoami.local(), process.pid);
});

test("values round-trip through a container", async () => {
  const value = { when: new Date(5), ids: new Set([1, 2]), index: new Map([["a", [1n]]]), bytes: new Float32Array([0.5]), raw: Buffer.from("x") };
  assert.deepEqual(await rt.mod.echo.remote(value), value);
});

test("large payloads cross intact", async () => {
  const big = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
  const out = (await rt.mod.echo.remote(big)) as Buffer;
  assert.ok(Buffer.isBuffer(out));
  assert.equal(out.length, big.length);
  assert.ok(out.equals(big));
});

test("a remote error is re-thrown here with its class, fields, cause and the remote stack", async () => {
  await assert.rejects(rt.mod.boom.remote("bad input"), (thrown: unknown) => {
    assert.ok(thrown instanceof RangeError);
    const err = thrown as RangeError & { code?: string; cause?: Error; stack: string };
    assert.equal(err.message, "bad input");
    assert.equal(err.code, "E_BOOM");
    assert.equal(err.cause?.message, "inner cause");
    assert.match(err.stack, /fixtures[\\/]basic\.ts:\d+:\d+/, "the stack points into the user's code in the container");
    return true;
  });
});

test("an argument that cannot be sent is named before anything runs", async () => {
  await assert.rejects(rt.mod.square.remote((() => 1) as unknown as number), {
    name: "SerializationError",
    message: "square.remote: argument 1 (x) is a function, which cannot be sent to a container",
  });
  await assert.rejects(rt.mod.returnsFunction.remote(), {
    message: "returnsFunction returned a function at callback, which cannot be sent back to the caller",
  });
});

test(".map keeps input order by default", async () => {
  assert.deepEqual(await rt.mod.square.map([1, 2, 3, 4, 5]), [1, 4, 9, 16, 25]);
});

test(".map with orderOutputs: false streams results as they finish", async () => {
  const out: number[] = [];
  for await (const ms of rt.mod.sleepy.map([300, 1, 150], { orderOutputs: false })) out.push(ms);
  assert.deepEqual([...out].sort((a, b) => a - b), [1, 150, 300]);
  assert.equal(out.length, 3);
});

test(".map with returnExceptions gives errors as values; without, the error is thrown", async () => {
  const out = await rt.mod.boom.map(["a", "b"], { returnExceptions: true });
  assert.ok(out.every((e) => e instanceof RangeError));
  assert.deepEqual(out.map((e) => (e as Error).message), ["a", "b"]);
  await assert.rejects(async () => rt.mod.boom.map(["c"]), { message: "c" });
});

test(".starmap spreads argument tuples and .forEach waits for every input", async () => {
  assert.deepEqual(await rt.mod.add.starmap([[1, 2], [3, 4]]), [3, 7]);
  await rt.mod.square.forEach([1, 2, 3]);
  await assert.rejects(rt.mod.boom.forEach(["x"]), { message: "x" });
});

test(".map accepts async iterables", async () => {
  async function* gen() {
    for (let i = 0; i < 4; i++) yield i;
  }
  assert.deepEqual(await rt.mod.square.map(gen()), [0, 1, 4, 9]);
});

test("spawn, FunctionCall.get, get with a timeout, fromId", async () => {
  const call = await rt.mod.sleepy.spawn(300);
  await assert.rejects(call.get({ timeout: 0.01 }), { name: "TimeoutError" });
  assert.equal(await FunctionCall.fromId<number>(call.objectId).get(), 300);
  assert.equal(await call.get(), 300, "a result can be fetched again");
});

test("cancel: a cancelled call rejects with InputCancelledError", async () => {
  const call = await rt.mod.sleepy.spawn(60_000);
  await call.cancel();
  await assert.rejects(call.get(), { name: "InputCancelledError" });
  await assert.rejects(FunctionCall.fromId("fc-unknown").get(), /no function call "fc-unknown" in this run/);
});

test("nested calls from inside a container go through the supervisor", async () => {
  const out = await rt.mod.nested.remote(3);
  assert.equal(out.viaSpawn, 9);
  assert.equal(out.viaRemote, 16);
  assert.equal(out.remoteError, "RangeError: nested boom");
  assert.equal(await rt.mod.sumOfSquares.remote([1, 2, 3]), 14);
});

test("container stdout and stderr are forwarded line by line, prefixed with the container", async () => {
  await rt.mod.chatty.remote(5);
  await waitFor(() => rt.lines.includes("[chatty#1] careful 5"));
  assert.ok(rt.lines.includes("[chatty#1] hello 5"), rt.lines.join("\n"));
});
