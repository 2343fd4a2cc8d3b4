/**
 * The AWS transport under the worker loop, with exact assertions on the calls it makes: SQS (an
 * in-process stand-in that honours visibility, receive counts and redrive), DynamoDB (dynalite)
 * and S3 (s3rver) as real local servers.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { CallTarget } from "../../../sdk/invoker.ts";
import { ResultStore } from "../../../runtime/aws/results.ts";
import { WIRE_VERSION } from "../../../runtime/aws/wire.ts";
import { startLocalAws, RESULTS_TABLE, type LocalAws } from "./fixtures/local-aws.ts";
import { eventually } from "./fixtures/fleet.ts";
import { startWorker, WORKER_APP } from "./fixtures/worker-harness.ts";
import type { Recorded } from "./fixtures/recorder.ts";

const { events, hooks } = (await import(WORKER_APP)) as { events: string[]; hooks: { onExit?: () => void } };
const svc = (method: string): CallTarget => ({ app: "aws-worker", name: "Svc", method });

let aws: LocalAws;
before(async () => {
  aws = await startLocalAws();
});
after(async () => {
  await aws?.stop();
});

async function record(callId: string): Promise<Record<string, any> | undefined> {
  return (await aws.clients.ddb.send(new GetCommand({ TableName: RESULTS_TABLE, Key: { callId }, ConsistentRead: true }))).Item;
}

/** receipt handle -> call id, from what ReceiveMessage returned */
function receipts(log: Recorded[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of log) {
    if (r.action !== "ReceiveMessage") continue;
    for (const m of r.output?.Messages ?? []) {
      try {
        out.set(m.ReceiptHandle, JSON.parse(m.Body).callId);
      } catch {
        // not a call
      }
    }
  }
  return out;
}

describe("receiving", () => {
  test("long polls 20 s and never asks for more messages than free slots", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc", maxInputs: 3 });
    const xs = Array.from({ length: 12 }, (_, i) => i);
    const results = await collect(w.invoker.map(svc("work"), (async function* () { for (const x of xs) yield [x]; })(), { returnExceptions: false, orderOutputs: true }));
    assert.deepEqual(results, xs.map((x) => x * 10));
    assert.ok((await w.invoker.remote(svc("peakSeen"), [])) as number <= 3);
    await w.stop();
    const receives = w.rec.calls("ReceiveMessage");
    assert.ok(receives.length >= 2);
    assert.equal(receives[0].input.MaxNumberOfMessages, 3, "the first poll asks for every free slot");
    for (const r of receives) {
      assert.equal(r.input.WaitTimeSeconds, 20);
      assert.equal(r.input.VisibilityTimeout, w.config.visibilityTimeoutS);
      assert.ok(r.input.MaxNumberOfMessages >= 1 && r.input.MaxNumberOfMessages <= 3, `asked for ${r.input.MaxNumberOfMessages}`);
      assert.ok((r.output?.Messages ?? []).length <= r.input.MaxNumberOfMessages);
    }
  });

  test("asks for at most 10 messages (SQS's limit) when more slots are free", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc", maxInputs: 16 });
    assert.equal(await w.invoker.remote(svc("work"), [1]), 10);
    await w.stop();
    assert.ok(w.rec.calls("ReceiveMessage").every((r) => r.input.MaxNumberOfMessages <= 10));
    assert.equal(w.rec.calls("ReceiveMessage")[0].input.MaxNumberOfMessages, 10);
  });

  test("what a pending long poll returns after a stop is still processed", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc" });
    await eventually(() => w.rec.calls("ReceiveMessage").length > 0 && w.transport.state === "ready", "the first long poll");
    const pollsBefore = w.rec.calls("ReceiveMessage").length;
    w.transport.stop(10_000, "test");
    // the message reaches the long poll that was already waiting
    const result = w.invoker.remote(svc("work"), [7]);
    assert.equal(await result, 70);
    assert.equal(await w.exit, "stopped");
    w.standIn.close();
    assert.equal(w.rec.calls("ReceiveMessage").length, pollsBefore, "no new poll after the stop");
  });
});

