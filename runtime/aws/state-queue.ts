/**
 * `Queue.fromName(name)` on AWS: the standard SQS queue the stack declared for it
 * (provider/aws/state.ts). Each item is one message whose body is `gantry1:` + the base64 of the
 * packed value (runtime/serialize.ts); a body without that prefix (sent by another tool) is
 * returned as its string.
 *
 * - put / putMany: SendMessageBatch, at most 10 items and at most the queue's MaximumMessageSize
 *   bytes per request (read once from the queue); an item larger than that limit is refused.
 *   A putMany that spans several requests is not atomic: a failure leaves the earlier ones sent.
 * - get: long polls (20 s at most each, at least 1 s so every SQS server is asked; the timeout is
 *   rounded up to whole seconds) until a first item arrives or the timeout passes; then takes
 *   what is immediately there, up to `max`; then deletes what it received. `timeout: 0` is a single short poll, which SQS answers from a
 *   sample of its servers: it can miss items that are there.
 * - len: ApproximateNumberOfMessages (visible items; not the ones being received right now nor
 *   delayed ones). SQS computes it eventually: it can lag writes by about a minute.
 */
import {
  DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, type Message, type QueueAttributeName,
} from "@aws-sdk/client-sqs";
import type { QueueBackend } from "../../sdk/invoker.ts";
import { decodeValue, encodeValue } from "../serialize.ts";
import { awsErrorName, type CommandSender } from "./clients.ts";
import { LONG_POLL_SECONDS } from "./config.ts";
import { SQS_BATCH_MAX } from "./sqs-batch.ts";

const PREFIX = "gantry1:";
/** how long a received item stays hidden before it is deleted (it comes back if this process dies first) */
export const RECEIVE_VISIBILITY_SECONDS = 30;
/** attempts for batch entries SQS failed on its side (SenderFault false) */
const SEND_ATTEMPTS = 3;


export class SqsQueue implements QueueBackend {
  private maxBytes: Promise<number> | null = null;

  constructor(
    private readonly sqs: CommandSender,
    private readonly url: string,
    readonly name: string,
    private readonly now: () => number = Date.now,
  ) {}

  async put(values: unknown[]): Promise<void> {
    if (values.length === 0) return;
    const bodies = values.map((v) => PREFIX + Buffer.from(encodeValue(v, `Queue "${this.name}" item`)).toString("base64"));
    const limit = await this.limit();
    bodies.forEach((body, i) => {
      const size = Buffer.byteLength(body);
      if (size > limit) {
        throw new RangeError(`Queue "${this.name}": item ${i + 1} is ${size} bytes once encoded, more than the queue's limit of ${limit} bytes; ` +
          `put large data in a Volume (or a Dict) and queue its key`);
      }
    });
    for (const group of groups(bodies, limit)) await this.sendGroup(group);
  }

  async get(max: number, timeoutMs: number | null): Promise<unknown[]> {
    const want = Math.max(1, Math.floor(max));
    const deadline = timeoutMs === null ? Infinity : this.now() + Math.max(0, timeoutMs);
    let got = await this.receive(Math.min(SQS_BATCH_MAX, want), waitSeconds(deadline - this.now()));
    while (got.length === 0 && this.now() < deadline) {
      got = await this.receive(Math.min(SQS_BATCH_MAX, want), waitSeconds(deadline - this.now()));
    }
    // the first items came: take what is there right now, up to `max`
    while (got.length > 0 && got.length < want) {
      const more = await this.receive(Math.min(SQS_BATCH_MAX, want - got.length), 0);
      if (more.length === 0) break;
      got.push(...more);
    }
    if (got.length === 0) return [];
    await this.delete(got.map((m) => m.ReceiptHandle!));
    return got.map((m) => decodeBody(m.Body ?? ""));
  }

  async len(): Promise<number> {
    const attrs = await this.attributes(["ApproximateNumberOfMessages"]);
    return Number(attrs.ApproximateNumberOfMessages ?? 0);
  }

