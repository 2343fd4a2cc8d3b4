/**
 * The worker Transport on Redis (the Kubernetes target): inputs from the unit's work stream through
 * the consumer group every container of the unit shares, results and call state in the unit's
 * keys (runtime/redis/keys.ts), each state change one Lua script (scripts.ts).
 *
 * - receive: due retries are promoted from the retry set onto the stream; entries another consumer
 *   held longer than the claim idle time (its container died) are taken over with XAUTOCLAIM;
 *   then XREADGROUP BLOCK for new ones, at most the free slots. A stop never aborts a read in
 *   flight: what it returns is processed. Each entry is admitted first (ADMIT): a call that
 *   already has its result (a duplicate, a cancelled call) is dropped without running, and a call
 *   whose deliveries crashed more than the limit (runtime/delivery.ts) ends with ContainerCrashedError.
 * - while an input runs, its entry's idle time is reset every `heartbeatMs` (a third of the claim
 *   idle time) so nobody claims it, and its result key is checked every `cancelPollMs` (cancelled,
 *   or finished by a duplicate delivery: the loop drops the run).
 * - an outcome is the call's one result: SET NX in the same script that acknowledges the entry and
 *   wakes the callers (FINISH). A crash before it leaves the entry pending: it is claimed and run
 *   again; a crash after it leaves nothing to redo.
 * - a failed attempt with retries left goes to the retry set, due after the backoff (RETRY); the
 *   last one's error is the call's result and the call is dead-lettered (the dead stream).
 * - an input that ends its container (process.exit, an event loop it blocks past its timeout):
 *   `endContainer` runs this transport's last words in a helper process (last-words.ts) while this
 *   one waits: the culprit's failure is stored like any failure, the other inputs are released.
 * - when the worker stops, inputs the drain did not finish are handed back (RELEASE: a fresh entry
 *   at once, counted as released) before the `@exit` hooks run.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { decodeError, decodeValue, encodeArgs, encodeError } from "../serialize.ts";
import { ContainerCrashedError, ContainerSetupError } from "../errors.ts";
import { afterCrash, afterFailure, retryDelayMs } from "../delivery.ts";
import type { ContainerWorkerTransport } from "../container/transport.ts";
import type { Outcome, WorkInput, WorkerControl } from "../worker/transport.ts";
import type { Logger } from "../log.ts";
import { RedisConnection, int, text, type BlockingConnection, type Reply } from "./client.ts";
import { ttlMs, type RedisWorkerConfig } from "./config.ts";
import { WORK_GROUP, callKeys, unitKeys, type UnitKeys } from "./keys.ts";
import { ADMIT, FINISH, HEARTBEAT, PROMOTE, RELEASE, RETRY } from "./scripts.ts";
import { encodeEnvelope, parseMeta, summarize, type CallMeta, type ErrorSummary, type ResultEnvelope } from "./wire.ts";

/** A received entry, as the transport tracks it until it settles (JSON-safe: last words carry it). */
export interface RedisDelivery {
  id: string;
  /** the work stream entry */
  entryId: string;
  /** the call id's local part (its keys) */
  local: string;
  meta: CallMeta;
  deliveries: number;
  failures: number;
  released: number;
  attempt: number;
  startedAt: number;
  settled: boolean;
}

/** What a container that an input is ending hands to its last words. */
export interface RedisLastWords {
  consumer: string;
  culprit: RedisDelivery;
  /** base64 of the culprit's encoded error */
  error: string;
  timedOut: boolean;
  innocent: RedisDelivery[];
}

export interface RedisTransportOptions {
  config: RedisWorkerConfig;
  log?: Logger;
  label?(method: string | null): string;
  /** this container's consumer name in the group (default: host, pid and a random part) */
  consumer?: string;
  /** the command that runs the last words (default: this process's entry with GANTRY_LAST_WORDS=redis) */
  lastWordsCommand?: string[];
}

const PROMOTE_BATCH = 100;

type ReadyState = "starting" | "ready" | "setup-failed" | "stopping" | "closed";