describe("while an input runs", () => {
  test("its visibility is extended at most every third of the timeout, so it is delivered once", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc", visibilityTimeoutS: 3 });
    assert.ok(w.config.heartbeatMs <= 1000);
    // runs for longer than the visibility timeout
    assert.equal(await w.invoker.remote(svc("hold"), [4000]), 4000);
    await w.stop();
    const [receive] = w.rec.calls("ReceiveMessage").filter((r) => (r.output?.Messages ?? []).length > 0);
    const receipt = receive.output!.Messages[0].ReceiptHandle;
    const beats = w.rec.calls("ChangeMessageVisibilityBatch").filter((r) => r.input.Entries.some((e: any) => e.ReceiptHandle === receipt));
    assert.ok(beats.length >= 2, `heartbeats: ${beats.length}`);
    for (const b of beats) assert.ok(b.input.Entries.every((e: any) => e.VisibilityTimeout === 3));
    const deliveries = w.rec.calls("ReceiveMessage").flatMap((r) => r.output?.Messages ?? []).filter((m: any) => m.MessageId === receive.output!.Messages[0].MessageId);
    assert.equal(deliveries.length, 1, "never redelivered while it ran");
  });

  test("a call cancelled while it runs is dropped: no result is written, the caller sees the cancellation", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc", cancelPollMs: 100 });
    events.length = 0;
    const callId = await w.invoker.spawn(svc("hold"), [1500]);
    await eventually(() => events.includes("hold 1500 start"), "the input to start");
    await w.invoker.cancel(callId);
    await assert.rejects(w.invoker.result(callId, {}), (e: Error) => e.name === "InputCancelledError");
    await eventually(() => events.includes("hold 1500 end") && w.rec.calls("DeleteMessageBatch").length > 0, "the run to end and its message to be deleted");
    await w.stop();
    assert.equal((await record(callId))?.status, "cancelled");
    assert.equal(w.rec.calls("Put", "ddb").length, 0, "no result write");
  });
});

