/**
 * `gantry status` and `gantry redrive` on a Kubernetes stack: what the stack's Redis holds per unit
 * (keys.ts), read and changed from outside the cluster with a Redis URL and a user.
 *
 * - status: per unit, the work stream's entries (waiting + running: every script that ends a
 *   delivery deletes its entry) and the consumer group's pending ones (running), the retry set, the
 *   dead stream. Read-only commands (XLEN, XPENDING, ZCARD): the stack's `gantry-keda` user may run them.
 * - redrive: each entry of the unit's dead stream, oldest first, back on its work stream with the
 *   same call id (scripts.ts REDRIVE: the failed result deleted, the counters reset, one script per
 *   call), so `FunctionCall.fromId(id).get()` gets the new result. Needs the unit's own user
 *   (`gantry-<unit>`). A second run finds the dead stream empty and moves nothing.
 * Failures a person can act on (server unreachable, credentials refused, a command the user may not
 * run) are RedisAccessErrors saying what to do, never a stack trace.
 */
import type { RedriveEntry } from "../aws/ops/redrive.ts";
import { RedisConnection, int, text, type Reply } from "./client.ts";
import { callKeys, unitKeys, WORK_GROUP } from "./keys.ts";
import { REDRIVE } from "./scripts.ts";
import { parseSummary } from "../aws/wire.ts";

export class RedisAccessError extends Error {
  override name = "RedisAccessError";
  constructor(message: string, readonly reason: "unreachable" | "credentials" | "denied") {
    super(message);
  }
}

export interface OpsConnectOptions {
  url: string;
  username?: string;
  password?: string;
  /** who needs what, added to a refusal: `the read-only user gantry-keda (Secret keda-redis)` */
  userHint: string;
}

/** The URL with any password replaced, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:…@");
}

/** The RedisAccessError `err` stands for, if any. */
export function redisAccessErrorOf(err: unknown, o: Pick<OpsConnectOptions, "url" | "userHint">): RedisAccessError | null {
  if (!(err instanceof Error)) return null;
  const message = err.message;
  // node-redis wraps a failed (re)connect in a ReconnectStrategyError that carries the socket's error
  const wrapped = err as { code?: string; originalError?: { code?: string }; socketError?: { code?: string } };
  const code = wrapped.code ?? wrapped.originalError?.code ?? wrapped.socketError?.code;
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ETIMEDOUT" || code === "EHOSTUNREACH" || /Socket closed|ECONNRESET/.test(message)) {
    return new RedisAccessError(`cannot reach Redis at ${redactUrl(o.url)} (${code ?? message}); for the Redis a stack runs in its cluster, forward it first: ` +
      "kubectl port-forward -n <namespace> svc/redis 6379:6379, then --redis-url redis://127.0.0.1:6379", "unreachable");
  }
  if (/^(WRONGPASS|NOAUTH)/.test(message) || /invalid username-password|Authentication required/i.test(message)) {
    return new RedisAccessError(`Redis at ${redactUrl(o.url)} refused the credentials (${message}); set GANTRY_REDIS_USER and GANTRY_REDIS_PASSWORD to ${o.userHint}`, "credentials");
  }
  if (/^NOPERM/.test(message)) {
    return new RedisAccessError(`permission missing: ${message.replace(/^NOPERM\s*/, "")}; connect as ${o.userHint}`, "denied");
  }
  return null;
}

async function guarded<T>(o: Pick<OpsConnectOptions, "url" | "userHint">, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw redisAccessErrorOf(err, o) ?? err;
  }
}

/** A connection that gives up after a few reconnects (a tool, not a worker waiting for its server). */
export async function openOpsConnection(o: OpsConnectOptions): Promise<OpsConnection> {
  const conn = await guarded(o, () => RedisConnection.open({
    url: o.url, ...(o.username ? { username: o.username } : {}), ...(o.password ? { password: o.password } : {}),
    name: `gantry:ops:${process.pid}`, maxReconnects: 2,
  }));
  return new OpsConnection(conn, o);
}