export class RedisTransport implements ContainerWorkerTransport {
  readonly consumer: string;
  readonly keys: UnitKeys;
  private readonly conn: Promise<RedisConnection>;
  private reader: Promise<BlockingConnection> | null = null;
  private control: WorkerControl | null = null;
  private labeller: ((method: string | null) => string) | undefined;
  private readonly deliveries = new Map<string, RedisDelivery>();
  private readonly ops = new Set<Promise<unknown>>();
  private seq = 0;
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private closed = false;
  private groupReady = false;
  private lastClaimAt = 0;
  private pendingStop: { drainMs: number; reason: string } | null = null;
  private readyState: ReadyState = "starting";
  readonly stats = { received: 0, completed: 0, duplicates: 0, retried: 0, deadLettered: 0, released: 0, claimed: 0 };

  constructor(private readonly options: RedisTransportOptions) {
    const { config } = options;
    this.keys = unitKeys(config.namespace, config.unit);
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
    this.labeller = options.label;
    this.conn = RedisConnection.open({ ...config.connection, name: `gantry:${config.unit.replace(/[^\w.=[\]-]/g, "_")}:${this.consumer}` });
    // a failed connect is reported by the first command that needs it
    this.conn.catch(() => {});
  }

  private get config(): RedisWorkerConfig {
    return this.options.config;
  }

  private label(method: string | null): string {
    return this.labeller?.(method) ?? this.config.unit;
  }

  nameInputsWith(label: (method: string | null) => string): void {
    this.labeller = label;
  }

  get state(): string {
    return this.readyState;
  }

  get inFlight(): number {
    let n = 0;
    for (const d of this.deliveries.values()) if (!d.settled) n++;
    return n;
  }

  stop(drainMs: number, reason: string): void {
    if (!this.stopping) this.options.log?.info({ reason, drainMs, inFlight: this.inFlight }, "stopping: no new inputs, draining");
    this.stopping = true;
    if (this.readyState === "ready" || this.readyState === "starting") this.readyState = "stopping";
    if (this.control) this.control.stop({ drainMs, reason });
    else this.pendingStop = { drainMs: Math.min(drainMs, this.pendingStop?.drainMs ?? Infinity), reason };
  }

  // ---- Transport

  attach(control: WorkerControl): void {
    this.control = control;
    if (this.pendingStop) control.stop(this.pendingStop);
  }

