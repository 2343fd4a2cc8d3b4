/**
 * `Dict.fromName(name)` on AWS: the DynamoDB table the stack declared for it (provider/aws/state.ts,
 * hash key `key` of type S). One item per entry:
 *   key:   base64 of the packed key (runtime/serialize.ts), so keys compare by value as they do
 *          locally (equal strings, numbers and same-shaped objects are the same key);
 *   value: the packed value (B).
 *
 * Reads are strongly consistent. `pop` is one DeleteItem with ReturnValues ALL_OLD, so two
 * containers popping the same key get the value once between them. `keys` and `len` scan the
 * table page by page; `len` counts with `Select: COUNT` rather than keeping a counter item:
 * a counter would need a transaction on every put and pop (to know whether a key is new) and would
 * be one hot item for the whole table, while a count scan is always right and costs reads only
 * when `len` is called (about 1 read unit per 4 KB of table, so O(table size)).
 */
import type { KeyValueBackend } from "../../sdk/invoker.ts";
import { decodeValue, encodeValue } from "../serialize.ts";
import { awsErrorName, loadDocumentClient, type CommandSender } from "./clients.ts";

/** DynamoDB's limits: a partition key value, and a whole item (attribute names included). */
export const MAX_KEY_BYTES = 2048;
export const MAX_ITEM_BYTES = 400 * 1024;

const NAMES = { "#k": "key", "#v": "value" };

export class DynamoDict implements KeyValueBackend {
  constructor(
    private readonly ddb: CommandSender,
    private readonly table: string,
    readonly name: string,
  ) {}

  async get(key: unknown): Promise<{ found: boolean; value?: unknown }> {
    const { GetCommand } = await loadDocumentClient();
    const out = await this.send(new GetCommand({
      TableName: this.table, Key: { key: this.key(key) }, ConsistentRead: true,
      ProjectionExpression: "#v", ExpressionAttributeNames: { "#v": "value" },
    }));
    return found(out.Item);
  }

  async put(key: unknown, value: unknown): Promise<void> {
    const k = this.key(key);
    const v = encodeValue(value, `Dict "${this.name}" value`);
    const size = "key".length + k.length + "value".length + v.byteLength;
    if (size > MAX_ITEM_BYTES) {
      throw new RangeError(`Dict "${this.name}": this entry is ${size} bytes packed, and DynamoDB items stop at 400 KB; ` +
        `store large data in a Volume (or S3) and put its path in the Dict`);
    }
    const { PutCommand } = await loadDocumentClient();
    await this.send(new PutCommand({ TableName: this.table, Item: { key: k, value: v } }));
  }

  async pop(key: unknown): Promise<{ found: boolean; value?: unknown }> {
    const { DeleteCommand } = await loadDocumentClient();
    const out = await this.send(new DeleteCommand({ TableName: this.table, Key: { key: this.key(key) }, ReturnValues: "ALL_OLD" }));
    return found(out.Attributes);
  }

  async has(key: unknown): Promise<boolean> {
    const { GetCommand } = await loadDocumentClient();
    const out = await this.send(new GetCommand({
      TableName: this.table, Key: { key: this.key(key) }, ConsistentRead: true,
      ProjectionExpression: "#k", ExpressionAttributeNames: { "#k": "key" },
    }));
    return out.Item !== undefined;
  }

  async keys(): Promise<unknown[]> {
    const keys: unknown[] = [];
    await this.scan({ ProjectionExpression: "#k", ExpressionAttributeNames: { "#k": NAMES["#k"] } }, (out) => {
      for (const item of out.Items ?? []) keys.push(decodeValue(Buffer.from(String(item.key), "base64")));
    });
    return keys;
  }

  async len(): Promise<number> {
    let n = 0;
    await this.scan({ Select: "COUNT" }, (out) => {
      n += Number(out.Count ?? 0);
    });
    return n;
  }

  // ----

  private key(key: unknown): string {
    const k = Buffer.from(encodeValue(key, `Dict "${this.name}" key`)).toString("base64");
    if (k.length > MAX_KEY_BYTES) {
      throw new RangeError(`Dict "${this.name}": this key is ${k.length} bytes once encoded, and DynamoDB keys stop at ${MAX_KEY_BYTES}; use a shorter key (a hash of it, say)`);
    }
    return k;
  }

  /** Every page of a consistent scan. */
  private async scan(input: Record<string, unknown>, page: (out: { Items?: Array<Record<string, unknown>>; Count?: number }) => void): Promise<void> {
    const { ScanCommand } = await loadDocumentClient();
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.send(new ScanCommand({ TableName: this.table, ConsistentRead: true, ...input, ...(start ? { ExclusiveStartKey: start } : {}) }));
      page(out);
      start = out.LastEvaluatedKey;
    } while (start);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async send(command: unknown): Promise<any> {
    try {
      return await this.ddb.send(command);
    } catch (err) {
      if (awsErrorName(err) === "ResourceNotFoundException") {
        throw new Error(`Dict "${this.name}": its DynamoDB table ${this.table} does not exist (was the stack deployed, or the table deleted?)`, { cause: err });
      }
      throw err;
    }
  }
}

function found(item: Record<string, unknown> | undefined): { found: boolean; value?: unknown } {
  if (!item || item.value === undefined) return { found: false };
  return { found: true, value: decodeValue(item.value as Uint8Array) };
}