export interface RedisUnitStatus {
  unit: string;
  /** entries no container holds yet */
  waiting: number;
  /** entries a container holds (the consumer group's pending entries) */
  running: number;
  /** failed attempts waiting for their backoff */
  retrying: number;
  deadLettered: number;
}

export interface RedisRedriveOptions {
  unit: string;
  limit?: number;
  dryRun?: boolean;
  /** how long the redriven call's record lives again (the stack's result TTL) */
  ttlMs: number;
  onEntry?: (entry: RedriveEntry) => void;
}

/** Stream entry ids are `<ms>-<seq>`: the time it was added. */
const entryTime = (id: string) => Number(id.split("-")[0]) || null;

export class OpsConnection {
  constructor(private readonly conn: RedisConnection, private readonly o: OpsConnectOptions) {}

  private cmd<T extends Reply>(args: string[]): Promise<T> {
    return guarded(this.o, () => this.conn.cmd<T>(args));
  }

  async status(namespace: string, unit: string): Promise<RedisUnitStatus> {
    const k = unitKeys(namespace, unit);
    const [entries, retrying, deadLettered] = [int(await this.cmd(["XLEN", k.work])), int(await this.cmd(["ZCARD", k.retry])), int(await this.cmd(["XLEN", k.dead]))];
    let running = 0;
    if (entries > 0) {
      try {
        running = int((await this.cmd<Reply[]>(["XPENDING", k.work, WORK_GROUP]))[0]);
      } catch (err) {
        // no consumer group yet: nobody ever read the stream
        if (!/NOGROUP/.test(String((err as Error).message))) throw err;
      }
    }
    return { unit, waiting: Math.max(0, entries - running), running, retrying, deadLettered };
  }

  async redrive(namespace: string, o: RedisRedriveOptions): Promise<RedriveEntry[]> {
    const k = unitKeys(namespace, o.unit);
    const limit = o.limit ?? Infinity;
    const out: RedriveEntry[] = [];
    let moved = 0;
    let start = "-";
    for (;;) {
      const page = await this.cmd<Reply[]>(["XRANGE", k.dead, start, "+", "COUNT", "100"]);
      if (page.length === 0) break;
      for (const raw of page) {
        if (moved >= limit) return out;
        const [id, flat] = raw as [Reply, Reply[]];
        const entryId = text(id)!;
        const fields = new Map<string, string>();
        for (let i = 0; i + 1 < flat.length; i += 2) fields.set(text(flat[i])!, text(flat[i + 1]) ?? "");
        const local = fields.get("call") ?? "";
        const base = {
          messageId: entryId, callId: local ? `${o.unit}/${local}` : null, error: parseSummary(fields.get("error")),
          attempts: fields.has("attempts") ? Number(fields.get("attempts")) : null, deadLetteredAt: entryTime(entryId),
        };
        let entry: RedriveEntry;
        if (!local) entry = { ...base, action: "skipped", reason: "not a gantry call (no call field)" };
        else {
          const c = callKeys(k, local);
          const r = int(await guarded(this.o, () => this.conn.run(REDRIVE, [c.result, c.call, k.work, k.dead], [entryId, local, String(o.ttlMs), o.dryRun ? "1" : ""])));
          if (r === 1) {
            entry = { ...base, action: o.dryRun ? "would move" : "moved" };
            moved++;
          } else if (r === 2) entry = { ...base, action: "skipped", reason: "the call is pending again (no stored failure): left in the dead stream" };
          else entry = { ...base, action: "skipped", reason: "its record and arguments expired (results live resultTtlDays): it cannot run again" };
        }
        out.push(entry);
        o.onEntry?.(entry);
      }
      // after the last id of this page (an exclusive range start)
      start = `(${text((page[page.length - 1] as Reply[])[0])}`;
    }
    return out;
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}