  async ready(): Promise<void> {
    if (this.readyState === "starting") this.readyState = "ready";
    await this.ensureGroup();
    const every = (ms: number, fn: () => Promise<void>) => {
      const t = setInterval(() => void this.track(fn()), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.config.heartbeatMs, () => this.beat());
    every(this.config.cancelPollMs, () => this.pollCancellations());
    this.options.log?.info({ consumer: this.consumer, heartbeatMs: this.config.heartbeatMs, claimIdleMs: this.config.claimIdleMs }, "ready: receiving inputs");
  }

  /** Setup failed (import or `@enter`): the waiting inputs fail one attempt each with ContainerSetupError. */
  async setupFailed(error: Uint8Array): Promise<void> {
    this.readyState = "setup-failed";
    const cause = decodeError(error);
    this.options.log?.error({ unit: this.config.unit, error: summarize(cause) }, "container setup failed");
    const wrapped = new ContainerSetupError(`${this.config.unit}: container setup failed: ${cause.name}: ${cause.message}`);
    const bytes = encodeError(wrapped);
    try {
      const waiting = await this.fetch(10, null);
      await Promise.all(waiting.map(async (d) => {
        d.settled = true;
        try {
          await this.fail(d, bytes, wrapped);
        } finally {
          this.deliveries.delete(d.id);
        }
      }));
    } catch (err) {
      this.options.log?.warn({ err: summarizeUnknown(err) }, "could not fail the waiting inputs after the setup failure");
    }
  }

  async receive(max: number, signal: AbortSignal): Promise<WorkInput[] | null> {
    if (this.closed) return null;
    if (signal.aborted || this.stopping || max <= 0) return [];
    let got: Array<RedisDelivery & { payload: Uint8Array }>;
    try {
      got = await this.fetch(max, this.config.blockMs);
    } catch (err) {
      // the server restarted, a failover: wait a little and let the loop ask again
      this.options.log?.warn({ err: summarizeUnknown(err) }, "could not read the work stream; retrying");
      await new Promise((r) => setTimeout(r, Math.min(1000, this.config.blockMs)));
      return [];
    }
    return got.map((d) => ({
      id: d.id, callId: d.meta.callId, method: d.meta.method, payload: d.payload, attempt: d.attempt,
      ...(d.meta.params ? { params: d.meta.params } : {}),
      ...(d.meta.timeoutMs ? { timeoutMs: d.meta.timeoutMs } : {}),
      ...(d.meta.kind ? { kind: d.meta.kind } : {}),
    }));
  }

  complete(input: WorkInput, outcome: Outcome): Promise<void> {
    const d = this.deliveries.get(input.id);
    if (!d || d.settled) return Promise.resolve();
    d.settled = true;
    return this.track(this.settle(d, outcome).finally(() => this.deliveries.delete(d.id)));
  }

  endContainer(culprit: WorkInput, outcome: Extract<Outcome, { status: "error" }>, innocent: WorkInput[]): boolean {
    const d = this.deliveries.get(culprit.id);
    if (!d || d.settled) return false;
    const others = innocent.map((i) => this.deliveries.get(i.id)).filter((o): o is RedisDelivery => o !== undefined && !o.settled);
    const words: RedisLastWords = {
      consumer: this.consumer, culprit: d, error: Buffer.from(outcome.error).toString("base64"), timedOut: outcome.timedOut, innocent: others,
    };
    for (const x of [d, ...others]) x.settled = true;
    const [command, ...args] = this.options.lastWordsCommand ?? [process.execPath, ...process.execArgv, process.argv[1]];
    const run = spawnSync(command, args, {
      input: JSON.stringify(words),
      env: { ...process.env, GANTRY_LAST_WORDS: "redis" },
      stdio: ["pipe", "inherit", "inherit"],
      timeout: 60_000,
    });
    const ok = run.status === 0;
    if (!ok) this.options.log?.error({ status: run.status, signal: run.signal, error: run.error?.message }, "the last words of the container failed; its inputs come back as crashes");
    return ok;
  }

  /** The last words' side: takes over the deliveries of a container that is dying. */
  adopt(deliveries: RedisDelivery[]): void {
    for (const d of deliveries) this.deliveries.set(d.id, { ...d, settled: false });
  }

  async handBack(unfinished: WorkInput[]): Promise<void> {
    const ids = new Set(unfinished.map((i) => i.id));
    await this.track(this.release([...this.deliveries.values()].filter((d) => ids.has(d.id)), "the drain budget ran out"));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.readyState = "closed";
    for (const t of this.timers) clearInterval(t);
    await this.release([...this.deliveries.values()], "the worker stopped");
    while (this.ops.size) await Promise.allSettled([...this.ops]);
    const conn = await this.conn.catch(() => null);
    if (!conn) return;
    try {
      // a consumer with nothing pending leaves the group (one with pending entries stays, so they can be claimed)
      const pending = await conn.cmd<Reply[]>(["XPENDING", this.keys.work, WORK_GROUP, "-", "+", "1", this.consumer]);
      if (pending.length === 0) await conn.cmd(["XGROUP", "DELCONSUMER", this.keys.work, WORK_GROUP, this.consumer]);
    } catch {
      // best effort
    }
    await conn.close();
  }

  // ---- receiving

  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    const conn = await this.conn;
    try {
      await conn.cmd(["XGROUP", "CREATE", this.keys.work, WORK_GROUP, "0", "MKSTREAM"]);
    } catch (err) {
      if (!String((err as Error).message).startsWith("BUSYGROUP")) throw err;
    }
    this.groupReady = true;
  }

