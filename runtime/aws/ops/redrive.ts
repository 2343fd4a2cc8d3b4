/**
 * `gantry redrive`: dead-lettered inputs of one unit back on its queue for another try, after a fix.
 *
 * A dead-lettered call has a stored failed result (status "error"), and a worker drops a message
 * whose call already ended (runtime/aws/results.ts `claim`). So, per message of the dead-letter queue:
 * 1. the failed result is deleted, on the condition that it is still a failure (or gone: results
 *    expire after 7 days), so the next delivery starts a fresh set of attempts;
 * 2. the original body (same call id: `FunctionCall.fromId(id).get()` gets the new result) is sent
 *    to the unit's queue;
 * 3. the dead-letter copy is deleted.
 * In that order, an interrupted run loses nothing; at worst an input is both queued and still
 * dead-lettered, and the next run skips it (its call is pending again).
 *
 * What is not moved: a call that is pending (a copy is queued or running: moved before, or the
 * run was interrupted) or cancelled stays in the dead-letter queue; a call that already succeeded
 * (a duplicate delivery won) has nothing to rerun, so its dead-letter copy is deleted. A body that
 * is not a gantry call stays. Messages looked at and left are made visible again at the end, so
 * a dry run changes nothing. Running it twice moves nothing the second time.
 */
import { attempt } from "../access.ts";
import { awsErrorName, loadDocumentClient, type CommandSender } from "../clients.ts";
import { parseMessage, parseSummary, type CallRecord, type ErrorSummary } from "../wire.ts";

export interface RedriveOptions {
  sqs: CommandSender;
  /** a DynamoDB document client */
  ddb: CommandSender;
  resultsTable: string;
  /** the unit id: function name, class name or variant id */
  unit: string;
  queueUrl: string;
  dlqUrl: string;
  /** move at most this many (default: all) */
  limit?: number;
  dryRun?: boolean;
  /** seconds a message looked at stays hidden from other readers while this run decides (default 60) */
  holdSeconds?: number;
  /** long-poll wait of each receive; SQS answers a short poll from a sample of its servers (default 1) */
  waitSeconds?: number;
  /** told about each message as it is decided */
  onEntry?: (entry: RedriveEntry) => void;
}

export type RedriveAction = "moved" | "would move" | "dropped" | "skipped";

export interface RedriveEntry {
  action: RedriveAction;
  messageId: string;
  callId: string | null;
  /** why it was dropped or skipped */
  reason?: string;
  /** the error it was dead-lettered with (message attribute `gantry.error`) */
  error: ErrorSummary | null;
  attempts: number | null;
  /** when it was dead-lettered (epoch ms) */
  deadLetteredAt: number | null;
}

interface SqsMessage {
  MessageId?: string;
  ReceiptHandle?: string;
  Body?: string;
  Attributes?: Record<string, string>;
  MessageAttributes?: Record<string, { StringValue?: string }>;
}

export async function redrive(o: RedriveOptions): Promise<RedriveEntry[]> {
  const sqsSdk = await import("@aws-sdk/client-sqs");
  const ddbSdk = await loadDocumentClient();
  const limit = o.limit ?? Infinity;
  const entries: RedriveEntry[] = [];
  const held: string[] = [];
  const seen = new Set<string>();
  let moved = 0;
  const record = (e: RedriveEntry) => {
    entries.push(e);
    o.onEntry?.(e);
  };

  try {
    while (moved < limit) {
      const out = await attempt("sqs:ReceiveMessage", o.dlqUrl, () => o.sqs.send(new sqsSdk.ReceiveMessageCommand({
        QueueUrl: o.dlqUrl,
        MaxNumberOfMessages: Math.min(10, Math.max(1, limit - moved)),
        WaitTimeSeconds: o.waitSeconds ?? 1,
        VisibilityTimeout: o.holdSeconds ?? 60,
        MessageAttributeNames: ["gantry.error", "gantry.callId", "gantry.attempts"],
        MessageSystemAttributeNames: ["SentTimestamp"],
      }))) as { Messages?: SqsMessage[] };
      const messages = out.Messages ?? [];
      if (messages.length === 0) break;
      let fresh = 0;
      for (const m of messages) {
        const receipt = m.ReceiptHandle!;
        if (seen.has(m.MessageId!) || moved >= limit) {
          held.push(receipt);
          continue;
        }
        seen.add(m.MessageId!);
        fresh++;
        const entry = await decide(o, m, ddbSdk);
        if (entry.action === "moved") {
          await send(o, sqsSdk, m.Body ?? "");
          await deleteDead(o, sqsSdk, receipt);
          moved++;
        } else if (entry.action === "dropped" && !o.dryRun) {
          await deleteDead(o, sqsSdk, receipt);
        } else {
          if (entry.action === "would move") moved++;
          held.push(receipt);
        }
        record(entry);
      }
      // every message of this receive was seen before: the queue has nothing new for this run
      if (fresh === 0) break;
    }
  } finally {
    await release(o, sqsSdk, held);
  }
  return entries;
}

