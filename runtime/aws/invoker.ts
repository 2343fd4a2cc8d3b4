/**
 * The sdk Invoker on AWS: `.remote()`, `.spawn()`, `.map()` put messages on the target unit's queue
 * (arguments beyond the queue's size limit go to S3 first) and wait on the results table. Call ids
 * are global, so `FunctionCall.fromId(id).get()` works from any process that can read the table,
 * and `.cancel()` marks the call cancelled there (workers skip it, or drop a result in progress).
 */
import { randomUUID } from "node:crypto";
import type {
  CallTarget, Invoker, KeyValueBackend, QueueBackend, VolumeBackend,
} from "../../sdk/invoker.ts";
import type { AutoscalerSettings } from "../../sdk/options.ts";
import type { AppSpec } from "../../synth/spec.ts";
import { decodeError, decodeValue, encodeArgs } from "../serialize.ts";
import { InputCancelledError } from "../errors.ts";
import { mapCalls } from "../map.ts";
import { paramNames, targetLabel } from "../targets.ts";
import type { AwsClients } from "./clients.ts";
import type { AwsCallerConfig } from "./config.ts";
import { PayloadStore } from "./payloads.ts";
import { ResultStore } from "./results.ts";
import { QueueBatcher } from "./sqs-batch.ts";
import { ResultWaiter } from "./waiter.ts";
import { inputKey, parseSummary, WIRE_VERSION, type CallMessage, type CallRecord } from "./wire.ts";

/** room left in a message for its attributes and the envelope around the arguments */
const ENVELOPE_BYTES = 1024;

export interface AwsInvokerOptions {
  config: AwsCallerConfig;
  clients: AwsClients;
  /** the app spec, to name arguments in serialization errors */
  spec?: AppSpec | null;
  /** `remote`, `map`, `web`: recorded in each message */
  source?: string;
}

/** Call ids: a UUID, prefixed so logs show what they are (the web gateway's result URLs accept them). */
export function newAwsCallId(): string {
  return `fc-${randomUUID()}`;
}

export class AwsInvoker implements Invoker {
  readonly results: ResultStore;
  private readonly payloads: PayloadStore;
  private readonly waiter: ResultWaiter;
  private readonly queues = new Map<string, QueueBatcher>();

  constructor(private readonly options: AwsInvokerOptions) {
    const { config, clients } = options;
    this.results = new ResultStore(clients.ddb, config.resultsTable, config.resultTtlDays);
    this.payloads = new PayloadStore(clients.s3, config.bucket);
    this.waiter = new ResultWaiter(this.results);
  }

  /** The unit a target runs in, and its queue; an undeployed variant lists the deployed ones. */
  private queueFor(target: CallTarget): { unit: string; queue: QueueBatcher } {
    const unit = target.variant ?? target.name;
    let queue = this.queues.get(unit);
    if (!queue) {
      const url = this.options.config.queues[unit];
      if (!url) {
        const deployed = Object.keys(this.options.config.queues).sort();
        const related = deployed.filter((u) => u === target.name || u.startsWith(`${target.name}[`));
        throw new Error(`${targetLabel(target)}: "${unit}" is not deployed in this stack ` +
          `(deployed${related.length ? ` variants of ${target.name}` : ""}: ${(related.length ? related : deployed).join(", ") || "none"})`);
      }
      queue = new QueueBatcher(this.options.clients.sqs, url, this.options.config.maxMessageBytes);
      this.queues.set(unit, queue);
    }
    return { unit, queue };
  }

  /** Puts one call on its queue; resolves once SQS accepted it. */
  async enqueue(target: CallTarget, args: unknown[], how: string, callId = newAwsCallId()): Promise<string> {
    const { unit, queue } = this.queueFor(target);
    const payload = encodeArgs(args, { callee: `${targetLabel(target)}.${how}`, paramNames: paramNames(this.options.spec ?? null, target) });
    const message: CallMessage = {
      v: WIRE_VERSION, kind: "call", callId, function: unit, method: target.method ?? null,
      ...(target.params && Object.keys(target.params).length ? { params: target.params } : {}),
      encoding: "msgpack", args: Buffer.from(payload).toString("base64"), enqueuedAt: Date.now(), source: this.options.source ?? how,
    };
    let body = JSON.stringify(message);
    if (Buffer.byteLength(body) > this.options.config.maxMessageBytes - ENVELOPE_BYTES) {
      const key = inputKey(unit, callId, "msgpack");
      await this.payloads.put(key, payload);
      delete message.args;
      message.argsKey = key;
      body = JSON.stringify(message);
    }
    await queue.send({ body });
    return callId;
  }

  /** The value of a final record, or its error thrown. */
  async valueOf(record: CallRecord): Promise<unknown> {
    if (record.status === "ok") {
      const raw = record.resultKey ? await this.payloads.get(record.resultKey) : record.value;
      if (record.encoding === "json") {
        const text = typeof raw === "string" ? raw : Buffer.from(raw ?? []).toString("utf8");
        return JSON.parse(text || "null");
      }
      return raw === undefined ? undefined : decodeValue(raw as Uint8Array);
    }
    if (record.status === "cancelled") {
      throw new InputCancelledError(parseSummary(record.error)?.message || `call ${record.callId} was cancelled`);
    }
    if (record.errorData) throw decodeError(record.errorData);
    const summary = parseSummary(record.error) ?? { name: "Error", message: `call ${record.callId} failed` };
    const error = new Error(summary.message);
    Object.defineProperty(error, "name", { value: summary.name, configurable: true, writable: true });
    throw error;
  }

  private async settled(callId: string, timeoutMs?: number): Promise<unknown> {
    return this.valueOf(await this.waiter.wait(callId, { timeoutMs }));
  }

  // ---- Invoker

  async remote(target: CallTarget, args: unknown[]): Promise<unknown> {
    const callId = await this.enqueue(target, args, "remote");
    return this.settled(callId);
  }

  spawn(target: CallTarget, args: unknown[]): Promise<string> {
    return this.enqueue(target, args, "spawn");
  }

  result(callId: string, options: { timeoutMs?: number }): Promise<unknown> {
    return this.settled(callId, options.timeoutMs);
  }

  async cancel(callId: string): Promise<void> {
    await this.results.cancel(callId, { name: "InputCancelledError", message: `call ${callId} was cancelled` });
    this.waiter.poke(callId);
  }

  map(target: CallTarget, inputs: AsyncIterable<unknown[]>, options: { returnExceptions: boolean; orderOutputs: boolean }): AsyncIterable<unknown> {
    return mapCalls(inputs, (args) => {
      const callId = newAwsCallId();
      const promise = this.enqueue(target, args, "map", callId).then(() => this.settled(callId));
      return { promise, cancel: () => void this.cancel(callId).catch(() => {}) };
    }, options);
  }

  dict(name: string): KeyValueBackend {
    throw notYet(`Dict "${name}"`);
  }

  queue(name: string): QueueBackend {
    throw notYet(`Queue "${name}"`);
  }

  volume(name: string): VolumeBackend {
    throw notYet(`Volume "${name}".commit()/.reload()`);
  }

  async updateAutoscaler(target: CallTarget, _settings: AutoscalerSettings): Promise<void> {
    throw notYet(`${targetLabel(target)}.updateAutoscaler()`);
  }
}

function notYet(what: string): Error {
  return new Error(`${what} is not available from the AWS runtime yet (it works under \`gantry run\`)`);
}
