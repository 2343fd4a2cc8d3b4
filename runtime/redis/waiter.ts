/**
 * Waits for results on behalf of every call of one process. To wait on a call it registers this
 * process's inbox in the call's `waiters` set, then reads the result: if the call already ended it
 * is there; if not, the script that writes the result (scripts.ts FINISH) will push the call id
 * onto the inbox, atomically with the write, so no result slips between the two steps. One
 * blocking connection per unit waited on pops its inbox (BLPOP; one unit's keys share a slot).
 * Results are also re-read every few seconds, so a lost wake-up (an expired inbox) costs seconds, never the call.
 */
import { randomBytes } from "node:crypto";
import { TimeoutError } from "../errors.ts";
import type { BlockingConnection, RedisConnection } from "./client.ts";
import { callKeys, inboxKey, unitKeys } from "./keys.ts";
import { decodeEnvelope, parseCallId, type ResultEnvelope } from "./wire.ts";

const BLPOP_SECONDS = 1;
const RECHECK_MS = 3000;

interface Waiter {
  resolve(envelope: ResultEnvelope): void;
  reject(error: Error): void;
}

interface Watched {
  unit: string;
  local: string;
  waiters: Set<Waiter>;
}

export class ResultWaiter {
  /** this process's inbox name (one per unit: `<prefix>inbox:<id>`) */
  readonly id = `${process.pid}-${randomBytes(6).toString("hex")}`;
  private readonly watched = new Map<string, Watched>();
  private readonly loops = new Map<string, Promise<void>>();
  private readonly blockers = new Map<string, Promise<BlockingConnection>>();
  private recheck: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly conn: () => Promise<RedisConnection>, private readonly namespace: string, private readonly ttlMs: number) {}

  /** The call's result envelope; rejects with TimeoutError after `timeoutMs` (the call goes on). */
  async wait(callId: string, options: { timeoutMs?: number } = {}): Promise<ResultEnvelope> {
    const { unit, local } = parseCallId(callId);
    const keys = unitKeys(this.namespace, unit);
    const k = callKeys(keys, local);
    const conn = await this.conn();
    const inbox = inboxKey(keys, this.id);
    await Promise.all([conn.cmd(["SADD", k.waiters, inbox]), conn.cmd(["PEXPIRE", k.waiters, String(this.ttlMs)])]);
    const stored = await conn.bytes(["GET", k.result]);
    if (Buffer.isBuffer(stored)) return decodeEnvelope(stored);
    return new Promise<ResultEnvelope>((resolve, reject) => {
      let w = this.watched.get(callId);
      if (!w) {
        w = { unit, local, waiters: new Set() };
        this.watched.set(callId, w);
      }
      let timer: NodeJS.Timeout | null = null;
      const waiter: Waiter = {
        resolve: (e) => {
          if (timer) clearTimeout(timer);
          resolve(e);
        },
        reject: (e) => {
          if (timer) clearTimeout(timer);
          reject(e);
        },
      };
      w.waiters.add(waiter);
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.drop(callId, waiter);
          reject(new TimeoutError(`call ${callId} did not finish within ${options.timeoutMs! / 1000} s (it is still running; get() again to keep waiting)`));
        }, options.timeoutMs);
      }
      this.listen(unit);
      this.recheck ??= setInterval(() => void this.readAll(), RECHECK_MS);
    });
  }

  /** Read the call's result now (after a cancel, say). */
  poke(callId: string): void {
    if (this.watched.has(callId)) void this.read(callId);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.recheck) clearInterval(this.recheck);
    this.recheck = null;
    for (const w of this.watched.values()) for (const x of w.waiters) x.reject(new Error("the Redis invoker was closed"));
    this.watched.clear();
    const blockers = [...this.blockers.values()];
    this.blockers.clear();
    await Promise.all(blockers.map(async (b) => (await b.catch(() => null))?.close()));
  }

  private drop(callId: string, waiter: Waiter): void {
    const w = this.watched.get(callId);
    if (!w) return;
    w.waiters.delete(waiter);
    if (w.waiters.size === 0) this.watched.delete(callId);
    this.idle();
  }

  private idle(): void {
    if (this.watched.size === 0 && this.recheck) {
      clearInterval(this.recheck);
      this.recheck = null;
    }
  }

  private pendingIn(unit: string): boolean {
    for (const w of this.watched.values()) if (w.unit === unit) return true;
    return false;
  }

  /** The unit's blocking connection, opened on the first wait and kept (idle: not holding the process). */
  private blocker(unit: string): Promise<BlockingConnection> {
    let b = this.blockers.get(unit);
    if (!b) {
      b = this.conn().then((c) => c.blocking());
      const made = b;
      made.catch(() => {
        if (this.blockers.get(unit) === made) this.blockers.delete(unit);
      });
      this.blockers.set(unit, b);
    }
    return b;
  }

  /** One BLPOP loop per unit while calls of it are waited on. */
  private listen(unit: string): void {
    if (this.loops.has(unit)) return;
    const inbox = inboxKey(unitKeys(this.namespace, unit), this.id);
    const loop = (async () => {
      let blocking: BlockingConnection | null = null;
      try {
        blocking = await this.blocker(unit);
        blocking.hold(true);
        while (!this.closed && this.pendingIn(unit)) {
          const popped = await blocking.cmd<[string, string] | null>(["BLPOP", inbox, String(BLPOP_SECONDS)]);
          if (popped) await this.read(`${unit}/${popped[1]}`);
        }
        // kept for the next wait on this unit (a new connection per call costs more than the call)
        blocking.hold(false);
      } catch {
        this.blockers.delete(unit);
        await blocking?.close();
        // the recheck timer reads results meanwhile; the next wait starts a new loop
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        this.loops.delete(unit);
        if (!this.closed && this.pendingIn(unit)) this.listen(unit);
      }
    })();
    this.loops.set(unit, loop);
  }

  private async read(callId: string): Promise<void> {
    const w = this.watched.get(callId);
    if (!w) return;
    const keys = unitKeys(this.namespace, w.unit);
    const stored = await (await this.conn()).bytes(["GET", callKeys(keys, w.local).result]).catch(() => null);
    if (!Buffer.isBuffer(stored)) return;
    this.watched.delete(callId);
    this.idle();
    let envelope: ResultEnvelope;
    try {
      envelope = decodeEnvelope(stored);
    } catch (err) {
      for (const x of w.waiters) x.reject(err as Error);
      return;
    }
    for (const x of w.waiters) x.resolve(envelope);
  }

  private async readAll(): Promise<void> {
    await Promise.all([...this.watched.keys()].map((id) => this.read(id)));
  }
}
