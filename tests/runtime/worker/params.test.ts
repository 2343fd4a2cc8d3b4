/** Class parameters travel on each input (WorkInput.params) to the target's invoke; batches never mix two parameter sets. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runWorker } from "../../../runtime/worker/loop.ts";
import { paramsKey } from "../../../runtime/worker/params.ts";
import { decodeValue } from "../../../runtime/serialize.ts";
import { MemoryTransport } from "./memory-transport.ts";
import { stubTarget } from "./stub-target.ts";

test("parameter sets have one canonical key", () => {
  assert.equal(paramsKey(undefined), "");
  assert.equal(paramsKey({}), "");
  assert.equal(paramsKey({ a: undefined }), "");
  assert.equal(paramsKey({ b: 2, a: "x" }), paramsKey({ a: "x", b: 2 }));
  assert.equal(paramsKey({ b: 2, a: "x" }), '{"a":"x","b":2}');
});

test("the target's invoke gets the input's method and params, not a name with parameters in it", async () => {
  const transport = new MemoryTransport();
  const target = stubTarget({ events: transport.log, methods: { greet: async (call) => `hi ${(call.params as { name?: string } | undefined)?.name ?? "default"}` } });
  const ada = transport.push("greet", [], { params: { name: "ada" } });
  const plain = transport.push("greet", []);
  const running = runWorker(target, transport);
  await transport.waitForOutcomes(2);
  transport.end();
  await running;
  const out = (id: string) => decodeValue((transport.outcomeOf(id) as { value: Uint8Array }).value);
  assert.equal(out(ada), "hi ada");
  assert.equal(out(plain), "hi default");
  assert.ok(transport.log.includes('invoke greet {"name":"ada"} []'));
  assert.ok(transport.log.includes("invoke greet null []"));
});

test("a @batched batch holds inputs of one parameter set only", async () => {
  const transport = new MemoryTransport();
  const target = stubTarget({
    events: transport.log,
    batching: { triple: { maxBatchSize: 2, waitMs: 60_000 } },
    methods: { triple: async (_call, [xs]) => (xs as number[]).map((x) => x * 3) },
  });
  const ids = [[1, "a"], [2, "b"], [3, "a"], [4, "b"]].map(([x, k]) => transport.push("triple", [x], { params: { k } }));
  const running = runWorker(target, transport);
  await transport.waitForOutcomes(4);
  transport.end();
  await running;
  assert.deepEqual(ids.map((id) => decodeValue((transport.outcomeOf(id) as { value: Uint8Array }).value)), [3, 6, 9, 12]);
  assert.deepEqual(transport.log.filter((l) => l.startsWith("invoke")).sort(), [
    'invoke triple {"k":"a"} [[1,3]]',
    'invoke triple {"k":"b"} [[2,4]]',
  ]);
});