  // ----

  /** The queue's MaximumMessageSize, asked once. */
  private limit(): Promise<number> {
    this.maxBytes ??= this.attributes(["MaximumMessageSize"]).then((a) => Number(a.MaximumMessageSize ?? 262_144));
    this.maxBytes.catch(() => (this.maxBytes = null));
    return this.maxBytes;
  }

  private async attributes(names: QueueAttributeName[]): Promise<Record<string, string>> {
    const out = await this.send(new GetQueueAttributesCommand({ QueueUrl: this.url, AttributeNames: names }));
    return (out.Attributes ?? {}) as Record<string, string>;
  }

  private async sendGroup(bodies: string[]): Promise<void> {
    let entries = bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody }));
    for (let attempt = 1; ; attempt++) {
      const out = await this.send(new SendMessageBatchCommand({ QueueUrl: this.url, Entries: entries }));
      const failed = (out.Failed ?? []) as Array<{ Id: string; SenderFault?: boolean; Code?: string; Message?: string }>;
      if (failed.length === 0) return;
      const ours = failed.find((f) => f.SenderFault);
      if (ours || attempt >= SEND_ATTEMPTS) {
        const f = ours ?? failed[0];
        throw new Error(`Queue "${this.name}": SQS refused ${failed.length} of ${entries.length} items: ${f.Code ?? "error"}: ${f.Message ?? ""}`);
      }
      const retry = new Set(failed.map((f) => f.Id));
      entries = entries.filter((e) => retry.has(e.Id));
    }
  }

  private async receive(max: number, wait: number): Promise<Message[]> {
    const out = await this.send(new ReceiveMessageCommand({
      QueueUrl: this.url, MaxNumberOfMessages: max, WaitTimeSeconds: wait, VisibilityTimeout: RECEIVE_VISIBILITY_SECONDS,
    }));
    return out.Messages ?? [];
  }

  /** Deletes what was received. An entry that fails comes back after RECEIVE_VISIBILITY_SECONDS (at-least-once). */
  private async delete(receipts: string[]): Promise<void> {
    for (let i = 0; i < receipts.length; i += SQS_BATCH_MAX) {
      const chunk = receipts.slice(i, i + SQS_BATCH_MAX);
      await this.send(new DeleteMessageBatchCommand({ QueueUrl: this.url, Entries: chunk.map((ReceiptHandle, k) => ({ Id: String(k), ReceiptHandle })) }));
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async send(command: unknown): Promise<any> {
    try {
      return await this.sqs.send(command);
    } catch (err) {
      const name = awsErrorName(err);
      if (name === "QueueDoesNotExist" || name === "AWS.SimpleQueueService.NonExistentQueue") {
        throw new Error(`Queue "${this.name}": its SQS queue ${this.url} does not exist (was the stack deployed, or the queue deleted?)`, { cause: err });
      }
      throw err;
    }
  }
}

/** Seconds for the next long poll towards `leftMs`: whole seconds, 1 to 20 (0 only for a timeout of 0). */
export function waitSeconds(leftMs: number): number {
  if (leftMs <= 0) return 0;
  return Math.min(LONG_POLL_SECONDS, Math.max(1, Math.ceil(leftMs / 1000)));
}

/** Consecutive groups of at most 10 bodies and at most `limit` bytes. */
export function groups(bodies: string[], limit: number): string[][] {
  const out: string[][] = [];
  let group: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body);
    if (group.length && (group.length === SQS_BATCH_MAX || bytes + size > limit)) {
      out.push(group);
      group = [];
      bytes = 0;
    }
    group.push(body);
    bytes += size;
  }
  if (group.length) out.push(group);
  return out;
}

function decodeBody(body: string): unknown {
  if (!body.startsWith(PREFIX)) return body;
  return decodeValue(Buffer.from(body.slice(PREFIX.length), "base64"));
}
