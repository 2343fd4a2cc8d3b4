import { test } from "node:test";
import assert from "node:assert/strict";
import { runWorker } from "../../../runtime/worker/loop.ts";
import { loadTarget, type TargetSpec } from "../../../runtime/worker/target.ts";
import { decodeError, decodeValue } from "../../../runtime/serialize.ts";
import type { Outcome } from "../../../runtime/worker/transport.ts";
import { fixturePath } from "../helpers.ts";
import { MemoryTransport } from "./memory-transport.ts";

const appFile = fixturePath("worker-app.ts");
const { events } = (await import(appFile)) as { events: string[] };

function spec(overrides: Partial<TargetSpec> = {}): TargetSpec {
  return {
    appFile, appName: "rt-worker", kind: "class", name: "Hooks", params: {}, maxInputs: 3,
    batching: { triple: { maxBatchSize: 3, waitMs: 50 } }, ...overrides,
  };
}

function value(outcome: Outcome | undefined): unknown {
  assert.equal(outcome?.status, "ok", outcome?.status === "error" ? decodeError(outcome.error).message : undefined);
  return decodeValue((outcome as { value: Uint8Array }).value);
}

function error(outcome: Outcome | undefined): Error {
  assert.equal(outcome?.status, "error");
  return decodeError((outcome as { error: Uint8Array }).error);
}

test("@enter hooks run once before any input (snap hooks first), @exit once at the end", async () => {
  events.length = 0;
  const transport = new MemoryTransport();
  const a = transport.push("next", []);
  const b = transport.push("next", []);
  const running = runWorker(await loadTarget(spec()), transport);
  await transport.waitForOutcomes(2);
  transport.control!.stop();
  assert.equal(await running, "stopped");
  assert.deepEqual(events, ["snap", "enter", "next", "next", "exit"]);
  assert.deepEqual([value(transport.outcomeOf(a)), value(transport.outcomeOf(b))].sort(), [1, 2]);
  assert.deepEqual(transport.log.filter((l) => !l.startsWith("complete")), ["ready", "close"]);
});

test("functions run with their arguments", async () => {
  const transport = new MemoryTransport();
  const id = transport.push(null, [2, 3]);
  const running = runWorker(await loadTarget(spec({ kind: "function", name: "add", maxInputs: 1, batching: {} })), transport);
  await transport.waitForOutcomes(1);
  transport.end();
  assert.equal(await running, "closed");
  assert.equal(value(transport.outcomeOf(id)), 5);
});

test("never receives more inputs than free concurrency slots", async () => {
  const transport = new MemoryTransport();
  const ids = Array.from({ length: 8 }, () => transport.push("hold", [20]));
  const running = runWorker(await loadTarget(spec()), transport);
  await transport.waitForOutcomes(8);
  transport.end();
  await running;
  assert.ok(transport.receives.every((r) => r.max <= 3 && r.got <= r.max), JSON.stringify(transport.receives));
  assert.equal(transport.receives[0].max, 3);
  assert.deepEqual(ids.map((id) => value(transport.outcomeOf(id))), Array(8).fill(20));
});

test("a user error fails its input only; the loop goes on", async () => {
  const transport = new MemoryTransport();
  const bad = transport.push("fail", ["no luck"]);
  const good = transport.push("next", []);
  const unknown = transport.push("missing", []);
  const running = runWorker(await loadTarget(spec()), transport);
  await transport.waitForOutcomes(3);
  transport.end();
  await running;
  const err = error(transport.outcomeOf(bad));
  assert.equal(err.message, "no luck");
  assert.match(String(err.stack), /worker-app\.ts/);
  assert.doesNotMatch(String(err.stack), /runtime[\\/]worker/, "the runtime's own frames are dropped");
  assert.equal(typeof value(transport.outcomeOf(good)), "number");
  assert.match(error(transport.outcomeOf(unknown)).message, /Hooks has no method "missing"/);
});

test("a timed-out input is reported as a FunctionTimeoutError and the host is told to recycle", async () => {
  const transport = new MemoryTransport();
  const recycled: string[] = [];
  const id = transport.push("hold", [400], { timeoutMs: 20 });
  const running = runWorker(await loadTarget(spec()), transport, { onTimeout: (input) => recycled.push(input.id) });
  await transport.waitForOutcomes(1);
  const outcome = transport.outcomeOf(id);
  assert.equal(outcome?.status === "error" && outcome.timedOut, true);
  assert.equal(error(outcome).name, "FunctionTimeoutError");
  assert.deepEqual(recycled, [id]);
  transport.control!.stop({ drainMs: 0 });
  await running;
  assert.equal(transport.outcomes.length, 1, "one outcome per input, even when the work finishes later");
});

test("single calls to a @batched method are batched; released at maxBatchSize or after waitMs", async () => {
  events.length = 0;
  const transport = new MemoryTransport();
  const full = [1, 2, 3].map((x) => transport.push("triple", [x]));
  const running = runWorker(await loadTarget(spec()), transport);
  await transport.waitForOutcomes(3);
  const partial = [4, 5].map((x) => transport.push("triple", [x]));
  await transport.waitForOutcomes(5);
  transport.end();
  await running;
  assert.deepEqual(full.map((id) => value(transport.outcomeOf(id))), [3, 6, 9]);
  assert.deepEqual(partial.map((id) => value(transport.outcomeOf(id))), [12, 15]);
  assert.deepEqual(events.filter((e) => e.startsWith("batch")), ["batch 3", "batch 2"]);
});

test("a cancelled input is dropped before its batch runs", async () => {
  events.length = 0;
  const transport = new MemoryTransport();
  const running = runWorker(await loadTarget(spec()), transport);
  const id = transport.push("triple", [7]);
  while (transport.receives.length === 0) await new Promise((r) => setImmediate(r));
  transport.control!.cancel(id);
  await transport.waitForOutcomes(1);
  assert.equal(transport.outcomeOf(id)?.status, "cancelled");
  transport.end();
  await running;
  assert.deepEqual(events.filter((e) => e.startsWith("batch")), []);
});

test("a failing @enter hook is a setup failure, not an input error", async () => {
  const transport = new MemoryTransport();
  transport.push("run", []);
  const exit = await runWorker(await loadTarget(spec({ name: "BrokenEnter", maxInputs: 1, batching: {} })), transport);
  assert.equal(exit, "setup-failed");
  assert.deepEqual(transport.log, ["setup-failed", "close"]);
  assert.equal(transport.outcomes.length, 0);
});

test("idle exit after idleExitMs without work runs the @exit hooks", async () => {
  events.length = 0;
  const transport = new MemoryTransport();
  transport.push("next", []);
  const exit = await runWorker(await loadTarget(spec()), transport, { idleExitMs: 30 });
  assert.equal(exit, "idle");
  assert.deepEqual(events, ["snap", "enter", "next", "exit"]);
});

test("stop drains inputs in flight before the @exit hooks", async () => {
  events.length = 0;
  const transport = new MemoryTransport();
  const id = transport.push("hold", [50]);
  const running = runWorker(await loadTarget(spec()), transport);
  while (transport.receives.length === 0) await new Promise((r) => setImmediate(r));
  transport.control!.stop({ drainMs: 10_000 });
  await running;
  assert.equal(value(transport.outcomeOf(id)), 50);
  assert.equal(events.at(-1), "exit");
});