  /** At most `max` admitted deliveries; `blockMs` null: do not wait for new entries. */
  private async fetch(max: number, blockMs: number | null): Promise<Array<RedisDelivery & { payload: Uint8Array }>> {
    await this.ensureGroup();
    const conn = await this.conn;
    const [, nextDueMs] = await conn.run<[number, number]>(PROMOTE, [this.keys.retry, this.keys.work], [String(PROMOTE_BATCH)]);
    const entries: Array<[string, string]> = [];
    // entries whose consumer stopped heartbeating (its container died): at most every quarter of the claim idle time
    const now = Date.now();
    if (now - this.lastClaimAt >= Math.min(1000, this.config.claimIdleMs / 4)) {
      this.lastClaimAt = now;
      const claimed = await conn.cmd<[string, Reply[], Reply[]]>(["XAUTOCLAIM", this.keys.work, WORK_GROUP, this.consumer, String(this.config.claimIdleMs), "0-0", "COUNT", String(max)]);
      for (const e of parseEntries(claimed[1])) entries.push(e);
      this.stats.claimed += entries.length;
      if (entries.length) this.options.log?.warn({ count: entries.length }, "claimed inputs another container held past the claim idle time (it died or stalled)");
    }
    if (entries.length < max) {
      const wait = entries.length > 0 || blockMs === null ? null : nextDueMs >= 0 ? Math.max(1, Math.min(blockMs, nextDueMs)) : blockMs;
      const args = ["XREADGROUP", "GROUP", WORK_GROUP, this.consumer, "COUNT", String(max - entries.length), ...(wait === null ? [] : ["BLOCK", String(wait)]), "STREAMS", this.keys.work, ">"];
      let reply: Reply;
      try {
        reply = wait === null ? await conn.cmd(args) : await (await this.blockingReader()).cmd(args);
      } catch (err) {
        if (String((err as Error).message).startsWith("NOGROUP")) this.groupReady = false;
        throw err;
      }
      if (Array.isArray(reply)) for (const stream of reply as Reply[][]) entries.push(...parseEntries(stream[1] as Reply[]));
    }
    this.stats.received += entries.length;
    const admitted = await Promise.all(entries.map(([entryId, local]) => this.admit(entryId, local).catch((err) => {
      // left pending: claimed again after the claim idle time
      this.options.log?.error({ err: summarizeUnknown(err), entryId }, "could not admit an input; it will be redelivered");
      return null;
    })));
    return admitted.filter((d): d is RedisDelivery & { payload: Uint8Array } => d !== null);
  }

  private blockingReader(): Promise<BlockingConnection> {
    this.reader ??= this.conn.then((c) => c.blocking());
    this.reader.catch(() => {
      this.reader = null;
    });
    return this.reader;
  }

  private async admit(entryId: string, local: string): Promise<(RedisDelivery & { payload: Uint8Array }) | null> {
    const conn = await this.conn;
    const k = callKeys(this.keys, local);
    const reply = await conn.run<Reply[]>(ADMIT, [k.call, k.result, this.keys.work], [entryId], { buffers: true });
    const status = int(reply[0]);
    if (status === 0) {
      this.stats.duplicates++;
      this.options.log?.info({ call: local }, "the call already ended (duplicate delivery or cancelled): dropping the entry");
      return null;
    }
    if (status === -1) {
      this.options.log?.warn({ call: local, entryId }, "an entry names a call with no record (expired or never written): dropped");
      return null;
    }
    const [, deliveries, failures, released, rawMeta, args] = reply;
    const base = { id: `d${++this.seq}`, entryId, local, deliveries: int(deliveries), failures: int(failures), released: int(released), startedAt: Date.now(), settled: false };
    let meta: CallMeta;
    try {
      meta = parseMeta(rawMeta as Buffer);
    } catch (err) {
      const error = new TypeError(`${this.config.unit}: a malformed call (${(err as Error).message})`);
      const d: RedisDelivery = { ...base, attempt: base.failures + 1, settled: true, meta: { v: 1, callId: `${this.config.unit}/${local}`, unit: this.config.unit, method: null, encoding: "msgpack", enqueuedAt: 0 } };
      await this.finish(d, { status: "error", error: encodeError(error), summary: summarize(error) });
      return null;
    }
    const d: RedisDelivery = { ...base, meta, attempt: base.failures + 1 };
    const crashes = Math.max(0, d.deliveries - 1 - d.failures - d.released);
    if (afterCrash(crashes).kind === "fail") {
      const error = new ContainerCrashedError(
        `${this.label(meta.method)}: the input was delivered ${d.deliveries} times and ${crashes} of them never finished (the container crashed, ran out of memory or was killed)`);
      d.settled = true;
      await this.finish(d, { status: "error", error: encodeError(error), summary: summarize(error) });
      return null;
    }
    let payload: Uint8Array;
    try {
      payload = this.argumentsOf(meta, args as Buffer);
    } catch (err) {
      const error = new TypeError(`${this.label(meta.method)}: could not read the call's arguments: ${(err as Error).message}`);
      d.settled = true;
      await this.finish(d, { status: "error", error: encodeError(error), summary: summarize(error) });
      return null;
    }
    this.deliveries.set(d.id, d);
    return Object.assign(d, { payload });
  }