describe("outcomes", () => {
  test("the result is stored (a conditional put) before the message is deleted", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc" });
    const xs = [1, 2, 3, 4, 5, 6];
    assert.deepEqual(await Promise.all(xs.map((x) => w.invoker.remote(svc("work"), [x]))), xs.map((x) => x * 10));
    await w.stop();
    const byReceipt = receipts(w.rec.log);
    const puts = w.rec.calls("Put", "ddb");
    assert.equal(puts.length, xs.length);
    for (const put of puts) assert.equal(put.input.ConditionExpression, "attribute_not_exists(#s) OR #s = :pending");
    for (const del of w.rec.calls("DeleteMessageBatch")) {
      for (const entry of del.input.Entries) {
        const callId = byReceipt.get(entry.ReceiptHandle);
        const put = puts.find((p) => p.input.Item.callId === callId);
        assert.ok(put, `a result was stored for ${callId}`);
        assert.ok(put.doneSeq < del.sentSeq, "the put had answered before the delete was sent");
      }
    }
  });

  test("a retryable failure makes the message visible after the backoff delay; the last failure is the result and is dead-lettered", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc", retries: { maxRetries: 2, initialDelay: 1, backoffCoefficient: 2 } });
    const callId = await w.invoker.spawn(svc("failTimes"), ["always", 99]);
    await assert.rejects(w.invoker.result(callId, {}), (e: Error) => e.name === "RangeError" && e.message === "always failure 3");
    await eventually(() => w.transport.stats.deadLettered === 1 && w.rec.calls("DeleteMessageBatch").length > 0, "the dead-letter send and the delete");
    await w.stop();
    const delays = w.rec.calls("ChangeMessageVisibility").map((r) => r.input.VisibilityTimeout);
    assert.deepEqual(delays, [1, 2], "initialDelay 1 s, then x2");
    const item = await record(callId);
    assert.equal(item?.status, "error");
    assert.deepEqual(JSON.parse(item!.error), { name: "RangeError", message: "always failure 3" });
    assert.equal(item?.attempt, 3);
    const dlqSends = w.rec.calls("SendMessageBatch").filter((r) => r.input.QueueUrl === w.dlqUrl);
    assert.equal(dlqSends.length, 1);
    const attrs = dlqSends[0].input.Entries[0].MessageAttributes;
    assert.deepEqual(JSON.parse(attrs["gantry.error"].StringValue), { name: "RangeError", message: "always failure 3" });
    assert.equal(attrs["gantry.callId"].StringValue, callId);
    // the order: result, then dead letter, then delete
    const put = w.rec.calls("Put", "ddb").find((p) => p.input.Item.callId === callId)!;
    const del = w.rec.calls("DeleteMessageBatch").at(-1)!;
    assert.ok(put.doneSeq < dlqSends[0].sentSeq && dlqSends[0].doneSeq < del.sentSeq);
    const dlq = w.standIn.queueNamed(w.dlqUrl.split("/").pop()!);
    assert.equal(dlq.messages.length, 1);
    assert.equal(JSON.parse(dlq.messages[0].body).callId, callId);
  });

  test("a retry succeeds: the caller sees the successful attempt, once", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc", retries: { maxRetries: 3, initialDelay: 0 } });
    assert.equal(await w.invoker.remote(svc("failTimes"), ["twice", 2]), 3);
    await w.stop();
    assert.deepEqual(w.rec.calls("ChangeMessageVisibility").map((r) => r.input.VisibilityTimeout), [0, 0]);
    assert.equal(w.transport.stats.deadLettered, 0);
  });

  test("with maxReceiveCount 1, a retry re-enqueues a fresh copy (a visibility change would dead-letter it)", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc", retries: { maxRetries: 2, initialDelay: 1 }, maxReceiveCount: 1 });
    assert.equal(await w.invoker.remote(svc("failTimes"), ["requeue", 1]), 2);
    await w.stop();
    assert.equal(w.rec.calls("ChangeMessageVisibility").length, 0);
    const copies = w.rec.calls("SendMessageBatch").filter((r) => r.input.QueueUrl === w.queueUrl);
    assert.equal(copies.length, 1);
    assert.equal(copies[0].input.Entries[0].DelaySeconds, 1);
    assert.equal(w.standIn.queueNamed(w.dlqUrl.split("/").pop()!).messages.length, 0);
  });

  test("a message on its last allowed receive is re-enqueued as a fresh copy before it runs", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc", maxReceiveCount: 3 });
    events.length = 0;
    await w.standIn.handle("SendMessage", {
      QueueUrl: w.queueUrl,
      MessageBody: JSON.stringify({ v: WIRE_VERSION, kind: "call", callId: "fc-last-receive", function: "Svc", method: "work", encoding: "json", args: [4], enqueuedAt: Date.now() }),
    });
    // two deliveries that ended without a word (crashed containers), visibility expired at once
    const name = w.queueUrl.split("/").pop()!;
    const m = w.standIn.queueNamed(name).messages[0];
    m.receiveCount = 2;
    assert.equal(await w.invoker.result("fc-last-receive", {}), 40);
    await w.stop();
    assert.equal(w.transport.stats.requeued, 1);
    const copies = w.rec.calls("SendMessageBatch").filter((r) => r.input.QueueUrl === w.queueUrl);
    assert.equal(copies.length, 1);
    assert.equal(JSON.parse(copies[0].input.Entries[0].MessageBody).callId, "fc-last-receive");
    assert.deepEqual(events, ["work 4"], "ran once, from the copy");
    assert.equal(w.standIn.queueNamed(w.dlqUrl.split("/").pop()!).redriven, 0);
  });

  test("a duplicate delivery never changes the stored result", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc" });
    const first = await w.invoker.enqueue(svc("work"), [5], "test");
    assert.equal(await w.invoker.result(first, {}), 50);
    const stored = await record(first);
    // SQS delivers the same call again (at-least-once)
    await w.invoker.enqueue(svc("work"), [6], "test", first);
    await eventually(() => w.transport.stats.duplicates === 1, "the duplicate to be dropped");
    await w.stop();
    assert.deepEqual(await record(first), stored);
    assert.equal(await w.invoker.result(first, {}), 50);
  });

  test("a call cancelled before it runs is dropped without running", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc" });
    events.length = 0;
    const callId = "fc-cancelled-early";
    await w.invoker.cancel(callId);
    await w.invoker.enqueue(svc("work"), [9], "test", callId);
    await eventually(() => w.transport.stats.duplicates === 1, "the message to be dropped");
    await w.stop();
    assert.equal(events.includes("work 9"), false);
    await assert.rejects(w.invoker.result(callId, {}), (e: Error) => e.name === "InputCancelledError");
  });

  test("arguments and results beyond the size limits go through S3", async () => {
    const w = await startWorker(aws, { kind: "function", name: "blob" });
    const data = new Uint8Array(300 * 1024);
    const callId = await w.invoker.spawn({ app: "aws-worker", name: "blob" }, [data, 250 * 1024]);
    const out = (await w.invoker.result(callId, {})) as Uint8Array;
    await eventually(() => w.rec.calls("DeleteObject", "s3").length === 1, "the input object to be removed");
    await w.stop();
    assert.equal(out.byteLength, 250 * 1024);
    const message = JSON.parse(w.rec.calls("ReceiveMessage").flatMap((r) => r.output?.Messages ?? [])[0].Body);
    assert.equal(message.args, undefined);
    // written by the caller (an external one, `@ext`), for blob (runtime/aws/call-keys.ts)
    assert.equal(message.argsKey, `inputs/@ext/blob/${callId}`);
    assert.equal(w.rec.calls("GetObject", "s3")[0].input.Key, message.argsKey);
    const item = await record(callId);
    assert.equal(item?.value, undefined);
    assert.match(item?.resultKey, new RegExp(`^results/blob/@ext/${callId}/`));
    assert.equal(w.rec.calls("PutObject", "s3")[0].input.Key, item?.resultKey);
  });

  test("calls from the web gateway (JSON) get JSON results the gateway can read", async () => {
    const w = await startWorker(aws, { kind: "function", name: "jsonish" });
    const callId = "web-call-1";
    await w.standIn.handle("SendMessage", {
      QueueUrl: w.queueUrl,
      MessageBody: JSON.stringify({ v: WIRE_VERSION, kind: "call", callId, function: "jsonish", method: null, encoding: "json", args: [{ a: 41 }], enqueuedAt: Date.now(), source: "web" }),
    });
    const item = await eventually(async () => ((await record(callId))?.status === "ok" ? record(callId) : null), "the result");
    await w.stop();
    assert.equal(item.encoding, "json");
    assert.deepEqual(JSON.parse(item.value), { sum: 42, at: "json" });
  });

  test("a malformed message goes to the dead-letter queue with the reason", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc" });
    await w.standIn.handle("SendMessage", { QueueUrl: w.queueUrl, MessageBody: "this is not a call" });
    await eventually(() => w.transport.stats.deadLettered === 1, "the dead-letter send");
    await w.stop();
    const dlq = w.standIn.queueNamed(w.dlqUrl.split("/").pop()!);
    assert.equal(dlq.messages[0].body, "this is not a call");
    assert.match(dlq.messages[0].attributes["gantry.error"].StringValue!, /not JSON/);
    assert.equal(w.standIn.queueNamed(w.queueUrl.split("/").pop()!).messages.length, 0);
  });

  test("a call whose deliveries keep crashing ends with ContainerCrashedError", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc" });
    const callId = "fc-crash-looping";
    // four earlier deliveries that never reported (their containers died)
    const store = new ResultStore(aws.clients.ddb, RESULTS_TABLE);
    for (let i = 0; i < 4; i++) await store.claim(callId, "Svc");
    await w.invoker.enqueue(svc("work"), [1], "test", callId);
    await assert.rejects(w.invoker.result(callId, {}), (e: Error) => e.name === "ContainerCrashedError" && /delivered 5 times/.test(e.message));
    await eventually(() => w.transport.stats.deadLettered === 1, "the dead-letter send");
    await w.stop();
    assert.equal(events.includes("work 1"), false);
  });
});

