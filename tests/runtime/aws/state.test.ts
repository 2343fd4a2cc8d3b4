/**
 * Dict and Queue on AWS, through the AWS invoker, against real local servers: dynalite for each
 * Dict's DynamoDB table, the SQS stand-in behind the SQS protocol (real @aws-sdk/client-sqs) for each
 * Queue. Every command is recorded, so the tests state the exact calls too.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { AwsInvoker } from "../../../runtime/aws/invoker.ts";
import { groups, waitSeconds } from "../../../runtime/aws/state-queue.ts";
import { BUCKET, RESULTS_TABLE, startLocalAws, type LocalAws } from "./fixtures/local-aws.ts";
import { Recorder } from "./fixtures/recorder.ts";

let aws: LocalAws;
before(async () => {
  aws = await startLocalAws();
});
after(async () => {
  await aws?.stop();
});

let n = 0;

/** An invoker whose stack declares the given Dicts (name -> table) and Queues (name -> url). */
function invoker(state: { dicts?: Record<string, string>; queues?: Record<string, string> }) {
  const rec = new Recorder();
  const inv = new AwsInvoker({
    config: {
      queues: {}, resultsTable: RESULTS_TABLE, bucket: BUCKET, maxMessageBytes: 262144, resultTtlDays: 7,
      dicts: state.dicts ?? {}, stateQueues: state.queues ?? {},
    },
    clients: { sqs: rec.wrap("sqs", aws.clients.sqs), ddb: rec.wrap("ddb", aws.clients.ddb), s3: aws.clients.s3 },
  });
  return { inv, rec };
}

async function dict(name = `cache-${++n}`) {
  const table = await aws.createDictTable(`gantry-dict-${n}-${name}`);
  const { inv, rec } = invoker({ dicts: { [name]: table } });
  return { d: inv.dict(name, { createIfMissing: false }), rec, table };
}

