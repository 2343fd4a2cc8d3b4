/**
 * How the loop stops, over a transport with every hook: the drain waits only for inputs without an
 * outcome, the rest are handed back before `@exit` runs, and outcomes still being stored finish
 * before the transport closes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runWorker } from "../../../runtime/worker/loop.ts";
import { decodeError } from "../../../runtime/serialize.ts";
import { MemoryTransport } from "./memory-transport.ts";
import { gate, stubTarget } from "./stub-target.ts";

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setImmediate(r));
}

test("inputs the drain did not finish are handed back before @exit, and never get an outcome", async () => {
  const transport = new MemoryTransport();
  const work = gate();
  const target = stubTarget({ events: transport.log, methods: { quick: async () => 1, hold: () => work.promise.then(() => 2) } });
  const quick = transport.push("quick", []);
  const held = transport.push("hold", []);
  const running = runWorker(target, transport);
  await until(() => transport.outcomes.length === 1 && transport.log.some((l) => l.startsWith("invoke hold")));
  transport.control!.stop({ drainMs: 20 });
  assert.equal(await running, "stopped");
  assert.deepEqual(transport.handedBack.map((i) => i.id), [held]);
  const order = transport.log.filter((l) => l.startsWith("hand back") || l === "exit" || l === "close");
  assert.deepEqual(order, [`hand back ${held}`, "exit", "close"]);
  assert.deepEqual(transport.outcomes.map((o) => o.input.id), [quick]);
  // the handed-back work ends later: still no outcome from this process
  work.open();
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(transport.outcomes.map((o) => o.input.id), [quick]);
});

test("an immediate stop hands back the inputs of a pending batch; the batch never runs", async () => {
  const transport = new MemoryTransport();
  const target = stubTarget({
    events: transport.log,
    batching: { triple: { maxBatchSize: 3, waitMs: 60_000 } },
    methods: { triple: async (_call, [xs]) => (xs as number[]).map((x) => x * 3) },
  });
  const ids = [1, 2].map((x) => transport.push("triple", [x]));
  const running = runWorker(target, transport);
  await until(() => transport.receives.length > 0);
  transport.control!.stop({ drainMs: 0 });
  await running;
  assert.deepEqual(transport.handedBack.map((i) => i.id), ids);
  assert.equal(transport.outcomes.length, 0);
  assert.equal(transport.log.some((l) => l.startsWith("invoke")), false, "the batch never ran");
});

test("the drain does not wait for an input that already has an outcome (a timed-out attempt that goes on)", { timeout: 20_000 }, async () => {
  const transport = new MemoryTransport();
  const work = gate();
  const target = stubTarget({ events: transport.log, methods: { hold: () => work.promise } });
  const id = transport.push("hold", [], { timeoutMs: 10 });
  const running = runWorker(target, transport);
  await transport.waitForOutcomes(1);
  assert.equal(decodeError((transport.outcomeOf(id) as { error: Uint8Array }).error).name, "FunctionTimeoutError");
  // no drain budget: only inputs without an outcome would be waited for, and there are none
  transport.control!.stop();
  assert.equal(await running, "stopped", "the loop stopped while the timed-out work still runs");
  assert.deepEqual(transport.handedBack, [], "an input with an outcome is not handed back");
  assert.equal(transport.outcomes.length, 1);
  work.open();
});

test("outcomes still being stored finish before the transport closes", { timeout: 20_000 }, async () => {
  const transport = new MemoryTransport();
  const stored = gate();
  transport.completeGate = stored.promise;
  const target = stubTarget({ events: transport.log, methods: { quick: async () => 1 } });
  const id = transport.push("quick", []);
  const running = runWorker(target, transport);
  await until(() => transport.log.includes(`complete ${id} started`));
  transport.control!.stop();
  await until(() => transport.log.includes("exit"));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.equal(transport.log.includes("close"), false, "close waits for the outcome being stored");
  stored.open();
  await running;
  const tail = transport.log.slice(transport.log.indexOf("exit"));
  assert.deepEqual(tail, ["exit", `complete ${id}`, "close"]);
});
