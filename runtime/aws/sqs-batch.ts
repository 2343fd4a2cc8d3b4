/**
 * SQS calls coalesced into its batch APIs (at most 10 entries each): deletes and sends made in the
 * same turn of the event loop share one request, so a busy worker or a large `.map` makes a tenth
 * of the requests. Each entry still resolves or rejects on its own.
 */
import {
  ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, SendMessageBatchCommand,
  type MessageAttributeValue,
} from "@aws-sdk/client-sqs";
import type { CommandSender } from "./clients.ts";

export const SQS_BATCH_MAX = 10;

interface Pending<T> {
  item: T;
  resolve(): void;
  reject(error: Error): void;
}

type Failure = { Id?: string; Code?: string; Message?: string };

function entryError(failure: Failure): Error {
  const error = new Error(failure.Message || failure.Code || "the batch entry failed");
  error.name = failure.Code || "BatchEntryFailed";
  return error;
}

/** Collects items for one turn of the event loop, then runs them in groups (by count and size). */
class Coalescer<T> {
  private pending: Pending<T>[] = [];
  private scheduled = false;

  constructor(
    private readonly run: (items: T[]) => Promise<Array<Error | null>>,
    private readonly size: (item: T) => number = () => 0,
    private readonly maxBytes = Infinity,
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.pending.splice(0);
    while (all.length) {
      const group: Pending<T>[] = [];
      let bytes = 0;
      while (all.length && group.length < SQS_BATCH_MAX && (group.length === 0 || bytes + this.size(all[0].item) <= this.maxBytes)) {
        bytes += this.size(all[0].item);
        group.push(all.shift()!);
      }
      this.run(group.map((p) => p.item)).then(
        (errors) => group.forEach((p, i) => (errors[i] ? p.reject(errors[i]!) : p.resolve())),
        (error: Error) => group.forEach((p) => p.reject(error)),
      );
    }
  }
}

/** Maps a batch response's `Failed` entries back to their positions. */
function failures(ids: string[], failed: Failure[] | undefined): Array<Error | null> {
  const byId = new Map((failed ?? []).map((f) => [f.Id, f]));
  return ids.map((id) => (byId.has(id) ? entryError(byId.get(id)!) : null));
}

export interface OutgoingMessage {
  body: string;
  delaySeconds?: number;
  attributes?: Record<string, MessageAttributeValue>;
}

export class QueueBatcher {
  private readonly deletes: Coalescer<string>;
  private readonly sends: Coalescer<OutgoingMessage>;

  constructor(private readonly sqs: CommandSender, readonly queueUrl: string, maxMessageBytes: number) {
    this.deletes = new Coalescer(async (handles) => {
      const ids = handles.map((_, i) => String(i));
      const out = await sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: handles.map((ReceiptHandle, i) => ({ Id: ids[i], ReceiptHandle })),
      }));
      return failures(ids, out.Failed);
    });
    this.sends = new Coalescer(async (messages) => {
      const ids = messages.map((_, i) => String(i));
      const out = await sqs.send(new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({
          Id: ids[i],
          MessageBody: m.body,
          ...(m.delaySeconds ? { DelaySeconds: m.delaySeconds } : {}),
          ...(m.attributes ? { MessageAttributes: m.attributes } : {}),
        })),
      }));
      return failures(ids, out.Failed);
    }, (m) => Buffer.byteLength(m.body), maxMessageBytes);
  }

  delete(receiptHandle: string): Promise<void> {
    return this.deletes.add(receiptHandle);
  }

  send(message: OutgoingMessage): Promise<void> {
    return this.sends.add(message);
  }

  /** Sets the visibility of several in-flight messages; resolves with one error (or null) per handle. */
  async changeVisibility(handles: string[], seconds: number): Promise<Array<Error | null>> {
    const out: Array<Error | null> = [];
    for (let i = 0; i < handles.length; i += SQS_BATCH_MAX) {
      const chunk = handles.slice(i, i + SQS_BATCH_MAX);
      const ids = chunk.map((_, k) => String(k));
      try {
        const res = await this.sqs.send(new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((ReceiptHandle, k) => ({ Id: ids[k], ReceiptHandle, VisibilityTimeout: seconds })),
        }));
        out.push(...failures(ids, res.Failed));
      } catch (err) {
        out.push(...chunk.map(() => err as Error));
      }
    }
    return out;
  }
}
