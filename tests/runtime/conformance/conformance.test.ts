/**
 * The conformance suite: one set of tests, run against every transport. Each test states a
 * semantic of the API (API.md §1) that must hold wherever the code runs.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cls, Dict, FunctionCall, Queue } from "gantry";
import { TRANSPORTS, runs, until, type Harness } from "./harness.ts";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function attempts(h: Harness, key: string): number {
  return runs(h.dir, key);
}

for (const [name, start] of TRANSPORTS) {
  describe(`conformance: ${name}`, { timeout: 240_000 }, () => {
    let h: Harness;
    before(async () => {
      h = await start();
    });
    after(async () => {
      await h?.stop();
    });

    test("a call returns its value; structured values round-trip", async () => {
      const value = { n: 1, big: 2n ** 70n, when: new Date(0), tags: new Set(["a"]), map: new Map([[1, "one"]]), bytes: new Uint8Array([1, 2, 3]) };
      assert.deepEqual(await h.mod.echo.remote(value), value);
      assert.equal(await h.mod.square.remote(7), 49);
    });

    test("an error reaches the caller with its name, message and fields", async () => {
      await assert.rejects(h.mod.fail.remote("boom"), (err: Error & { code?: string }) => {
        assert.equal(err.name, "CustomError");
        assert.equal(err.message, "boom");
        assert.equal(err.code, "E_CUSTOM");
        return true;
      });
    });

    test("failed attempts are retried; the caller sees the attempt that succeeded", async () => {
      assert.equal(await h.mod.flaky.remote(h.dir, "flaky-1", 2), 3);
      assert.equal(attempts(h, "flaky-1"), 3);
    });

    test("after its retries an input fails with its last error", async () => {
      await assert.rejects(h.mod.poison.remote(h.dir, "poison-1"), (err: Error) => {
        assert.equal(err.name, "CustomError");
        assert.equal(err.message, "poisoned (attempt 3)");
        return true;
      });
      assert.equal(attempts(h, "poison-1"), 3, "1 attempt + 2 retries");
    });

    test("a per-input timeout fails the call and really stops the work", async () => {
      await assert.rejects(h.mod.slow.remote(h.dir, "slow-1"), (err: Error) => {
        assert.equal(err.name, "FunctionTimeoutError");
        return true;
      });
      const pid = Number(readFileSync(join(h.dir, "slow-1.pid"), "utf8"));
      // the process that ran the timed-out work is recycled, so the work cannot finish later
      await until(() => !alive(pid));
      assert.equal(existsSync(join(h.dir, "slow-1.finished")), false);
    });

    test("map gives results in input order; returnExceptions delivers errors as values", async () => {
      const xs = Array.from({ length: 40 }, (_, i) => i);
      assert.deepEqual(await h.mod.square.map(xs), xs.map((x) => x * x));
      const mixed = await h.mod.fail.map(["a", "b"], { returnExceptions: true });
      assert.deepEqual(mixed.map((e) => (e as Error).message), ["a", "b"]);
      assert.ok(mixed.every((e) => e instanceof Error && e.name === "CustomError"));
    });

    test("spawn, then FunctionCall.fromId(id).get() returns the result", async () => {
      const call = await h.mod.hold.spawn(5);
      assert.equal(await FunctionCall.fromId<number>(call.objectId).get(), 5);
      // a result is kept: asking again answers the same
      assert.equal(await FunctionCall.fromId<number>(call.objectId).get(), 5);
    });

    test("get({ timeout }) gives up with TimeoutError while the call goes on", async () => {
      const dir = join(h.dir, "gate-1");
      const { mkdirSync } = await import("node:fs");
      mkdirSync(dir, { recursive: true });
      const call = await h.mod.gate.spawn(dir, 30_000);
      await assert.rejects(call.get({ timeout: 0.3 }), (err: Error) => err.name === "TimeoutError");
      writeFileSync(join(dir, "go"), "");
      assert.equal(await call.get(), true);
    });

    test("a cancelled call rejects with InputCancelledError", async () => {
      const dir = join(h.dir, "gate-2");
      const { mkdirSync } = await import("node:fs");
      mkdirSync(dir, { recursive: true });
      const call = await h.mod.gate.spawn(dir, 30_000);
      await call.cancel();
      await assert.rejects(call.get(), (err: Error) => err.name === "InputCancelledError");
      writeFileSync(join(dir, "go"), ""); // let the container's work end
    });

    test("arguments and results larger than a queue message round-trip", async () => {
      const data = new Uint8Array(400 * 1024).fill(3);
      const out = await h.mod.big.remote(data, 300 * 1024);
      assert.equal(out.byteLength, 700 * 1024);
      assert.equal(out[0], 3);
      assert.equal(out[out.byteLength - 1], 7);
    });

    test("@enter runs once per container, before its inputs", async () => {
      const counter = Cls.of(h.mod.Counter).instance();
      const seen = await Promise.all([counter.enters.remote(), counter.enters.remote(), counter.enters.remote()]);
      assert.deepEqual(seen, [1, 1, 1]);
    });

    test("@concurrent: a container never runs more than maxInputs inputs at once", async () => {
      const counter = Cls.of(h.mod.Counter).instance();
      const peaks = await Promise.all(Array.from({ length: 9 }, () => counter.overlap.remote(200)));
      assert.ok(peaks.every((p) => p >= 1 && p <= 3), `peaks: ${peaks}`);
    });

    test("@batched: single calls are batched; each caller gets its own output", async () => {
      const doubler = Cls.of(h.mod.Doubler).instance();
      assert.deepEqual(await Promise.all([1, 2, 3, 4, 5].map((x) => doubler.double.remote(x))), [2, 4, 6, 8, 10]);
      const sizes = await Promise.all(Array.from({ length: 6 }, (_, i) => doubler.sizes.remote(i)));
      assert.ok(sizes.every((s) => s >= 1 && s <= 8), `batch sizes: ${sizes}`);
      assert.ok(Math.max(...sizes) > 1, `concurrent calls were batched together: ${sizes}`);
    });

    test("Dict: what one container puts, another container and the caller read; keys compare by value; pop gives a value once", async () => {
      const dict = Dict.fromName<unknown, unknown>("conformance-shared");
      const value = { n: 1, at: new Date(0), tags: new Set(["a"]) };
      await h.mod.dictOp.remote("put", { user: 1 }, value);
      assert.deepEqual(await dict.get({ user: 1 }), value, "the caller reads what a container put");
      await dict.put("from-caller", 5);
      assert.equal(await h.mod.dictOp.remote("get", "from-caller"), 5);
      assert.equal(await h.mod.dictOp.remote("has", { user: 1 }), true);
      assert.equal(await h.mod.dictOp.remote("get", "absent"), "missing");
      assert.ok((await h.mod.dictOp.remote("len")) as number >= 2);
      const keys = (await h.mod.dictOp.remote("keys")) as unknown[];
      assert.ok(keys.some((k) => k === "from-caller") && keys.some((k) => JSON.stringify(k) === '{"user":1}'), JSON.stringify(keys));
      const pops = await Promise.all(Array.from({ length: 4 }, () => h.mod.dictOp.remote("pop", { user: 1 })));
      assert.deepEqual(pops.filter((p) => p !== undefined), [value]);
      assert.equal(await dict.has({ user: 1 }), false);
    });

    test("Queue: items put by a container are taken once each, getMany takes at most max, get times out empty", async () => {
      const queue = Queue.fromName<number>("conformance-work");
      const items = Array.from({ length: 12 }, (_, i) => i);
      await h.mod.queueOp.remote("put", items);
      assert.equal(await queue.len(), 12);
      const first = await queue.getMany(5, { timeout: 5 });
      assert.ok(first.length >= 1 && first.length <= 5, `got ${first.length}`);
      const taken = [...first];
      while (taken.length < items.length) {
        const more = (await h.mod.queueOp.remote("get", undefined, 10, 2)) as number[];
        assert.ok(more.length > 0, `the queue ran dry after ${taken.length} items`);
        taken.push(...more);
      }
      assert.deepEqual(taken.sort((a, b) => a - b), items, "each item exactly once");
      assert.equal(await queue.get({ timeout: 1 }), undefined);
    });

    test("class parameters: each parameter set gets its own instance", async () => {
      const ada = Cls.of(h.mod.Greeter).instance({ name: "ada" });
      const bob = Cls.of(h.mod.Greeter).instance({ name: "bob", greeting: "hi" });
      assert.deepEqual(await Promise.all([ada.greet.remote(), bob.greet.remote(), ada.greet.remote()]), ["hello ada", "hi bob", "hello ada"]);
    });
  });
}
