/**
 * The worker Transport on AWS: inputs from the unit's SQS queue, results to the DynamoDB results
 * table, payloads beyond the size limits through S3.
 *
 * - receive: one long poll (20 s) for at most min(10, free slots) messages. A stop never aborts a
 *   long poll in flight (SQS may already have handed it messages): what it returns is processed.
 *   Each message is claimed in the results table first: a call that already ended (a duplicate
 *   delivery, a cancelled call) is deleted without running.
 * - while an input runs, its visibility is extended every `heartbeatMs` (at most a third of the
 *   visibility timeout), and the results table is asked now and then whether it was cancelled.
 * - an outcome is written to the results table (a conditional put: the first result of a call
 *   wins) BEFORE the message is deleted, so a crash in between means a redelivery whose result
 *   write is dropped, never a lost result.
 * - a failed attempt with retries left: ChangeMessageVisibility to the backoff delay; the last one:
 *   the error is the call's result and the message is sent to the dead-letter queue explicitly,
 *   then deleted. The queue's own redrive is only a backstop (redelivery.ts): a message on its
 *   last allowed receive is re-enqueued as a fresh copy instead of being run.
 * - an input that ends its container (process.exit, an event loop it blocks past its timeout):
 *   `endContainer` runs the transport's last words in a helper process while this one waits (its
 *   event loop cannot run): the culprit's failure is stored like any failure, the other inputs are
 *   released (visibility 0, counted as released: not a crash). See runtime/aws/last-words.ts.
 * - when the worker stops, the loop hands back the inputs that did not finish within the drain
 *   budget (`handBack`, before the `@exit` hooks run): they are made visible again
 *   (ChangeMessageVisibility 0) for another container. `close` does the same for any left over.
 */
import { spawnSync } from "node:child_process";
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand, type Message } from "@aws-sdk/client-sqs";
import { decodeError, decodeValue, encodeArgs, encodeError } from "../serialize.ts";
import { ContainerCrashedError, ContainerSetupError } from "../errors.ts";
import type { Outcome, Transport, WorkInput, WorkerControl } from "../worker/transport.ts";
import type { Logger } from "../log.ts";
import { warmUp, type AwsClients } from "./clients.ts";
import type { AwsWorkerConfig } from "./config.ts";
import { afterFailure } from "../delivery.ts";
import { accessErrorOf } from "./access.ts";
import { keyName, parseCallId, resultObjectKey } from "./call-keys.ts";
import { PayloadStore } from "./payloads.ts";
import { crashedTooOften, crashesOf, lastReceive, redeliveryVia } from "./redelivery.ts";
import { ResultStore, type FinalRecord } from "./results.ts";
import { QueueBatcher } from "./sqs-batch.ts";
import {
  callIdOf, isFinal, parseMessage, summarize, type CallMessage, type CallRecord, type ErrorSummary,
} from "./wire.ts";

/** SQS's largest DelaySeconds */
const MAX_DELAY_SECONDS = 900;

/** A received message, as the transport tracks it until it settles (JSON-safe: last words carry it). */
export interface Delivery {
  id: string;
  receipt: string;
  body: string;
  /** SQS ApproximateReceiveCount of this delivery */
  receiveCount: number;
  message: CallMessage;
  record: CallRecord;
  attempt: number;
  startedAt: number;
  /** an outcome arrived, or the input was released: no more heartbeats, no second outcome */
  settled: boolean;
}

export interface AwsTransportOptions {
  config: AwsWorkerConfig;
  clients: AwsClients;
  log?: Logger;
  /** `square`, `Model.generate`: how logs and errors name an input's target */
  label?(method: string | null): string;
  now?(): number;
  /**
   * The command that runs this transport's last words (runtime/aws/last-words.ts) when an input
   * ends the container; default: this process's own entry with GANTRY_LAST_WORDS=1.
   */
  lastWordsCommand?: string[];
}