  private argumentsOf(meta: CallMeta, raw: Buffer): Uint8Array {
    if (meta.encoding === "msgpack") return raw;
    const args = JSON.parse(raw.toString("utf8")) as unknown;
    if (!Array.isArray(args)) throw new TypeError("JSON arguments must be an array");
    return encodeArgs(args, { callee: this.label(meta.method) });
  }

  // ---- outcomes

  private async settle(d: RedisDelivery, outcome: Outcome): Promise<void> {
    if (outcome.status === "ok") return this.finish(d, { status: "ok", value: outcome.value });
    if (outcome.status === "cancelled") {
      this.log(d, "cancelled");
      const conn = await this.conn;
      await Promise.all([conn.cmd(["XACK", this.keys.work, WORK_GROUP, d.entryId]), conn.cmd(["XDEL", this.keys.work, d.entryId])]);
      return;
    }
    await this.fail(d, outcome.error, decodeError(outcome.error));
  }

  private async fail(d: RedisDelivery, bytes: Uint8Array, error: Error): Promise<void> {
    const summary = summarize(error);
    if (afterFailure(this.config.retries, d.attempt).kind === "fail") {
      await this.finish(d, { status: "error", error: bytes, summary });
      return;
    }
    const delayMs = retryDelayMs(this.config.retries, d.attempt);
    const conn = await this.conn;
    const k = callKeys(this.keys, d.local);
    const failures = int(await conn.run(RETRY, [k.result, k.call, this.keys.work, this.keys.retry], [d.entryId, String(Math.round(delayMs)), d.local, JSON.stringify(summary)]));
    if (failures < 0) return; // the call ended meanwhile (a duplicate finished it, or it was cancelled)
    this.stats.retried++;
    this.log(d, "retry", { error: summary, retryInMs: delayMs });
  }

  private async finish(
    d: RedisDelivery,
    result: { status: "ok"; value: Uint8Array } | { status: "error"; error: Uint8Array; summary: ErrorSummary },
  ): Promise<void> {
    const envelope: ResultEnvelope = { status: result.status, encoding: d.meta.encoding, attempt: d.attempt, by: `${this.consumer}/${d.entryId}`, finishedAt: Date.now() };
    if (result.status === "ok") {
      try {
        envelope.value = d.meta.encoding === "msgpack" ? result.value : JSON.stringify(decodeValue(result.value) ?? null);
      } catch (err) {
        const error = new TypeError(`${this.label(d.meta.method)} returned a value JSON cannot carry (web callers read JSON): ${(err as Error).message}`);
        return this.finish(d, { status: "error", error: encodeError(error), summary: summarize(error) });
      }
    } else {
      envelope.error = result.summary;
      if (d.meta.encoding === "msgpack") envelope.errorData = result.error;
    }
    const conn = await this.conn;
    const k = callKeys(this.keys, d.local);
    const won = int(await conn.run(FINISH, [k.result, k.call, k.waiters, this.keys.work, this.keys.dead], [
      encodeEnvelope(envelope), String(ttlMs(this.config.resultTtlDays)), d.entryId,
      result.status === "error" ? JSON.stringify(result.summary).slice(0, 4096) : "", d.local, String(d.attempt),
    ])) === 1;
    if (!won) this.stats.duplicates++;
    else if (result.status === "error") this.stats.deadLettered++;
    this.stats.completed++;
    this.log(d, won ? result.status : "duplicate", result.status === "error" ? { error: result.summary } : {});
  }

