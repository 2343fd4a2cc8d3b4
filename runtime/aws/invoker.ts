/**
 * The sdk Invoker on AWS: `.remote()`, `.spawn()`, `.map()` put messages on the target unit's queue
 * (arguments beyond the queue's size limit go to S3 first) and wait on the results table. Call ids
 * name the callee and this process as the caller (call-keys.ts): `FunctionCall.fromId(id).get()`
 * and `.cancel()` (which marks the call cancelled: workers skip it, or drop a result in progress)
 * work from any process whose IAM may read that key, which for the stack's own roles is the
 * call's caller (provider/aws/iam.ts).
 *
 * State: a `Dict` is the DynamoDB table the stack declared for it (dict.ts), a `Queue` its SQS
 * queue (state-queue.ts), a `Volume` the EFS file system mounted in this container (volume.ts);
 * `updateAutoscaler` changes the unit's service scaling (autoscaler.ts). Only what the app's spec
 * declares exists: a name the stack did not deploy is an error that lists the deployed ones.
 */
import type {
  CallTarget, Invoker, KeyValueBackend, QueueBackend, VolumeBackend,
} from "../../sdk/invoker.ts";
import type { AutoscalerSettings } from "../../sdk/options.ts";
import type { AppSpec } from "../../synth/spec.ts";
import { decodeError, decodeValue, encodeArgs } from "../serialize.ts";
import { InputCancelledError } from "../errors.ts";
import { mapCalls } from "../map.ts";
import { paramNames, targetLabel } from "../targets.ts";
import { accessErrorOf, AwsAccessError } from "./access.ts";
import type { AwsClients, CommandSender } from "./clients.ts";
import type { AwsCallerConfig } from "./config.ts";
import { updateServiceScaling } from "./autoscaler.ts";
import { DynamoDict } from "./dict.ts";
import { PayloadStore } from "./payloads.ts";
import { ResultStore } from "./results.ts";
import { QueueBatcher } from "./sqs-batch.ts";
import { SqsQueue } from "./state-queue.ts";
import { EfsVolume } from "./volume.ts";
import { ResultWaiter } from "./waiter.ts";
import { loadEcsClient, Waker, type WakeTarget } from "./waker.ts";
import { EXTERNAL_CALLER, inputObjectKey, newCallId } from "./call-keys.ts";
import { parseSummary, WIRE_VERSION, type CallMessage, type CallRecord } from "./wire.ts";

const DECLARE_HINT = "Only names the static analysis finds in the app are deployed: call `fromName` at module level " +
  "with a literal name (`gantry spec <app.ts>` lists them)";

/** room left in a message for its attributes and the envelope around the arguments */
const ENVELOPE_BYTES = 1024;

export interface AwsInvokerOptions {
  config: AwsCallerConfig;
  clients: AwsClients;
  /** the app spec, to name arguments in serialization errors */
  spec?: AppSpec | null;
  /** `remote`, `map`, `web`: recorded in each message */
  source?: string;
  /** wakes scaled-to-zero units (default: from the config's `wake` and `scalingTargets`, over ECS) */
  waker?: Waker | null;
}

/** The config's wake settings joined with the units' services; units without a service are left out. */
export function wakeTargetsOf(config: AwsCallerConfig): Record<string, WakeTarget> {
  const out: Record<string, WakeTarget> = {};
  for (const [unit, w] of Object.entries(config.wake ?? {})) {
    const resourceId = config.scalingTargets?.[unit];
    if (resourceId) out[unit] = { resourceId, ...w };
  }
  return out;
}

/** A Waker over the clients' ECS client (loaded on first use), or none when no unit can be woken. */
export function wakerFor(targets: Record<string, WakeTarget>, clients: AwsClients): Waker | null {
  if (Object.keys(targets).length === 0) return null;
  let ecs: Promise<CommandSender> | undefined;
  return new Waker({
    targets,
    ecs: () => (ecs ??= clients.ecs ? Promise.resolve(clients.ecs) : loadEcsClient()),
    log: (m) => console.error(`[gantry] ${m}`),
  });
}

export class AwsInvoker implements Invoker {
  readonly results: ResultStore;
  private readonly payloads: PayloadStore;
  private readonly waiter: ResultWaiter;
  private readonly queues = new Map<string, QueueBatcher>();
  private readonly dicts = new Map<string, DynamoDict>();
  private readonly stateQueues = new Map<string, SqsQueue>();
  private readonly waker: Waker | null;