/** What a container that an input is ending hands to its last words. */
export interface LastWords {
  culprit: Delivery;
  /** base64 of the culprit's encoded error */
  error: string;
  timedOut: boolean;
  innocent: Delivery[];
}

export class AwsTransport implements Transport {
  private control: WorkerControl | null = null;
  private labeller: ((method: string | null) => string) | undefined;
  private readonly results: ResultStore;
  private readonly payloads: PayloadStore;
  private readonly queue: QueueBatcher;
  private readonly dlq: QueueBatcher;
  private readonly deliveries = new Map<string, Delivery>();
  private readonly ops = new Set<Promise<unknown>>();
  private seq = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private cancelPoll: NodeJS.Timeout | null = null;
  private stopping = false;
  private closed = false;
  /** a stop that came before the loop attached */
  private pendingStop: { drainMs: number; reason: string } | null = null;
  private readyState: "starting" | "ready" | "setup-failed" | "stopping" | "closed" = "starting";
  /** counters for health and tests */
  readonly stats = { received: 0, completed: 0, duplicates: 0, retried: 0, deadLettered: 0, released: 0, requeued: 0 };

  constructor(private readonly options: AwsTransportOptions) {
    const { config, clients } = options;
    this.labeller = options.label;
    this.results = new ResultStore(clients.ddb, config.resultsTable, config.resultTtlDays, this.now);
    this.payloads = new PayloadStore(clients.s3, config.bucket);
    this.queue = new QueueBatcher(clients.sqs, config.queueUrl, config.maxMessageBytes);
    this.dlq = new QueueBatcher(clients.sqs, config.dlqUrl, config.maxMessageBytes);
  }

  private get config(): AwsWorkerConfig {
    return this.options.config;
  }

  private readonly now = (): number => this.options.now?.() ?? Date.now();

  private label(method: string | null): string {
    return this.labeller?.(method) ?? this.config.unit;
  }

  /** How logs and errors name an input's target (`Model.generate`), once the app is loaded. */
  nameInputsWith(label: (method: string | null) => string): void {
    this.labeller = label;
  }

  /** starting / ready / setup-failed / stopping / closed, for `/readyz` */
  get state(): string {
    return this.readyState;
  }

  /** inputs received and not settled yet */
  get inFlight(): number {
    let n = 0;
    for (const d of this.deliveries.values()) if (!d.settled) n++;
    return n;
  }

  // ---- stopping (SIGTERM, spot interruption, a timed-out input, idle)

