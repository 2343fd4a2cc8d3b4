import { test } from "node:test";
import assert from "node:assert/strict";
import { Batcher } from "../../../runtime/worker/batcher.ts";

function recording(fn: (items: unknown[]) => unknown[] | Promise<unknown[]> = (xs) => xs.map((x) => `out-${x}`)) {
  const batches: unknown[][] = [];
  const run = async (items: unknown[]) => {
    batches.push(items);
    return fn(items);
  };
  return { batches, run };
}

test("a batch is released as soon as it reaches maxBatchSize", async () => {
  const { batches, run } = recording();
  const batcher = new Batcher({ maxBatchSize: 3, waitMs: 3_600_000 }, run, "M.f");
  const outs = await Promise.all([1, 2, 3].map((x) => batcher.add(x, {})));
  assert.deepEqual(outs, ["out-1", "out-2", "out-3"]);
  assert.deepEqual(batches, [[1, 2, 3]]);
});

test("a partial batch is released waitMs after its first input", async () => {
  const { batches, run } = recording();
  const batcher = new Batcher({ maxBatchSize: 10, waitMs: 20 }, run, "M.f");
  const outs = await Promise.all([batcher.add("a", {}), batcher.add("b", {})]);
  assert.deepEqual(outs, ["out-a", "out-b"]);
  assert.deepEqual(batches, [["a", "b"]]);
  assert.equal(batcher.size, 0);
});

test("inputs beyond a full batch start the next one", async () => {
  const { batches, run } = recording();
  const batcher = new Batcher({ maxBatchSize: 2, waitMs: 10 }, run, "M.f");
  await Promise.all([1, 2, 3, 4, 5].map((x) => batcher.add(x, {})));
  assert.deepEqual(batches, [[1, 2], [3, 4], [5]]);
});

test("one output per input, else the whole batch fails; the next batch still runs", async () => {
  let bad = true;
  const { batches, run } = recording((xs) => (bad ? xs.slice(1) : xs));
  const batcher = new Batcher({ maxBatchSize: 3, waitMs: 10 }, run, "Embedder.embed");
  const results = await Promise.allSettled([1, 2, 3].map((x) => batcher.add(x, {})));
  assert.ok(results.every((r) => r.status === "rejected"));
  for (const r of results) {
    assert.equal((r as PromiseRejectedResult).reason.message,
      "Embedder.embed is @batched: it returned 2 outputs for 3 inputs (return one output per input, in order)");
  }
  bad = false;
  assert.deepEqual(await Promise.all([4, 5].map((x) => batcher.add(x, {}))), [4, 5]);
  assert.equal(batches.length, 2);
});

test("a batch that throws fails each of its inputs with that error", async () => {
  const batcher = new Batcher({ maxBatchSize: 2, waitMs: 10 }, async () => { throw new Error("model crashed"); }, "M.f");
  const results = await Promise.allSettled([batcher.add(1, {}), batcher.add(2, {})]);
  assert.deepEqual(results.map((r) => (r as PromiseRejectedResult).reason.message), ["model crashed", "model crashed"]);
});

test("a non-array result fails the batch", async () => {
  const batcher = new Batcher({ maxBatchSize: 1, waitMs: 10 }, async () => "nope" as unknown as unknown[], "M.f");
  await assert.rejects(batcher.add(1, {}), /returned a string for 1 inputs/);
});

test("an input removed before release is not in the batch", async () => {
  const { batches, run } = recording();
  const batcher = new Batcher({ maxBatchSize: 3, waitMs: 20 }, run, "M.f");
  const key = {};
  const dropped = batcher.add("dropped", key);
  const kept = batcher.add("kept", {});
  assert.equal(batcher.remove(key), true);
  await assert.rejects(dropped, { name: "InputCancelledError" });
  assert.equal(await kept, "out-kept");
  assert.deepEqual(batches, [["kept"]]);
});