  constructor(private readonly options: AwsInvokerOptions) {
    const { config, clients } = options;
    this.waker = options.waker !== undefined ? options.waker : wakerFor(wakeTargetsOf(config), clients);
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

  /**
   * Who this process calls as, in call ids and payload keys (call-keys.ts): a container's own
   * unit, the gateway's `@web`, else an external caller (`@ext`).
   */
  get caller(): string {
    return this.options.config.caller ?? EXTERNAL_CALLER;
  }

  /** A fresh call id for a call of this process to `target`'s unit. */
  private callIdFor(target: CallTarget): string {
    return newCallId(target.variant ?? target.name, this.caller);
  }

  /** Puts one call on its queue; resolves once SQS accepted it. */
  async enqueue(target: CallTarget, args: unknown[], how: string, callId = this.callIdFor(target)): Promise<string> {
    const { unit, queue } = this.queueFor(target);
    const payload = encodeArgs(args, { callee: `${targetLabel(target)}.${how}`, paramNames: paramNames(this.options.spec ?? null, target) });
    const message: CallMessage = {
      v: WIRE_VERSION, kind: "call", callId, function: unit, method: target.method ?? null,
      ...(target.params && Object.keys(target.params).length ? { params: target.params } : {}),
      encoding: "msgpack", args: Buffer.from(payload).toString("base64"), enqueuedAt: Date.now(), source: this.options.source ?? how,
    };
    let body = JSON.stringify(message);
    if (Buffer.byteLength(body) > this.options.config.maxMessageBytes - ENVELOPE_BYTES) {
      const key = inputObjectKey(unit, callId, "msgpack");
      await this.payloads.put(key, payload);
      delete message.args;
      message.argsKey = key;
      body = JSON.stringify(message);
    }
    await queue.send({ body });
    // awaited: a Lambda that returns right after a spawn would freeze a wake left running
    await this.waker?.wake(unit);
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
    try {
      await this.results.cancel(callId, { name: "InputCancelledError", message: `call ${callId} was cancelled` });
    } catch (err) {
      if (accessErrorOf(err, "dynamodb:UpdateItem")?.reason !== "denied") throw err;
      throw new AwsAccessError(`call ${callId}: this process may not cancel it (a role reaches the calls it made and the calls made to it): ${(err as Error).message}`, "denied");
    }
    this.waiter.poke(callId);
  }

  map(target: CallTarget, inputs: AsyncIterable<unknown[]>, options: { returnExceptions: boolean; orderOutputs: boolean }): AsyncIterable<unknown> {
    return mapCalls(inputs, (args) => {
      const callId = this.callIdFor(target);
      const promise = this.enqueue(target, args, "map", callId).then(() => this.settled(callId));
      return { promise, cancel: () => void this.cancel(callId).catch(() => {}) };
    }, options);
  }

  /**
   * The Dict's table. `createIfMissing` changes nothing here: the stack creates a table for every
   * `Dict.fromName` the analysis found (with `createIfMissing: false` the table is kept when the
   * stack is destroyed), so the table exists exactly when the Dict is declared.
   */
  dict(name: string, _options?: { createIfMissing: boolean }): KeyValueBackend {
    let dict = this.dicts.get(name);
    if (!dict) {
      const table = this.declared(`Dict "${name}"`, name, this.options.config.dicts, "table", DECLARE_HINT);
      dict = new DynamoDict(this.options.clients.ddb, table, name);
      this.dicts.set(name, dict);
    }
    return dict;
  }

  /** The Queue's SQS queue; like Dicts, it exists because the stack declared it. */
  queue(name: string, _options?: { createIfMissing: boolean }): QueueBackend {
    let queue = this.stateQueues.get(name);
    if (!queue) {
      const url = this.declared(`Queue "${name}"`, name, this.options.config.stateQueues, "queue", DECLARE_HINT);
      queue = new SqsQueue(this.options.clients.sqs, url, name);
      this.stateQueues.set(name, queue);
    }
    return queue;
  }

  /** The volume's mounts in this container; a volume this container does not mount is an error. */
  volume(name: string): VolumeBackend {
    const mounts = Object.entries(this.options.config.volumes ?? {});
    const paths = mounts.filter(([, v]) => v === name).map(([path]) => path);
    if (paths.length === 0) {
      const here = mounts.map(([path, v]) => `${path} -> ${v}`).join(", ") || "none";
      throw new Error(`Volume "${name}" is not mounted in this container (${this.options.source ?? "this process"} mounts: ${here}); ` +
        `commit() and reload() act on the volumes of the function that calls them: add it to that function's \`volumes\` option`);
    }
    return new EfsVolume(name, paths);
  }

  async updateAutoscaler(target: CallTarget, settings: AutoscalerSettings): Promise<void> {
    const unit = target.variant ?? target.name;
    const label = targetLabel(target);
    const resourceId = this.declared(`${label}.updateAutoscaler`, unit, this.options.config.scalingTargets, "ECS service",
      "Variants are deployed when the analysis finds them (`Cls.of(X).withOptions(...)` with literal options)");
    const client = this.options.clients.autoscaling;
    if (!client) throw new Error(`${label}.updateAutoscaler: this process has no Application Auto Scaling client`);
    await updateServiceScaling(client, resourceId, label, settings);
  }

  /** What the stack deployed for a declared name, or an error listing what it deployed. */
  private declared(label: string, name: string, deployed: Record<string, string> | undefined, what: string, hint: string): string {
    const found = deployed?.[name];
    if (found) return found;
    const names = Object.keys(deployed ?? {}).sort().map((n) => `"${n}"`).join(", ") || "none";
    throw new Error(`${label}: the stack has no ${what} for "${name}" (deployed: ${names}). ${hint}, then deploy again`);
  }
}