describe("Dict on DynamoDB", () => {
  test("get, put, has, pop, keys and len", async () => {
    const { d, rec, table } = await dict();
    assert.deepEqual(await d.get("a"), { found: false });
    await d.put("a", { n: 1, when: new Date(0), tags: new Set(["x"]) });
    await d.put({ user: 7 }, [1, 2n]);
    assert.deepEqual(await d.get("a"), { found: true, value: { n: 1, when: new Date(0), tags: new Set(["x"]) } });
    assert.equal(await d.has("a"), true);
    assert.equal(await d.has("b"), false);
    // keys compare by value: a same-shaped object is the same key
    assert.deepEqual(await d.get({ user: 7 }), { found: true, value: [1, 2n] });
    await d.put("a", "replaced");
    assert.equal(await d.len(), 2);
    assert.deepEqual(((await d.keys()) as unknown[]).map((k) => JSON.stringify(k)).sort(), ['"a"', '{"user":7}']);
    assert.deepEqual(await d.pop("a"), { found: true, value: "replaced" });
    assert.deepEqual(await d.pop("a"), { found: false });
    assert.equal(await d.len(), 1);
    // a value stored as undefined is still an entry
    await d.put("u", undefined);
    assert.deepEqual(await d.get("u"), { found: true, value: undefined });

    const puts = rec.calls("Put", "ddb");
    assert.deepEqual(Object.keys(puts[0].input.Item).sort(), ["key", "value"]);
    assert.equal(puts[0].input.TableName, table);
    assert.equal(typeof puts[0].input.Item.key, "string", "the key is the S hash key the stack declares");
    assert.ok(rec.calls("Get", "ddb").every((c) => c.input.ConsistentRead === true));
    assert.ok(rec.calls("Delete", "ddb").every((c) => c.input.ReturnValues === "ALL_OLD"), "pop is one atomic delete");
    assert.ok(rec.calls("Scan", "ddb").every((c) => c.input.ConsistentRead === true));
    assert.ok(rec.calls("Scan", "ddb").some((c) => c.input.Select === "COUNT"), "len counts with a scan");
  });

  test("pop is atomic: of many concurrent pops of one key, exactly one gets the value", async () => {
    const { d } = await dict();
    for (let round = 0; round < 5; round++) {
      await d.put("job", round);
      const got = await Promise.all(Array.from({ length: 8 }, () => d.pop("job")));
      assert.deepEqual(got.filter((g) => g.found), [{ found: true, value: round }]);
    }
  });

  test("keys and len read every page of the table", async () => {
    const { d, rec } = await dict();
    const blob = new Uint8Array(120 * 1024).fill(1);
    // about 1.8 MB: more than one 1 MB scan page
    for (let i = 0; i < 15; i++) await d.put(`k${i}`, blob);
    rec.log.length = 0;
    assert.equal(await d.len(), 15);
    const counts = rec.calls("Scan", "ddb");
    assert.ok(counts.length >= 2, `len scanned ${counts.length} page(s)`);
    assert.ok(counts.slice(1).every((c) => c.input.ExclusiveStartKey), "each page starts where the last ended");
    rec.log.length = 0;
    assert.deepEqual(((await d.keys()) as string[]).sort(), Array.from({ length: 15 }, (_, i) => `k${i}`).sort());
    assert.ok(rec.calls("Scan", "ddb").length >= 2);
  });

  test("a Dict the stack did not declare is an error naming the declared ones", async () => {
    const { inv } = invoker({ dicts: { cache: "t1", sessions: "t2" } });
    assert.throws(() => inv.dict("typo", { createIfMissing: true }), (err: Error) => {
      assert.match(err.message, /Dict "typo": the stack has no table for "typo" \(deployed: "cache", "sessions"\)/);
      assert.match(err.message, /gantry spec/);
      return true;
    });
  });

  test("a missing table, an oversized entry and an oversized key are clear errors", async () => {
    const { inv } = invoker({ dicts: { gone: "no-such-table" } });
    await assert.rejects(inv.dict("gone", { createIfMissing: false }).get("a"), /Dict "gone": its DynamoDB table no-such-table does not exist/);
    const { d } = await dict("big");
    await assert.rejects(d.put("a", new Uint8Array(401 * 1024)), /Dict "big": this entry is \d+ bytes packed, and DynamoDB items stop at 400 KB/);
    await assert.rejects(d.put("x".repeat(2000), 1), /Dict "big": this key is \d+ bytes once encoded, and DynamoDB keys stop at 2048/);
    await assert.rejects(d.put("f", () => 1), /Dict "big" value is a function/);
    assert.equal(await d.len(), 0, "nothing was written");
  });
});

async function queue(maxMessageSize = 262144) {
  const name = `jobs-${++n}`;
  const url = await aws.createStateQueue(`gantry-queue-${name}`, maxMessageSize);
  const { inv, rec } = invoker({ queues: { [name]: url } });
  return { q: inv.queue(name, { createIfMissing: false }), rec, url, name: `gantry-queue-${name}` };
}

async function dumped(name: string) {
  return (await aws.dumpQueues())[name];
}