  /**
   * Stop fetching and drain: inputs in flight get `drainMs` to finish; the loop then hands back
   * the others (made visible again right away, before `@exit` hooks run).
   */
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
    warmUp();
    this.heartbeat = setInterval(() => this.track(this.beat()), this.config.heartbeatMs);
    this.heartbeat.unref();
    this.cancelPoll = setInterval(() => this.track(this.pollCancellations()), this.config.cancelPollMs);
    this.cancelPoll.unref();
    this.options.log?.info({ heartbeatMs: this.config.heartbeatMs, visibilityTimeout: this.config.visibilityTimeoutS }, "ready: receiving inputs");
  }

  /**
   * Setup failed (import or `@enter`): reported as such. The inputs waiting on the queue fail one
   * attempt each with ContainerSetupError (retried per the policy, then their result), so callers
   * of a declaration that cannot start get an answer instead of waiting forever.
   */
  async setupFailed(error: Uint8Array): Promise<void> {
    this.readyState = "setup-failed";
    const cause = decodeError(error);
    this.options.log?.error({ unit: this.config.unit, error: summarize(cause) }, "container setup failed");
    const wrapped = new ContainerSetupError(`${this.config.unit}: container setup failed: ${cause.name}: ${cause.message}`);
    const bytes = encodeError(wrapped);
    try {
      const waiting = await this.fetch(10, 0);
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
    const deliveries = await this.fetch(Math.min(10, max), this.config.waitTimeSeconds);
    return deliveries.map((d) => ({
      id: d.id, callId: d.message.callId, method: d.message.method, payload: d.payload, attempt: d.attempt,
      ...(d.message.params ? { params: d.message.params } : {}),
    }));
  }

  complete(input: WorkInput, outcome: Outcome): Promise<void> {
    const d = this.deliveries.get(input.id);
    if (!d || d.settled) return Promise.resolve();
    d.settled = true;
    return this.track(this.settle(d, outcome).finally(() => this.deliveries.delete(d.id)));
  }

  /**
   * An input is ending this container and its event loop cannot run: a helper process stores the
   * culprit's failure and releases the other inputs, while this one waits for it.
   */
  endContainer(culprit: WorkInput, outcome: Extract<Outcome, { status: "error" }>, innocent: WorkInput[]): boolean {
    const d = this.deliveries.get(culprit.id);
    if (!d || d.settled) return false;
    const others = innocent.map((i) => this.deliveries.get(i.id)).filter((o): o is Delivery => o !== undefined && !o.settled);
    // the arguments stay behind: the last words only settle the deliveries
    const plain = ({ payload: _, ...delivery }: Delivery & { payload?: Uint8Array }): Delivery => delivery;
    const words: LastWords = {
      culprit: plain(d), error: Buffer.from(outcome.error).toString("base64"), timedOut: outcome.timedOut, innocent: others.map(plain),
    };
    for (const x of [d, ...others]) x.settled = true;
    const [command, ...args] = this.options.lastWordsCommand ?? [process.execPath, ...process.execArgv, process.argv[1]];
    const run = spawnSync(command, args, {
      input: JSON.stringify(words),
      env: { ...process.env, GANTRY_LAST_WORDS: "1" },
      stdio: ["pipe", "inherit", "inherit"],
      timeout: 60_000,
    });
    const ok = run.status === 0;
    if (!ok) this.options.log?.error({ status: run.status, signal: run.signal, error: run.error?.message }, "the last words of the container failed; its inputs come back as crashes");
    return ok;
  }

  /** The last words' side (runtime/aws/last-words.ts): takes over the deliveries of a container that is dying. */
  adopt(deliveries: Delivery[]): void {
    for (const d of deliveries) this.deliveries.set(d.id, { ...d, settled: false });
  }

  /** The inputs the drain did not finish: visible again for another container, before `@exit` runs. */
  async handBack(unfinished: WorkInput[]): Promise<void> {
    const ids = new Set(unfinished.map((i) => i.id));
    await this.track(this.release([...this.deliveries.values()].filter((d) => ids.has(d.id)), "the drain budget ran out"));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.readyState = "closed";
    for (const t of [this.heartbeat, this.cancelPoll]) if (t) clearInterval(t);
    // normally nothing is left (the loop handed back what it did not finish)
    await this.release([...this.deliveries.values()], "the worker stopped");
    // background work: releases, payload clean-up
    while (this.ops.size) await Promise.allSettled([...this.ops]);
  }

  // ---- receiving

  private async fetch(max: number, waitSeconds: number): Promise<Array<Delivery & { payload: Uint8Array }>> {
    const out = await this.options.clients.sqs.send(new ReceiveMessageCommand({
      QueueUrl: this.config.queueUrl,
      MaxNumberOfMessages: max,
      WaitTimeSeconds: waitSeconds,
      VisibilityTimeout: this.config.visibilityTimeoutS,
      MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
    }));
    const messages = (out.Messages ?? []) as Message[];
    this.stats.received += messages.length;
    const admitted = await Promise.all(messages.map((m) => this.admit(m).catch((err) => {
      this.options.log?.error({ err: summarizeUnknown(err), messageId: m.MessageId }, "could not admit a message; it will be redelivered");
      this.track(this.setVisibility(m.ReceiptHandle!, 5).catch(() => {}));
      return null;
    })));
    return admitted.filter((d): d is Delivery & { payload: Uint8Array } => d !== null);
  }

  /** Claims one message in the results table and reads its arguments; null when it must not run. */
  private async admit(m: Message): Promise<(Delivery & { payload: Uint8Array }) | null> {
    const body = m.Body ?? "";
    const receipt = m.ReceiptHandle!;
    const receiveCount = Number(m.Attributes?.ApproximateReceiveCount ?? 1);
    if (lastReceive(receiveCount, this.config.maxReceiveCount)) {
      // SQS would dead-letter it on its next receive, without a result if this run crashed
      this.stats.requeued++;
      await this.queue.send({ body });
      await this.queue.delete(receipt);
      return null;
    }
    let message: CallMessage;
    try {
      message = parseMessage(body);
    } catch (err) {
      await this.rejectMalformed(body, receipt, err as Error);
      return null;
    }
    let claimed: Awaited<ReturnType<ResultStore["claim"]>>;
    try {
      claimed = await this.results.claim(message.callId, this.config.unit);
    } catch (err) {
      // IAM lets a unit record only the calls made to it (call-keys.ts): a message with another
      // id (an older id form, a hand-made body) would come back forever, so it is dead-lettered
      if (!this.foreign(message.callId) || accessErrorOf(err, "dynamodb:UpdateItem")?.reason !== "denied") throw err;
      await this.rejectMalformed(body, receipt, new TypeError(`the call id "${message.callId}" does not name ${this.config.unit} as its callee ` +
        `(<callee>:<caller>:<id>), so this unit may not record its result`));
      return null;
    }
    const { ended, record } = claimed;
    if (ended) {
      this.stats.duplicates++;
      this.options.log?.info({ callId: message.callId, status: record.status }, "the call already ended (duplicate delivery or cancelled): dropping the message");
      await this.queue.delete(receipt);
      return null;
    }
    const d: Delivery = {
      id: `d${++this.seq}`, receipt, body, receiveCount, message, record,
      attempt: (record.failures ?? 0) + 1, startedAt: this.now(), settled: false,
    };
    if (crashedTooOften(record)) {
      const label = this.label(message.method);
      const error = new ContainerCrashedError(
        `${label}: the input was delivered ${record.deliveries} times and ${crashesOf(record)} of them never finished (the container crashed, ran out of memory or was killed)`);
      d.settled = true;
      await this.finish(d, { status: "error", error: encodeError(error), summary: summarize(error) });
      return null;
    }
    let payload: Uint8Array;
    try {
      payload = await this.argumentsOf(message);
    } catch (err) {
      const error = new TypeError(`${this.label(message.method)}: could not read the call's arguments: ${(err as Error).message}`);
      d.settled = true;
      await this.finish(d, { status: "error", error: encodeError(error), summary: summarize(error) });
      return null;
    }
    this.deliveries.set(d.id, d);
    return Object.assign(d, { payload });
  }

  private async argumentsOf(message: CallMessage): Promise<Uint8Array> {
    let raw: Uint8Array | string | unknown[];
    if (message.argsKey) raw = await this.payloads.get(message.argsKey);
    else raw = message.args!;
    if (message.encoding === "msgpack") {
      return typeof raw === "string" ? Buffer.from(raw, "base64") : (raw as Uint8Array);
    }
    const args = raw instanceof Uint8Array ? JSON.parse(Buffer.from(raw).toString("utf8")) : raw;
    if (!Array.isArray(args)) throw new TypeError("JSON arguments must be an array");
    return encodeArgs(args, { callee: this.label(message.method) });
  }

  /** A call id that does not name this unit as its callee: its role may not write that result. */
  private foreign(callId: string): boolean {
    return parseCallId(callId)?.callee !== keyName(this.config.unit);
  }

  /** A body that is not a gantry call: to the dead-letter queue, with the reason (and as its result, when it is ours). */
  private async rejectMalformed(body: string, receipt: string, error: Error): Promise<void> {
    const callId = callIdOf(body);
    this.options.log?.error({ callId, error: error.message }, "malformed message: sent to the dead-letter queue");
    if (callId && !this.foreign(callId)) {
      await this.results.putFinal({ callId, status: "error", error: JSON.stringify(summarize(error)), errorData: encodeError(error), function: this.config.unit });
    }
    await this.dlq.send({ body, attributes: errorAttributes(summarize(error), callId, 0) });
    this.stats.deadLettered++;
    await this.queue.delete(receipt);
  }

  // ---- outcomes

  private async settle(d: Delivery, outcome: Outcome): Promise<void> {
    if (outcome.status === "ok") return this.finish(d, { status: "ok", value: outcome.value });
    if (outcome.status === "cancelled") {
      this.log(d, "cancelled");
      await this.queue.delete(d.receipt);
      return;
    }
    const error = decodeError(outcome.error);
    await this.fail(d, outcome.error, error);
  }

  /** A failed attempt: retry after the backoff delay while attempts are left, else the call's result. */
  private async fail(d: Delivery, bytes: Uint8Array, error: Error): Promise<void> {
    const summary = summarize(error);
    if (afterFailure(this.config.retries, d.attempt).kind === "fail") {
      await this.finish(d, { status: "error", error: bytes, summary });
      return;
    }
    const failures = await this.results.recordFailure(d.message.callId, summary);
    if (failures === null) {
      // the call ended meanwhile (another delivery finished it, or it was cancelled)
      await this.queue.delete(d.receipt);
      return;
    }
    const next = afterFailure(this.config.retries, failures);
    const delay = next.kind === "retry" ? Math.ceil(next.delayMs / 1000) : 0;
    this.stats.retried++;
    this.log(d, "retry", { error: summary, retryInSeconds: delay });
    await this.redeliver(d, delay);
  }

  /** Writes the call's result (first write wins), dead-letters a final error, then deletes the message. */
  private async finish(
    d: Delivery,
    result: { status: "ok"; value: Uint8Array } | { status: "error"; error: Uint8Array; summary: ErrorSummary },
  ): Promise<void> {
    const { message } = d;
    const record: FinalRecord = {
      callId: message.callId,
      status: result.status,
      encoding: message.encoding,
      attempt: d.attempt,
      function: this.config.unit,
      deliveries: d.record.deliveries,
      failures: d.record.failures,
    };
    if (result.status === "ok") {
      let value: Uint8Array | string;
      try {
        value = this.resultValue(d, result.value);
      } catch (err) {
        const error = new TypeError(`${this.label(message.method)} returned a value JSON cannot carry (web callers read JSON): ${(err as Error).message}`);
        return this.finish(d, { status: "error", error: encodeError(error), summary: summarize(error) });
      }
      const size = typeof value === "string" ? Buffer.byteLength(value) : value.byteLength;
      if (size > this.config.resultInlineBytes) {
        const key = resultObjectKey(this.config.unit, message.callId, `${d.receiveCount}-${d.id}`, message.encoding);
        await this.payloads.put(key, value);
        record.resultKey = key;
      } else {
        record.value = value;
      }
    } else {
      record.error = JSON.stringify(result.summary);
      if (message.encoding === "msgpack") record.errorData = result.error;
    }
    const won = await this.results.putFinal(record);
    if (!won) this.stats.duplicates++;
    if (won && result.status === "error") {
      await this.dlq.send({ body: d.body, attributes: errorAttributes(result.summary, message.callId, d.attempt) });
      this.stats.deadLettered++;
    }
    await this.queue.delete(d.receipt);
    this.stats.completed++;
    if (won && result.status === "ok" && message.argsKey) {
      this.track(this.payloads.delete(message.argsKey).catch(() => {}));
    }
    this.log(d, won ? result.status : "duplicate", result.status === "error" ? { error: result.summary } : {});
  }

  /** JSON callers (the web gateway) read JSON; sdk callers read msgpack bytes. */
  private resultValue(d: Delivery, bytes: Uint8Array): Uint8Array | string {
    if (d.message.encoding === "msgpack") return bytes;
    return JSON.stringify(decodeValue(bytes) ?? null);
  }

  /** Back on the queue after `delaySeconds`: a visibility change, or a fresh copy when the queue allows one receive. */
  private async redeliver(d: Delivery, delaySeconds: number): Promise<void> {
    if (redeliveryVia(this.config.maxReceiveCount) === "visibility") {
      await this.setVisibility(d.receipt, delaySeconds);
      return;
    }
    this.stats.requeued++;
    await this.queue.send({ body: d.body, delaySeconds: Math.min(MAX_DELAY_SECONDS, delaySeconds) });
    await this.queue.delete(d.receipt);
  }

  private async setVisibility(receipt: string, seconds: number): Promise<void> {
    await this.options.clients.sqs.send(new ChangeMessageVisibilityCommand({
      QueueUrl: this.config.queueUrl, ReceiptHandle: receipt, VisibilityTimeout: seconds,
    }));
  }

  // ---- while inputs run

  private async beat(): Promise<void> {
    const running = [...this.deliveries.values()].filter((d) => !d.settled);
    if (running.length === 0) return;
    const errors = await this.queue.changeVisibility(running.map((d) => d.receipt), this.config.visibilityTimeoutS);
    errors.forEach((e, i) => {
      if (e) this.options.log?.warn({ callId: running[i].message.callId, error: summarizeUnknown(e) }, "visibility heartbeat failed; the input may run twice");
    });
  }

  private async pollCancellations(): Promise<void> {
    const cutoff = this.now() - this.config.cancelPollMs;
    const running = [...this.deliveries.values()].filter((d) => !d.settled && d.startedAt <= cutoff);
    if (running.length === 0) return;
    try {
      const records = await this.results.getMany([...new Set(running.map((d) => d.message.callId))]);
      for (const d of running) {
        const r = records.get(d.message.callId);
        // cancelled, or finished by a duplicate delivery: nobody needs this run's result
        if (r && isFinal(r)) this.control?.cancel(d.id);
      }
    } catch (err) {
      this.options.log?.warn({ error: summarizeUnknown(err) }, "could not check for cancellations");
    }
  }

  // ---- releasing

  private async release(deliveries: Delivery[], reason: string): Promise<void> {
    const unfinished = deliveries.filter((d) => !d.settled);
    if (unfinished.length === 0) return;
    this.options.log?.warn({ count: unfinished.length, reason }, "making unfinished inputs visible again");
    await Promise.all(unfinished.map(async (d) => {
      d.settled = true;
      try {
        await this.results.recordRelease(d.message.callId);
        await this.redeliver(d, 0);
        this.stats.released++;
      } catch (err) {
        this.options.log?.warn({ callId: d.message.callId, error: summarizeUnknown(err) }, "could not release an input; it becomes visible when its visibility timeout ends");
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

  private log(d: Delivery, status: string, extra: Record<string, unknown> = {}): void {
    const log = this.options.log;
    if (!log) return;
    const fields = {
      callId: d.message.callId, function: this.label(d.message.method), attempt: d.attempt,
      durationMs: this.now() - d.startedAt, status, receiveCount: d.receiveCount, ...extra,
    };
    if (status === "ok" || status === "cancelled" || status === "duplicate") log.info(fields, "input finished");
    else log.warn(fields, status === "retry" ? "input failed; will retry" : "input failed");
  }
}

function errorAttributes(summary: ErrorSummary, callId: string | null, attempts: number) {
  return {
    "gantry.error": { DataType: "String", StringValue: JSON.stringify(summary).slice(0, 4096) },
    ...(callId ? { "gantry.callId": { DataType: "String", StringValue: callId } } : {}),
    "gantry.attempts": { DataType: "Number", StringValue: String(attempts) },
  };
}

function summarizeUnknown(err: unknown): ErrorSummary {
  return err instanceof Error ? summarize(err) : { name: "Error", message: String(err) };
}