describe("stopping", () => {
  test("inputs still running when the drain budget ends are made visible again (visibility 0)", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc" });
    events.length = 0;
    const callId = await w.invoker.spawn(svc("hold"), [3000]);
    await eventually(() => events.includes("hold 3000 start"), "the input to start");
    assert.equal(await w.stop(0), "stopped");
    const releases = w.rec.calls("ChangeMessageVisibility").filter((r) => r.input.VisibilityTimeout === 0);
    assert.equal(releases.length, 1);
    assert.equal(receipts(w.rec.log).get(releases[0].input.ReceiptHandle), callId);
    const queue = w.standIn.queueNamed(w.queueUrl.split("/").pop()!);
    assert.equal(queue.visible, 1, "visible again for another container");
    const item = await record(callId);
    assert.equal(item?.status, "pending");
    assert.equal(item?.released, 1, "counted as a release, not a crash");
  });

  test("they are made visible before the @exit hooks run", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc" });
    events.length = 0;
    let releasedAtExit = -1;
    hooks.onExit = () => {
      releasedAtExit = w.rec.calls("ChangeMessageVisibility").filter((r) => r.input.VisibilityTimeout === 0 && r.doneSeq > 0).length;
    };
    try {
      const held = await w.invoker.spawn(svc("hold"), [2500]);
      await eventually(() => events.includes("hold 2500 start"), "the input to start");
      assert.equal(await w.stop(50), "stopped");
      assert.equal(releasedAtExit, 1, "released before @exit ran");
      assert.equal((await record(held))?.released, 1);
    } finally {
      hooks.onExit = undefined;
    }
  });

  test("the drain does not wait for an input that already failed with its timeout", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc", timeoutMs: 200 });
    events.length = 0;
    const callId = await w.invoker.spawn(svc("hold"), [8000]);
    await assert.rejects(w.invoker.result(callId, {}), (err: Error) => err.name === "FunctionTimeoutError");
    // no drain budget: were the loop waiting for the timed-out work, it would stop only after that work ended
    w.transport.stop(Infinity, "test");
    w.standIn.close();
    assert.equal(await w.exit, "stopped");
    assert.equal(events.includes("hold 8000 end"), false, "stopped while the timed-out work still ran");
    assert.equal(w.rec.calls("ChangeMessageVisibility").filter((r) => r.input.VisibilityTimeout === 0).length, 0, "an input with an outcome is not released");
  });

  test("a setup failure fails the waiting inputs with ContainerSetupError, never as an input error", async () => {
    let callId = "";
    const w = await startWorker(aws, {
      kind: "class", name: "Broken",
      beforeStart: async (invoker) => {
        callId = await invoker.spawn({ app: "aws-worker", name: "Broken", method: "run" }, []);
      },
    });
    assert.equal(await w.exit, "setup-failed");
    w.standIn.close();
    await assert.rejects(w.invoker.result(callId, {}), (e: Error) => {
      assert.equal(e.name, "ContainerSetupError");
      assert.match(e.message, /container setup failed: Error: no weights at \/models\/x/);
      return true;
    });
  });
});

test("a setup timeout is reported as a setup failure too", async () => {
  let callId = "";
  const w = await startWorker(aws, {
    kind: "class", name: "SlowEnter", setupTimeoutMs: 100,
    beforeStart: async (invoker) => {
      callId = await invoker.spawn({ app: "aws-worker", name: "SlowEnter", method: "run" }, []);
    },
  });
  assert.equal(await w.exit, "setup-failed");
  w.standIn.close();
  await assert.rejects(w.invoker.result(callId, {}), (e: Error) => {
    assert.equal(e.name, "ContainerSetupError");
    assert.match(e.message, /FunctionTimeoutError: @enter hooks did not finish within 100 ms/);
    return true;
  });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
