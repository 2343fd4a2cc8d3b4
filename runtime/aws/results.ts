/**
 * The results table: one item per call, keyed by call id.
 *
 * Every write that ends a call is conditional on the call not having ended yet
 * (`attribute_not_exists(status) OR status = "pending"`), so with at-least-once delivery the first
 * result written is the one every reader sees, forever; a later duplicate's write fails the
 * condition and is dropped. While a call is pending the worker counts its deliveries, failed
 * attempts and releases there, which is how a redelivery after a crash is told apart from a retry.
 */
import { accessErrorOf } from "./access.ts";
import { awsErrorName, loadDocumentClient, type CommandSender } from "./clients.ts";
import { isFinal, type CallRecord, type ErrorSummary } from "./wire.ts";

/** lib-dynamodb's commands, loaded on first use (see clients.ts) */
const sdk = loadDocumentClient;

const NOT_ENDED = "attribute_not_exists(#s) OR #s = :pending";
/** how long results are kept (the stack's TTL attribute; the payload bucket expires objects alike) */
export const DEFAULT_RESULT_TTL_DAYS = 7;

export type FinalRecord = Omit<CallRecord, "status" | "expiresAt" | "finishedAt"> & { status: "ok" | "error" | "cancelled" };

export class ResultStore {
  /** BatchGetItem is used until the first AccessDenied, then GetItem per call */
  private batchGet = true;

  constructor(
    private readonly ddb: CommandSender,
    readonly table: string,
    private readonly ttlDays = DEFAULT_RESULT_TTL_DAYS,
    private readonly now: () => number = Date.now,
  ) {}

  private expiresAt(): number {
    return Math.floor(this.now() / 1000) + this.ttlDays * 86400;
  }

  /**
   * Counts a delivery of a pending call and returns its record, or the record of a call that
   * already ended (a duplicate delivery, or a call cancelled before it ran) with `ended: true`.
   */
  async claim(callId: string, unit: string): Promise<{ ended: boolean; record: CallRecord }> {
    try {
      const out = await this.ddb.send(new (await sdk()).UpdateCommand({
        TableName: this.table,
        Key: { callId },
        UpdateExpression: "SET #s = :pending, #f = if_not_exists(#f, :unit), expiresAt = if_not_exists(expiresAt, :exp) ADD deliveries :one",
        ConditionExpression: NOT_ENDED,
        ExpressionAttributeNames: { "#s": "status", "#f": "function" },
        ExpressionAttributeValues: { ":pending": "pending", ":one": 1, ":unit": unit, ":exp": this.expiresAt() },
        ReturnValues: "ALL_NEW",
      }));
      return { ended: false, record: out.Attributes as CallRecord };
    } catch (err) {
      if (awsErrorName(err) !== "ConditionalCheckFailedException") throw err;
      const record = await this.get(callId);
      return { ended: true, record: record ?? { callId, status: "cancelled" } };
    }
  }

  /** Counts a failed attempt of a pending call; returns the failures so far, or null if the call ended meanwhile. */
  async recordFailure(callId: string, error: ErrorSummary): Promise<number | null> {
    try {
      const out = await this.ddb.send(new (await sdk()).UpdateCommand({
        TableName: this.table,
        Key: { callId },
        UpdateExpression: "SET lastError = :e ADD failures :one",
        ConditionExpression: "#s = :pending",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":pending": "pending", ":one": 1, ":e": JSON.stringify(error) },
        ReturnValues: "UPDATED_NEW",
      }));
      return Number((out.Attributes as CallRecord | undefined)?.failures ?? 1);
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") return null;
      throw err;
    }
  }

  /** Counts an input handed back unfinished (drain, stop), so its redelivery is not taken for a crash. */
  async recordRelease(callId: string): Promise<void> {
    try {
      await this.ddb.send(new (await sdk()).UpdateCommand({
        TableName: this.table,
        Key: { callId },
        UpdateExpression: "ADD released :one",
        ConditionExpression: "#s = :pending",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":pending": "pending", ":one": 1 },
      }));
    } catch (err) {
      if (awsErrorName(err) !== "ConditionalCheckFailedException") throw err;
    }
  }

  /** The conditional put that ends a call: true if this write won, false if the call had already ended. */
  async putFinal(record: FinalRecord): Promise<boolean> {
    const now = this.now();
    try {
      await this.ddb.send(new (await sdk()).PutCommand({
        TableName: this.table,
        Item: { ...record, finishedAt: now, expiresAt: this.expiresAt() },
        ConditionExpression: NOT_ENDED,
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":pending": "pending" },
      }));
      return true;
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") return false;
      throw err;
    }
  }

  /** Cancels a call that has not ended: workers skip it, or drop its result. True if it was cancelled now. */
  async cancel(callId: string, error: ErrorSummary): Promise<boolean> {
    try {
      await this.ddb.send(new (await sdk()).UpdateCommand({
        TableName: this.table,
        Key: { callId },
        UpdateExpression: "SET #s = :cancelled, #e = :e, finishedAt = :now, expiresAt = if_not_exists(expiresAt, :exp)",
        ConditionExpression: NOT_ENDED,
        ExpressionAttributeNames: { "#s": "status", "#e": "error" },
        ExpressionAttributeValues: {
          ":pending": "pending", ":cancelled": "cancelled", ":e": JSON.stringify(error), ":now": this.now(), ":exp": this.expiresAt(),
        },
      }));
      return true;
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") return false;
      throw err;
    }
  }

  async get(callId: string): Promise<CallRecord | null> {
    const out = await this.ddb.send(new (await sdk()).GetCommand({ TableName: this.table, Key: { callId }, ConsistentRead: true }));
    return (out.Item as CallRecord | undefined) ?? null;
  }

  /**
   * Records of several calls (missing ones are absent from the map). With `denied`, a call this
   * process may not read (IAM scopes the table by call id: call-keys.ts) lands there instead of
   * failing the others; without it, that failure is thrown.
   */
  async getMany(callIds: readonly string[], denied?: Map<string, Error>): Promise<Map<string, CallRecord>> {
    const found = new Map<string, CallRecord>();
    for (let i = 0; i < callIds.length; i += 100) {
      const chunk = callIds.slice(i, i + 100);
      if (this.batchGet) {
        try {
          await this.batchGetChunk(chunk, found);
          continue;
        } catch (err) {
          // the task role grants GetItem only: fall back for good
          if (!/AccessDenied|UnknownOperation|not authorized/i.test(`${awsErrorName(err)} ${(err as Error).message}`)) throw err;
          this.batchGet = false;
        }
      }
      const records = await Promise.allSettled(chunk.map((id) => this.get(id)));
      records.forEach((r, n) => {
        if (r.status === "fulfilled") {
          if (r.value) found.set(r.value.callId, r.value);
        } else if (denied && accessErrorOf(r.reason, "dynamodb:GetItem")?.reason === "denied") {
          denied.set(chunk[n], r.reason as Error);
        } else {
          throw r.reason;
        }
      });
    }
    return found;
  }

  private async batchGetChunk(ids: string[], into: Map<string, CallRecord>): Promise<void> {
    let keys: Array<Record<string, unknown>> = ids.map((callId) => ({ callId }));
    for (let round = 0; keys.length > 0 && round < 8; round++) {
      const out = await this.ddb.send(new (await sdk()).BatchGetCommand({
        RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } },
      }));
      for (const item of (out.Responses?.[this.table] ?? []) as CallRecord[]) into.set(item.callId, item);
      keys = (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as Array<Record<string, unknown>>;
    }
  }
}

export { isFinal };