  // ---- while inputs run

  private async beat(): Promise<void> {
    const running = [...this.deliveries.values()].filter((d) => !d.settled);
    if (running.length === 0) return;
    try {
      const conn = await this.conn;
      const lost = await conn.run<string[]>(HEARTBEAT, [this.keys.work], [this.consumer, ...running.map((d) => d.entryId)]);
      if (lost.length) this.options.log?.warn({ entries: lost }, "inputs were claimed by another container (this one stalled past the claim idle time); they may run twice");
    } catch (err) {
      this.options.log?.warn({ error: summarizeUnknown(err) }, "heartbeat failed; running inputs may be claimed by another container");
    }
  }

  private async pollCancellations(): Promise<void> {
    const running = [...this.deliveries.values()].filter((d) => !d.settled);
    if (running.length === 0) return;
    try {
      const conn = await this.conn;
      const ended = await Promise.all(running.map((d) => conn.cmd(["EXISTS", callKeys(this.keys, d.local).result])));
      running.forEach((d, i) => {
        if (int(ended[i]) === 1 && !d.settled) this.control?.cancel(d.id);
      });
    } catch (err) {
      this.options.log?.warn({ error: summarizeUnknown(err) }, "could not check for cancellations");
    }
  }

  // ---- releasing

  private async release(deliveries: RedisDelivery[], reason: string): Promise<void> {
    const unfinished = deliveries.filter((d) => !d.settled);
    if (unfinished.length === 0) return;
    this.options.log?.warn({ count: unfinished.length, reason }, "handing unfinished inputs back");
    const conn = await this.conn.catch(() => null);
    await Promise.all(unfinished.map(async (d) => {
      d.settled = true;
      try {
        if (!conn) throw new Error("no connection");
        const k = callKeys(this.keys, d.local);
        if (int(await conn.run(RELEASE, [k.result, k.call, this.keys.work], [d.entryId, d.local])) === 1) this.stats.released++;
      } catch (err) {
        this.options.log?.warn({ call: d.local, error: summarizeUnknown(err) }, "could not hand an input back; another container claims it after the claim idle time");
      } finally {
        this.deliveries.delete(d.id);
      }
    }));
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.ops.add(p);
    p.then(() => this.ops.delete(p), () => this.ops.delete(p));
    return p;
  }

  private log(d: RedisDelivery, status: string, extra: Record<string, unknown> = {}): void {
    const log = this.options.log;
    if (!log) return;
    const fields = { callId: d.meta.callId, function: this.label(d.meta.method), attempt: d.attempt, durationMs: Date.now() - d.startedAt, status, deliveries: d.deliveries, ...extra };
    if (status === "ok" || status === "cancelled" || status === "duplicate") log.info(fields, "input finished");
    else log.warn(fields, status === "retry" ? "input failed; will retry" : "input failed");
  }
}

/** Stream entries `[id, [field, value, ...]]` as [id, call local id]; deleted ones (null) are skipped. */
function parseEntries(raw: Reply[] | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const e of raw ?? []) {
    if (!Array.isArray(e) || !Array.isArray(e[1])) continue;
    const fields = e[1] as Reply[];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (text(fields[i]) === "call") out.push([text(e[0])!, text(fields[i + 1])!]);
    }
  }
  return out;
}

function summarizeUnknown(err: unknown): ErrorSummary {
  return err instanceof Error ? summarize(err) : { name: "Error", message: String(err) };
}
