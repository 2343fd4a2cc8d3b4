import { test } from "node:test";
import assert from "node:assert/strict";
import { App, Cls, Period, Retries, batched, concurrent, enter, exit, method, parameter, webEndpoint } from "gantry";
import { describeClass, registeredApps } from "../../sdk/registry.ts";
import { constructWithParameters } from "../../sdk/decorators.ts";
import { MapResult } from "../../sdk/handles.ts";
import { variantId } from "../../sdk/variant-id.ts";

const app = new App("registry-test");

@app.cls({ maxContainers: 2 })
@concurrent({ maxInputs: 4 })
class Worker {
  name = parameter<string>();
  size = parameter({ default: 3 });
  @enter() plain() {}
  @enter({ snap: true }) snapshot() {}
  @method() run(x: number) { return x + this.size; }
  @batched({ maxBatchSize: 4, waitMs: 5 }) many(xs: number[]) { return xs; }
  @webEndpoint({ method: "GET" }) page() { return "ok"; }
  @exit() done() {}
  helper() {}
}

test("decorators register the class with its members; snap hooks run first", () => {
  assert.ok(registeredApps().includes(app));
  assert.equal(app.findClass("Worker")?.ctor, Worker);
  const meta = describeClass(Worker);
  assert.deepEqual(meta.methods.map((m) => m.name), ["run", "many", "page"]);
  assert.deepEqual(meta.enter.map((m) => m.name), ["snapshot", "plain"]);
  assert.deepEqual(meta.exit.map((m) => m.name), ["done"]);
  assert.deepEqual(meta.concurrency, { maxInputs: 4, targetInputs: 4 });
  assert.deepEqual(meta.methods[1].batched, { maxBatchSize: 4, waitMs: 5 });
  assert.equal(meta.methods[2].web?.kind, "endpoint");
});

test("parameters are filled from .instance() values and defaults; mistakes name the parameters", () => {
  const w = constructWithParameters(Worker, "Worker", { name: "a" });
  assert.equal(w.name, "a");
  assert.equal(w.size, 3);
  assert.throws(() => constructWithParameters(Worker, "Worker", {}), /missing required parameter "name"/);
  assert.throws(() => constructWithParameters(Worker, "Worker", { name: "a", nme: 1 }), /no parameter "nme" \(parameters: name, size\)/);
});

test(".local() on a method runs @enter hooks once, in this process", async () => {
  const calls: string[] = [];
  const local = new App("local-test");
  @local.cls()
  class Local {
    @enter() setup() { calls.push("enter"); }
    @method() twice(x: number) { return 2 * x; }
    @batched({ maxBatchSize: 2, waitMs: 1 }) lengths(xs: string[]) { return xs.map((x) => x.length); }
  }
  const inst = Cls.of(Local).instance();
  assert.equal(await inst.twice.local(4), 8);
  assert.equal(await inst.twice.local(5), 10);
  assert.equal(await (inst.lengths.local as (x: string) => Promise<number>)("abc"), 3);
  assert.deepEqual(calls, ["enter"]);
});

test("functions are named after their exports; old Modal option names are refused", () => {
  const a = new App("names");
  const f = a.function({}, async (x: number) => x);
  assert.equal(f.name, undefined);
  a.bindExports({ double: f });
  assert.equal(f.name, "double");
  assert.throws(() => a.function({ keepWarm: 1 } as never, async () => 1), /"keepWarm" was renamed: use minContainers/);
});

test("remote calls without a runtime explain how to get one", async () => {
  const a = new App("no-runtime");
  const f = a.function({}, async () => 1);
  a.bindExports({ f });
  await assert.rejects(f.remote(), /gantry run/);
  assert.equal(await f.local(), 1);
});

test("variant ids are stable and sorted", () => {
  assert.equal(variantId("M", {}), "M");
  assert.equal(variantId("M", { maxInputs: 4, gpu: "H100" }), "M[gpu=H100,maxInputs=4]");
  assert.equal(variantId("M", { gpu: ["H100", "A100"] }), 'M[gpu=["H100","A100"]]');
  assert.equal(Cls.of(Worker).withConcurrency({ maxInputs: 2 }).withOptions({ gpu: "T4" }).variant, "Worker[gpu=T4,maxInputs=2]");
  assert.throws(() => Cls.of(Worker).withOptions({ image: undefined } as never), /cannot differ per variant/);
});

test("MapResult is both awaitable and async-iterable, and single-use", async () => {
  const r = new MapResult(async function* () { yield 1; yield 2; });
  assert.deepEqual(await r, [1, 2]);
  assert.deepEqual(await r, [1, 2]);
  const s = new MapResult(async function* () { yield "a"; });
  const seen: string[] = [];
  for await (const x of s) seen.push(x);
  assert.deepEqual(seen, ["a"]);
  assert.throws(() => s[Symbol.asyncIterator](), /already consumed/);
});

test("Retries back off geometrically up to maxDelay; Period adds up", () => {
  const r = new Retries({ maxRetries: 5, backoffCoefficient: 3, initialDelay: 1, maxDelay: 10 });
  assert.deepEqual([1, 2, 3, 4].map((n) => r.delayFor(n)), [1, 3, 9, 10]);
  assert.equal(Retries.from(2).maxRetries, 2);
  assert.equal(Period({ hours: 6 }).seconds, 21600);
  assert.equal(Period({ days: 1, minutes: 1 }).seconds, 86460);
  assert.throws(() => Period({}), /positive duration/);
});
