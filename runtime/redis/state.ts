/**
 * `Dict.fromName(name)` and `Queue.fromName(name)` on Redis, each one key of its own slot
 * (runtime/redis/keys.ts `stateKey`), shared by every unit and caller of the stack.
 *
 * Dict: a hash whose fields are the packed keys (runtime/serialize.ts), so keys compare by value
 * as they do locally, and whose values are the packed values. `pop` is one script (HGET + HDEL),
 * so two containers popping the same key get the value once between them; `len` is HLEN.
 *
 * Queue: a list, RPUSH to put, LPOP to take. `get` takes what is there (up to `max`); when the
 * queue is empty it blocks (BLPOP on a connection of its own) until the first item or the timeout,
 * then takes what else is there. An item is removed when it is taken: a process that dies right
 * after loses it (as locally; SQS hides it for 30 s instead).
 */
import type { KeyValueBackend, QueueBackend } from "../../sdk/invoker.ts";
import { decodeValue, encodeValue } from "../serialize.ts";
import { int, script, type RedisConnection, type Reply } from "./client.ts";

const POP = script("dict-pop", `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then redis.call('HDEL', KEYS[1], ARGV[1]) end
return v
`);

export class RedisDict implements KeyValueBackend {
  constructor(private readonly conn: () => Promise<RedisConnection>, private readonly key: string, readonly name: string) {}

  async get(key: unknown): Promise<{ found: boolean; value?: unknown }> {
    return found(await (await this.conn()).bytes(["HGET", this.key, this.field(key)]));
  }

  async put(key: unknown, value: unknown): Promise<void> {
    await (await this.conn()).cmd(["HSET", this.key, this.field(key), Buffer.from(encodeValue(value, `Dict "${this.name}" value`))]);
  }

  async pop(key: unknown): Promise<{ found: boolean; value?: unknown }> {
    return found(await (await this.conn()).run(POP, [this.key], [this.field(key)], { buffers: true }));
  }

  async has(key: unknown): Promise<boolean> {
    return int(await (await this.conn()).cmd(["HEXISTS", this.key, this.field(key)])) === 1;
  }

  async keys(): Promise<unknown[]> {
    const fields = await (await this.conn()).bytes<Buffer[]>(["HKEYS", this.key]);
    return fields.map((f) => decodeValue(f));
  }

  async len(): Promise<number> {
    return int(await (await this.conn()).cmd(["HLEN", this.key]));
  }

  private field(key: unknown): Buffer {
    return Buffer.from(encodeValue(key, `Dict "${this.name}" key`));
  }
}

function found(reply: Reply): { found: boolean; value?: unknown } {
  return Buffer.isBuffer(reply) ? { found: true, value: decodeValue(reply) } : { found: false };
}

export class RedisQueue implements QueueBackend {
  constructor(private readonly conn: () => Promise<RedisConnection>, private readonly key: string, readonly name: string) {}

  async put(values: unknown[]): Promise<void> {
    if (values.length === 0) return;
    const items = values.map((v) => Buffer.from(encodeValue(v, `Queue "${this.name}" item`)));
    await (await this.conn()).cmd(["RPUSH", this.key, ...items]);
  }

  async get(max: number, timeoutMs: number | null): Promise<unknown[]> {
    const want = Math.max(1, Math.floor(max));
    const conn = await this.conn();
    const now = await this.take(conn, want);
    if (now.length || timeoutMs === 0) return now;
    const blocking = await conn.blocking();
    let first: Reply;
    try {
      // BLPOP's timeout is in seconds (decimals allowed); 0 waits forever
      const seconds = timeoutMs === null ? "0" : String(Math.max(0.01, timeoutMs / 1000));
      first = await blocking.cmd(["BLPOP", this.key, seconds], true);
    } finally {
      await blocking.close();
    }
    if (!Array.isArray(first)) return [];
    const out = [decodeValue(first[1] as Buffer)];
    if (want > 1) out.push(...(await this.take(conn, want - 1)));
    return out;
  }

  async len(): Promise<number> {
    return int(await (await this.conn()).cmd(["LLEN", this.key]));
  }

  private async take(conn: RedisConnection, n: number): Promise<unknown[]> {
    const reply = await conn.bytes(["LPOP", this.key, String(n)]);
    return Array.isArray(reply) ? reply.map((b) => decodeValue(b as Buffer)) : [];
  }
}