describe("Queue on SQS", () => {
  test("putMany sends batches of at most 10; get receives, then deletes what it received", async () => {
    const { q, rec, url, name } = await queue();
    const items = Array.from({ length: 25 }, (_, i) => ({ i, at: new Date(i) }));
    await q.put(items);
    const sends = rec.calls("SendMessageBatch", "sqs");
    assert.deepEqual(sends.map((s) => s.input.Entries.length), [10, 10, 5]);
    assert.ok(sends.every((s) => s.input.QueueUrl === url));
    const [limit] = rec.calls("GetQueueAttributes", "sqs");
    assert.deepEqual(limit.input.AttributeNames, ["MaximumMessageSize"]);
    assert.equal((await dumped(name)).messages.length, 25);

    rec.log.length = 0;
    const got = (await q.get(15, 5000)) as Array<{ i: number; at: Date }>;
    assert.equal(got.length, 15);
    assert.ok(got.every((g) => g.at instanceof Date && g.at.getTime() === g.i), "items round-trip as structured values");
    const receives = rec.calls("ReceiveMessage", "sqs");
    assert.deepEqual(receives.map((r) => [r.input.MaxNumberOfMessages, r.input.WaitTimeSeconds]), [[10, 5], [5, 0]]);
    assert.ok(receives.every((r) => r.input.VisibilityTimeout === 30));
    const deletes = rec.calls("DeleteMessageBatch", "sqs");
    assert.deepEqual(deletes.map((d) => d.input.Entries.length), [10, 5]);
    assert.ok(deletes[0].sentSeq > receives.at(-1)!.doneSeq, "deleted once received");
    assert.equal((await dumped(name)).messages.length, 10);
    const rest = (await q.get(100, 1000)) as Array<{ i: number }>;
    assert.deepEqual([...got, ...rest].map((g) => g.i).sort((a, b) => a - b), items.map((x) => x.i));
  });

  test("get waits (long polls, 20 s at most each) for a first item when it has no timeout", async () => {
    const { q, rec } = await queue();
    const waiting = q.get(1, null);
    await eventually(() => rec.calls("ReceiveMessage", "sqs").length > 0);
    await q.put(["late"]);
    assert.deepEqual(await waiting, ["late"]);
    assert.equal(rec.calls("ReceiveMessage", "sqs")[0].input.WaitTimeSeconds, 20);
  });

  test("get with a timeout long polls up to it, then answers nothing", async () => {
    const { q, rec } = await queue();
    assert.deepEqual(await q.get(1, 1000), []);
    assert.deepEqual(rec.calls("ReceiveMessage", "sqs").map((r) => r.input.WaitTimeSeconds), [1]);
    rec.log.length = 0;
    assert.deepEqual(await q.get(1, 0), []);
    assert.deepEqual(rec.calls("ReceiveMessage", "sqs").map((r) => r.input.WaitTimeSeconds), [0], "timeout 0: one short poll");
    assert.equal(rec.calls("DeleteMessageBatch", "sqs").length, 0);
    assert.equal(waitSeconds(45_000), 20);
    assert.equal(waitSeconds(1500), 2);
    assert.equal(waitSeconds(1), 1);
  });

  test("batches respect the queue's size limit; an item beyond it is refused before anything is sent", async () => {
    const { q, rec, name } = await queue(2048);
    const item = "x".repeat(600); // about 820 bytes once packed and base64-encoded
    await q.put([item, item, item, item, item]);
    const sizes = rec.calls("SendMessageBatch", "sqs").map((s) => s.input.Entries.reduce((t: number, e: any) => t + Buffer.byteLength(e.MessageBody), 0));
    assert.ok(sizes.length >= 3 && sizes.every((s) => s <= 2048), `batch sizes ${sizes}`);
    assert.equal((await dumped(name)).messages.length, 5);
    rec.log.length = 0;
    await assert.rejects(q.put(["ok", "y".repeat(3000)]), (err: Error) => {
      assert.match(err.message, /Queue "jobs-\d+": item 2 is \d+ bytes once encoded, more than the queue's limit of 2048 bytes/);
      return true;
    });
    assert.equal(rec.calls("SendMessageBatch", "sqs").length, 0);
    assert.deepEqual(groups(["a", "b", "c"], 2), [["a", "b"], ["c"]]);
    assert.deepEqual(groups(Array(12).fill("a"), 1000).map((g) => g.length), [10, 2]);
  });

  test("len is SQS's ApproximateNumberOfMessages", async () => {
    const { q, rec } = await queue();
    await q.put([1, 2, 3]);
    assert.equal(await q.len(), 3);
    const asked = rec.calls("GetQueueAttributes", "sqs").at(-1)!;
    assert.deepEqual(asked.input.AttributeNames, ["ApproximateNumberOfMessages"]);
  });

  test("a message another tool sent arrives as its text", async () => {
    const { q, url } = await queue();
    await aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "plain text from the console" }));
    assert.deepEqual(await q.get(1, 1000), ["plain text from the console"]);
  });

  test("a Queue the stack did not declare, or a queue that is gone, is a clear error", async () => {
    const { inv } = invoker({ queues: { jobs: `${aws.endpoints.sqs}/000000000000/nope` } });
    assert.throws(() => inv.queue("other", { createIfMissing: true }), /Queue "other": the stack has no queue for "other" \(deployed: "jobs"\)/);
    await assert.rejects(inv.queue("jobs", { createIfMissing: false }).len(), /Queue "jobs": its SQS queue .* does not exist/);
  });
});

async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check());
}
