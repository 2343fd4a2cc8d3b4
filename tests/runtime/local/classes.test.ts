import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Cls } from "../../../sdk/index.ts";
import { isAlive, record, startRuntime, tempDir, waitFor, type Started } from "../helpers.ts";

type Mod = typeof import("../fixtures/classes.ts");
let rt: Started<Mod>;

before(async () => {
  rt = await startRuntime<Mod>("classes.ts");
});
after(() => rt.stop());

const events = (dir: string) => readFileSync(join(dir, "events"), "utf8").trim().split("\n");

test("@enter runs once per container before any input, snap hooks first; state lives in the container", async () => {
  const dir = tempDir();
  const model = Cls.of(rt.mod.Lifecycle).instance({ dir });
  const results = [await model.hit.remote(), await model.hit.remote(), await model.hit.remote()];
  assert.deepEqual(results.map((r) => r.calls), [1, 2, 3]);
  const pid = results[0].pid;
  assert.ok(results.every((r) => r.pid === pid));
  assert.deepEqual(events(dir).slice(0, 5), [`snap ${pid}`, `enter ${pid}`, `hit ${pid}`, `hit ${pid}`, `hit ${pid}`]);
});

test("an idle container scales down after scaledownWindow and runs @exit once; the next call starts a new one", async () => {
  const dir = tempDir();
  const idle = record(rt.runtime, "container:idle");
  const model = Cls.of(rt.mod.Lifecycle).instance({ dir, label: "idle" });
  const first = await model.hit.remote();
  await waitFor(() => events(dir).includes(`exit ${first.pid}`));
  await waitFor(() => !isAlive(first.pid));
  assert.ok(idle.some((e: any) => e.pid === first.pid));
  const second = await model.hit.remote();
  assert.notEqual(second.pid, first.pid);
  assert.equal(second.calls, 1, "a new container starts with fresh state");
  assert.deepEqual(events(dir), [
    `snap ${first.pid}`, `enter ${first.pid}`, `hit ${first.pid}`, `exit ${first.pid}`,
    `snap ${second.pid}`, `enter ${second.pid}`, `hit ${second.pid}`,
  ]);
});

test("each parameter set runs in its own containers; defaults fill in", async () => {
  const dir = tempDir();
  const a = await Cls.of(rt.mod.Lifecycle).instance({ dir }).hit.remote();
  const b = await Cls.of(rt.mod.Lifecycle).instance({ dir, label: "b" }).hit.remote();
  assert.equal(a.label, "a");
  assert.equal(b.label, "b");
  assert.notEqual(a.pid, b.pid);
});

test("parameters are checked against the class", async () => {
  const dir = tempDir();
  const bad = Cls.of(rt.mod.Lifecycle).instance({ dir, nope: 1 } as never);
  await assert.rejects(bad.hit.remote(), { message: 'Lifecycle has no parameter "nope" (parameters: dir, label)' });
  const missing = Cls.of(rt.mod.Lifecycle).instance({} as never);
  await assert.rejects(missing.hit.remote(), { message: 'Lifecycle: missing required parameter "dir"' });
  const wrong = Cls.of(rt.mod.Lifecycle).instance({ dir: 5 } as never);
  await assert.rejects(wrong.hit.remote(), { message: 'Lifecycle: parameter "dir" must be a string (got number)' });
  await assert.rejects((Cls.of(rt.mod.Lifecycle).instance({ dir }) as any).nothing.remote(),
    { message: 'Lifecycle has no method "nothing" (methods: hit)' });
});

test("a deployed variant has its own pool; asking for one that was not deployed lists the deployed ones", async () => {
  const dir = tempDir();
  const base = await Cls.of(rt.mod.Lifecycle).instance({ dir }).hit.remote();
  const variant = await rt.mod.patient.instance({ dir }).hit.remote();
  assert.notEqual(base.pid, variant.pid);
  const undeployed = Cls.of(rt.mod.Lifecycle).withOptions({ timeout: 99 }).instance({ dir });
  await assert.rejects(undeployed.hit.remote(), (err: Error) => {
    assert.match(err.message, /the variant Lifecycle\[timeout=99\] was not deployed \(deployed: Lifecycle, Lifecycle\[timeout=30\]\)/);
    return true;
  });
});

test("@concurrent: up to maxInputs inputs run at once in one container, never more", async () => {
  const peaks = await Promise.all(Array.from({ length: 7 }, () => Cls.of(rt.mod.Concurrent).instance().work.remote(300)));
  assert.equal(Math.max(...peaks), 3);
});

test("@batched: a batch is released at maxBatchSize, without waiting for waitMs", async () => {
  const batches = Cls.of(rt.mod.Batches).instance({ tag: "by-size" });
  // waitMs is 60 s: only reaching maxBatchSize (8) can release this batch
  assert.deepEqual(await batches.bySize.map([1, 2, 3, 4, 5, 6, 7, 8]), [8, 8, 8, 8, 8, 8, 8, 8]);
});

test("@batched: a partial batch is released waitMs after its first input", async () => {
  const batches = Cls.of(rt.mod.Batches).instance({ tag: "by-timer" });
  // maxBatchSize is 100: only the timer can release these three
  assert.deepEqual(await batches.byTimer.map([1, 2, 3]), [3, 3, 3]);
});

test("@batched: one output per input, else the whole batch fails; the next batches still run", async () => {
  const batches = Cls.of(rt.mod.Batches).instance({ tag: "outputs" });
  const dropped = await batches.dropsOne.map([1, 2, 3, 4], { returnExceptions: true });
  assert.equal(dropped.length, 4);
  for (const e of dropped) {
    assert.ok(e instanceof TypeError);
    assert.equal((e as Error).message, "Batches.dropsOne is @batched: it returned 3 outputs for 4 inputs (return one output per input, in order)");
  }
  const thrown = await batches.throws.map([1, 2], { returnExceptions: true });
  assert.deepEqual(thrown.map((e) => (e as Error).message), ["batch of 2 failed", "batch of 2 failed"]);
  assert.deepEqual(await batches.double.map([1, 2, 3]), [2, 4, 6]);
  assert.equal(await batches.double.remote(21), 42);
  assert.deepEqual(await batches.double.remote([5, 6]), [10, 12], "an array argument is a whole batch");
});

test("updateAutoscaler changes the pool while the app runs", async () => {
  const starts = record<Record<string, any>>(rt.runtime, "container:start");
  const exits = record<Record<string, any>>(rt.runtime, "container:exit");
  const warm = Cls.of(rt.mod.Warm).instance();
  await warm.updateAutoscaler({ minContainers: 2 });
  await warm.ping.remote();
  await waitFor(() => starts.filter((e) => e.pool === "Warm").length === 2);
  await warm.updateAutoscaler({ minContainers: 0 });
  await waitFor(() => exits.filter((e) => e.pool === "Warm").length === 2);
  assert.equal(starts.filter((e) => e.pool === "Warm").length, 2);
});
