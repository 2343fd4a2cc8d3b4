/**
 * What an EventBridge Scheduler invocation puts on a function's queue (provider/aws/schedule.ts)
 * is a call the worker runs: the message with its `<aws.scheduler.*>` context attributes filled
 * in as the Scheduler does, sent to the queue of a real worker loop (SQS stand-in, dynalite, s3rver).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { scheduleMessage } from "../../../provider/aws/schedule.ts";
import { parseMessage } from "../../../runtime/aws/wire.ts";
import { startLocalAws, RESULTS_TABLE, type LocalAws } from "./fixtures/local-aws.ts";
import { eventually } from "./fixtures/fleet.ts";
import { startWorker, WORKER_APP } from "./fixtures/worker-harness.ts";

const { events } = (await import(WORKER_APP)) as { events: string[] };

let aws: LocalAws;
before(async () => {
  aws = await startLocalAws();
});
after(async () => {
  await aws?.stop();
});

/** The body as the Scheduler sends it for one invocation. */
function invocation(scheduledTime: string): string {
  return scheduleMessage("tick")
    .replaceAll("<aws.scheduler.execution-id>", randomUUID())
    .replaceAll("<aws.scheduler.scheduled-time>", scheduledTime);
}

test("a scheduled invocation is a well-formed call message", () => {
  const m = parseMessage(invocation("2026-12-04T02:00:00Z"));
  assert.equal(m.function, "tick");
  assert.equal(m.callId, "tick:@sched:2026-12-04T02:00:00Z");
  assert.deepEqual(m.args, []);
});

test("the worker runs a scheduled invocation once, even when both day-field schedules fire at that minute", async () => {
  const before = events.filter((e) => e === "tick").length;
  const w = await startWorker(aws, { kind: "function", name: "tick" });
  // a cron on both day fields is two schedules (day-of-month, day-of-week): on a day both match,
  // both send a message for the same scheduled time, with different execution ids
  await w.standIn.handle("SendMessage", { QueueUrl: w.queueUrl, MessageBody: invocation("2027-03-01T09:00:00Z") });
  await w.standIn.handle("SendMessage", { QueueUrl: w.queueUrl, MessageBody: invocation("2027-03-01T09:00:00Z") });
  await w.standIn.handle("SendMessage", { QueueUrl: w.queueUrl, MessageBody: invocation("2027-03-02T09:00:00Z") });
  const record = async (callId: string) =>
    (await aws.clients.ddb.send(new GetCommand({ TableName: RESULTS_TABLE, Key: { callId }, ConsistentRead: true }))).Item;
  await eventually(async () => (await record("tick:@sched:2027-03-01T09:00:00Z"))?.status === "ok", "the first run's result");
  await eventually(async () => (await record("tick:@sched:2027-03-02T09:00:00Z"))?.status === "ok", "the second run's result");
  await eventually(async () => w.standIn.handle("GetQueueAttributes", { QueueUrl: w.queueUrl, AttributeNames: ["All"] })
    .then((r: any) => r.Attributes.ApproximateNumberOfMessages === "0" && r.Attributes.ApproximateNumberOfMessagesNotVisible === "0"), "the queue to empty");
  await w.stop();
  assert.equal(events.filter((e) => e === "tick").length - before, 2, "one run per scheduled time");
});
