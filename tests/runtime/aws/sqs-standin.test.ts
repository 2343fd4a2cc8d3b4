/** The SQS stand-in itself, through the real @aws-sdk/client-sqs: the behaviour the transport tests rely on. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  ChangeMessageVisibilityCommand, CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand,
  SendMessageBatchCommand, SendMessageCommand, SQSClient,
} from "@aws-sdk/client-sqs";
import { startSqsServer } from "./fixtures/sqs-server.ts";

let server: Awaited<ReturnType<typeof startSqsServer>>;
let sqs: SQSClient;

before(async () => {
  server = await startSqsServer();
  sqs = new SQSClient({ region: "us-east-1", endpoint: server.url, credentials: { accessKeyId: "x", secretAccessKey: "y" } });
});
after(async () => {
  sqs?.destroy();
  await server?.close();
});

let n = 0;
async function queue(attributes: Record<string, string> = {}) {
  const name = `q${++n}`;
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl!;
  const url = (await sqs.send(new CreateQueueCommand({
    QueueName: name,
    Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${name}-dlq`, maxReceiveCount: 2 }), ...attributes },
  }))).QueueUrl!;
  return { url, dlq };
}

const receive = (url: string, extra: Record<string, unknown> = {}) =>
  sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["ApproximateReceiveCount"], ...extra }));

test("a received message stays invisible for its visibility timeout, then comes back with a higher receive count", async () => {
  const { url } = await queue();
  await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "a" }));
  const first = await receive(url, { VisibilityTimeout: 1 });
  assert.equal(first.Messages?.[0].Attributes?.ApproximateReceiveCount, "1");
  assert.equal((await receive(url)).Messages?.length ?? 0, 0, "invisible while in flight");
  // a long poll answers as soon as it is visible again
  const again = await receive(url, { WaitTimeSeconds: 5 });
  assert.equal(again.Messages?.[0].Body, "a");
  assert.equal(again.Messages?.[0].Attributes?.ApproximateReceiveCount, "2");
});

test("ChangeMessageVisibility 0 makes it visible at once; only the latest receipt handle deletes", async () => {
  const { url } = await queue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:none", maxReceiveCount: 10 }) });
  await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "b" }));
  const first = (await receive(url, { VisibilityTimeout: 60 })).Messages![0];
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 }));
  const second = (await receive(url, { VisibilityTimeout: 60 })).Messages![0];
  await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle }));
  await assert.rejects(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 5 })),
    (e: Error) => e.name === "MessageNotInflight");
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: second.ReceiptHandle, VisibilityTimeout: 0 }));
  const third = (await receive(url)).Messages![0];
  assert.equal(third.Body, "b", "the stale handle deleted nothing");
  await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: third.ReceiptHandle }));
  assert.equal((await receive(url)).Messages?.length ?? 0, 0);
});

test("past maxReceiveCount the next receive moves the message to the dead-letter queue", async () => {
  const { url, dlq } = await queue();
  await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "c" }));
  for (let i = 0; i < 2; i++) {
    const m = (await receive(url)).Messages![0];
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
  }
  assert.equal((await receive(url)).Messages?.length ?? 0, 0);
  assert.equal((await receive(dlq)).Messages?.[0].Body, "c");
  assert.equal(server.standIn.queueNamed(dlq.split("/").pop()!).redriven, 1);
});

test("SQS's limits are enforced", async () => {
  const { url } = await queue({ MaximumMessageSize: "1024" });
  await assert.rejects(receive(url, { MaxNumberOfMessages: 11 }), (e: Error) => e.name === "InvalidParameterValue");
  await assert.rejects(receive(url, { WaitTimeSeconds: 21 }), (e: Error) => e.name === "InvalidParameterValue");
  await assert.rejects(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x".repeat(2000) })), (e: Error) => e.name === "InvalidParameterValue");
  await assert.rejects(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: String(i), MessageBody: "x" })) })),
    (e: Error) => e.name === "TooManyEntriesInBatchRequest");
  const delayed = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "later", DelaySeconds: 1 }));
  assert.ok(delayed.MessageId);
  assert.equal((await receive(url)).Messages?.length ?? 0, 0, "DelaySeconds hides it");
  assert.equal((await receive(url, { WaitTimeSeconds: 5 })).Messages?.[0].Body, "later");
});