async function decide(o: RedriveOptions, m: SqsMessage, ddb: Awaited<ReturnType<typeof loadDocumentClient>>): Promise<RedriveEntry> {
  const attrs = m.MessageAttributes ?? {};
  const base = {
    messageId: m.MessageId!,
    error: parseSummary(attrs["gantry.error"]?.StringValue),
    attempts: attrs["gantry.attempts"]?.StringValue ? Number(attrs["gantry.attempts"].StringValue) : null,
    deadLetteredAt: m.Attributes?.SentTimestamp ? Number(m.Attributes.SentTimestamp) : null,
  };
  let callId: string;
  try {
    callId = parseMessage(m.Body).callId;
  } catch (err) {
    return { ...base, callId: attrs["gantry.callId"]?.StringValue ?? null, action: "skipped", reason: `not a gantry call: ${(err as Error).message}` };
  }
  const table = o.resultsTable;
  const got = await attempt("dynamodb:GetItem", `table ${table}`, () =>
    o.ddb.send(new ddb.GetCommand({ TableName: table, Key: { callId }, ConsistentRead: true }))) as { Item?: CallRecord };
  const status = got.Item?.status;
  if (status === "ok") return { ...base, callId, action: "dropped", reason: "the call already succeeded (another delivery's result is stored): nothing to rerun" };
  if (status === "cancelled") return { ...base, callId, action: "skipped", reason: "the call was cancelled" };
  if (status === "pending") return { ...base, callId, action: "skipped", reason: "the call is pending again (a copy is queued or running, e.g. from an earlier redrive)" };
  if (o.dryRun) return { ...base, callId, action: "would move" };
  try {
    // only a failure (or nothing: expired) is cleared; a call another process just restarted is left alone
    await attempt("dynamodb:DeleteItem", `table ${table}`, () => o.ddb.send(new ddb.DeleteCommand({
      TableName: table,
      Key: { callId },
      ConditionExpression: "attribute_not_exists(callId) OR #s = :error",
      ExpressionAttributeNames: { "#s": "status" },
      ExpressionAttributeValues: { ":error": "error" },
    })));
  } catch (err) {
    if (awsErrorName(err) !== "ConditionalCheckFailedException") throw err;
    return { ...base, callId, action: "skipped", reason: "the call's result changed while redriving (another redrive?)" };
  }
  return { ...base, callId, action: "moved" };
}

type Sqs = typeof import("@aws-sdk/client-sqs");

async function send(o: RedriveOptions, sdk: Sqs, body: string): Promise<void> {
  await attempt("sqs:SendMessage", o.queueUrl, () => o.sqs.send(new sdk.SendMessageCommand({ QueueUrl: o.queueUrl, MessageBody: body })));
}

async function deleteDead(o: RedriveOptions, sdk: Sqs, receipt: string): Promise<void> {
  await attempt("sqs:DeleteMessage", o.dlqUrl, () => o.sqs.send(new sdk.DeleteMessageCommand({ QueueUrl: o.dlqUrl, ReceiptHandle: receipt })));
}

/** Makes the messages this run looked at and left visible again at once. */
async function release(o: RedriveOptions, sdk: Sqs, receipts: string[]): Promise<void> {
  for (let i = 0; i < receipts.length; i += 10) {
    const chunk = receipts.slice(i, i + 10);
    await attempt("sqs:ChangeMessageVisibility", o.dlqUrl, () => o.sqs.send(new sdk.ChangeMessageVisibilityBatchCommand({
      QueueUrl: o.dlqUrl,
      Entries: chunk.map((ReceiptHandle, n) => ({ Id: String(n), ReceiptHandle, VisibilityTimeout: 0 })),
    })));
  }
}
