/**
 * The input that ends its container is named (runtime/worker/loop.ts): a `process.exit` called from
 * one input's code is pinned on that input, and the transport's last words get it and its
 * innocent neighbours. `process.exit` is replaced by a recorder for the test, so nothing exits.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runWorker } from "../../../runtime/worker/loop.ts";
import { decodeError } from "../../../runtime/serialize.ts";
import type { Outcome, WorkInput } from "../../../runtime/worker/transport.ts";
import { MemoryTransport } from "./memory-transport.ts";
import { gate, stubTarget } from "./stub-target.ts";

class LastWordsTransport extends MemoryTransport {
  readonly endings: Array<{ culprit: string; outcome: Extract<Outcome, { status: "error" }>; innocent: string[] }> = [];
  endContainer(culprit: WorkInput, outcome: Extract<Outcome, { status: "error" }>, innocent: WorkInput[]): boolean {
    this.endings.push({ culprit: culprit.id, outcome, innocent: innocent.map((i) => i.id).sort() });
    return true;
  }
}

async function withFakeExit<T>(work: (exits: unknown[]) => Promise<T>): Promise<T> {
  const real = process.exit;
  const exits: unknown[] = [];
  process.exit = ((code?: number) => void exits.push(code)) as typeof process.exit;
  try {
    return await work(exits);
  } finally {
    process.exit = real;
  }
}

test("process.exit inside one input is charged to it; its neighbours are handed to the transport as innocent", async () => {
  await withFakeExit(async (exits) => {
    const transport = new LastWordsTransport();
    const hold = gate();
    const target = stubTarget({
      slots: 3,
      methods: {
        wait: async () => hold.promise,
        // from a timer: the input's async context follows its callbacks
        quit: async () => new Promise(() => setTimeout(() => process.exit(4), 20)),
      },
    });
    const a = transport.push("wait", []);
    const culprit = transport.push("quit", []);
    const b = transport.push("wait", []);
    const running = runWorker(target, transport);
    // bounded by the iterations, not by a duration
    for (let i = 0; i < 3000 && transport.endings.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(transport.endings.length, 1, "the transport was told which input ended the container");
    const [ended] = transport.endings;
    assert.equal(ended.culprit, culprit);
    assert.deepEqual(ended.innocent, [a, b].sort());
    assert.equal(ended.outcome.timedOut, false);
    const error = decodeError(ended.outcome.error);
    assert.equal(error.name, "ContainerCrashedError");
    assert.equal(error.message, "Stub.quit called process.exit(4) (attempt 1); the container was ended and its other inputs redelivered");
    assert.deepEqual(exits, [4], "then the process exits with the input's code");
    // nothing more is reported for the inputs of a container that is ending
    hold.open();
    transport.control!.stop({ drainMs: 0 });
    await running;
    assert.equal(transport.outcomes.length, 0);
  });
});

test("process.exit outside any input (the runtime's own) is not pinned on an input", async () => {
  await withFakeExit(async (exits) => {
    const transport = new LastWordsTransport();
    const hold = gate();
    const target = stubTarget({ slots: 2, methods: { wait: async () => hold.promise } });
    transport.push("wait", []);
    const running = runWorker(target, transport);
    while (transport.receives.length === 0) await new Promise((r) => setTimeout(r, 10));
    process.exit(0);
    assert.deepEqual(exits, [0]);
    assert.equal(transport.endings.length, 0);
    hold.open();
    await transport.waitForOutcomes(1);
    transport.control!.stop();
    await running;
  });
});

test("the loop puts process.exit back when it stops", async () => {
  await withFakeExit(async () => {
    const before = process.exit;
    const transport = new LastWordsTransport();
    const running = runWorker(stubTarget({ methods: {} }), transport);
    while (!transport.log.includes("ready")) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setImmediate(r));
    assert.notEqual(process.exit, before, "guarded while inputs may run");
    transport.control!.stop();
    await running;
    assert.equal(process.exit, before);
  });
});
