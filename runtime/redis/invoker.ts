/**
 * The sdk Invoker on Redis: `.remote()`, `.spawn()`, `.map()` write the call's record and add an
 * entry to the target unit's work stream (one script, scripts.ts ENQUEUE); callers wait through
 * ResultWaiter (waiter.ts). Call ids name their unit (`square/fc-…`, wire.ts), so
 * `FunctionCall.fromId(id).get()` works from any process that reaches the server, and `.cancel()`
 * writes the call's result as cancelled (the first result wins: a worker skips it, or drops the
 * run in progress). Results and call records expire after `resultTtlDays`.
 *
 * Dicts and Queues are keys of their own (state.ts); `updateAutoscaler` stores the unit's settings
 * in its `autoscaler` hash (autoscaler.ts) and, in a pod, patches its ScaledObject (scaled-object.ts);
 * volumes are the container's mounts.
 */
import type { CallTarget, Invoker, KeyValueBackend, QueueBackend, VolumeBackend } from "../../sdk/invoker.ts";
import type { AutoscalerSettings } from "../../sdk/options.ts";
import type { AppSpec } from "../../synth/spec.ts";
import { decodeError, decodeValue, encodeArgs } from "../serialize.ts";
import { InputCancelledError } from "../errors.ts";
import { mapCalls } from "../map.ts";
import { paramNames, targetLabel } from "../targets.ts";
import { RedisConnection } from "./client.ts";
import { ttlMs, type RedisCallerConfig } from "./config.ts";
import { storeAutoscalerSettings } from "./autoscaler.ts";
import { inClusterApi, patchScaledObject, type KubeApi } from "./scaled-object.ts";
import { callKeys, stateKey, unitKeys } from "./keys.ts";
import { ENQUEUE, FINISH } from "./scripts.ts";
import { RedisDict, RedisQueue } from "./state.ts";
import { ResultWaiter } from "./waiter.ts";
import { encodeEnvelope, newCallId, parseCallId, REDIS_WIRE_VERSION, type CallMeta, type ResultEnvelope } from "./wire.ts";

export interface RedisInvokerOptions {
  config: RedisCallerConfig;
  /** the app spec, to name arguments in serialization errors */
  spec?: AppSpec | null;
  /** the calling unit, or `remote`/`map`/`web`: recorded in each call */
  source?: string;
  /** volume name -> mount paths in this container */
  volumes?: Record<string, string>;
  /** where `updateAutoscaler` patches ScaledObjects (default: the API server of the pod this runs in; null: nowhere) */
  kube?: KubeApi | null;
}

export class RedisInvoker implements Invoker {
  private connection: Promise<RedisConnection> | null = null;
  private readonly waiter: ResultWaiter;
  private readonly ttl: number;

  constructor(private readonly options: RedisInvokerOptions) {
    this.ttl = ttlMs(options.config.resultTtlDays);
    this.waiter = new ResultWaiter(() => this.conn(), options.config.namespace, this.ttl);
  }

  /** The connection, opened on first use (a process that only declares handles never connects). */
  conn(): Promise<RedisConnection> {
    if (!this.connection) {
      this.connection = RedisConnection.open({ unrefWhenIdle: true, ...this.options.config.connection });
      this.connection.catch(() => {
        this.connection = null;
      });
    }
    return this.connection;
  }

  async close(): Promise<void> {
    await this.waiter.close();
    const c = await this.connection?.catch(() => null);
    this.connection = null;
    await c?.close();
  }

  /** Writes the call and adds its entry to the unit's work stream. */
  async enqueue(target: CallTarget, args: unknown[], how: string, callId = newCallId(target.variant ?? target.name)): Promise<string> {
    const unit = target.variant ?? target.name;
    const payload = encodeArgs(args, { callee: `${targetLabel(target)}.${how}`, paramNames: paramNames(this.options.spec ?? null, target) });
    const meta: CallMeta = {
      v: REDIS_WIRE_VERSION, callId, unit, method: target.method ?? null,
      ...(target.params && Object.keys(target.params).length ? { params: target.params } : {}),
      encoding: "msgpack", enqueuedAt: Date.now(), source: this.options.source ?? how,
    };
    const keys = unitKeys(this.options.config.namespace, unit);
    const { local } = parseCallId(callId);
    const k = callKeys(keys, local);
    await (await this.conn()).run(ENQUEUE, [k.call, keys.work], [JSON.stringify(meta), Buffer.from(payload), String(this.ttl), local]);
    return callId;
  }

  /** The value of a result, or its error thrown. */
  valueOf(callId: string, envelope: ResultEnvelope): unknown {
    if (envelope.status === "ok") {
      if (envelope.encoding === "json") {
        const t = typeof envelope.value === "string" ? envelope.value : Buffer.from(envelope.value ?? []).toString("utf8");
        return JSON.parse(t || "null");
      }
      return envelope.value === undefined ? undefined : decodeValue(envelope.value as Uint8Array);
    }
    if (envelope.status === "cancelled") throw new InputCancelledError(envelope.error?.message || `call ${callId} was cancelled`);
    if (envelope.errorData) throw decodeError(envelope.errorData);
    const error = new Error(envelope.error?.message ?? `call ${callId} failed`);
    Object.defineProperty(error, "name", { value: envelope.error?.name ?? "Error", configurable: true, writable: true });
    throw error;
  }

  private async settled(callId: string, timeoutMs?: number): Promise<unknown> {
    return this.valueOf(callId, await this.waiter.wait(callId, { timeoutMs }));
  }

  // ---- Invoker

  async remote(target: CallTarget, args: unknown[]): Promise<unknown> {
    return this.settled(await this.enqueue(target, args, "remote"));
  }

  spawn(target: CallTarget, args: unknown[]): Promise<string> {
    return this.enqueue(target, args, "spawn");
  }

  result(callId: string, options: { timeoutMs?: number }): Promise<unknown> {
    return this.settled(callId, options.timeoutMs);
  }

  /** Ends the call as cancelled, unless it already ended (its result stays). */
  async cancel(callId: string): Promise<void> {
    const { unit, local } = parseCallId(callId);
    const keys = unitKeys(this.options.config.namespace, unit);
    const k = callKeys(keys, local);
    const envelope: ResultEnvelope = {
      status: "cancelled", encoding: "msgpack", error: { name: "InputCancelledError", message: `call ${callId} was cancelled` }, by: "cancel", finishedAt: Date.now(),
    };
    await (await this.conn()).run(FINISH, [k.result, k.call, k.waiters, keys.work, keys.dead], [encodeEnvelope(envelope), String(this.ttl), "", "", local, "0"]);
    this.waiter.poke(callId);
  }

  map(target: CallTarget, inputs: AsyncIterable<unknown[]>, options: { returnExceptions: boolean; orderOutputs: boolean }): AsyncIterable<unknown> {
    return mapCalls(inputs, (args) => {
      const callId = newCallId(target.variant ?? target.name);
      const promise = this.enqueue(target, args, "map", callId).then(() => this.settled(callId));
      return { promise, cancel: () => void this.cancel(callId).catch(() => {}) };
    }, options);
  }

  dict(name: string, _options?: { createIfMissing: boolean }): KeyValueBackend {
    return new RedisDict(() => this.conn(), stateKey(this.options.config.namespace, "dict", name), name);
  }

  queue(name: string, _options?: { createIfMissing: boolean }): QueueBackend {
    return new RedisQueue(() => this.conn(), stateKey(this.options.config.namespace, "queue", name), name);
  }

  /** The volume's mounts in this container (the cluster's RWX claim): commit and reload have nothing to do. */
  volume(name: string): VolumeBackend {
    const mounts = Object.entries(this.options.volumes ?? {});
    if (!mounts.some(([, v]) => v === name)) {
      const here = mounts.map(([path, v]) => `${path} -> ${v}`).join(", ") || "none";
      throw new Error(`Volume "${name}" is not mounted in this container (${this.options.source ?? "this process"} mounts: ${here}); ` +
        `commit() and reload() act on the volumes of the function that calls them: add it to that function's \`volumes\` option`);
    }
    // a shared file system: writes are visible to every pod once the file is closed
    return { commit: async () => {}, reload: async () => {} };
  }

  async updateAutoscaler(target: CallTarget, settings: AutoscalerSettings): Promise<void> {
    const unit = target.variant ?? target.name;
    const scaledObject = this.options.config.scaledObjects?.[unit];
    await storeAutoscalerSettings(await this.conn(), unitKeys(this.options.config.namespace, unit), targetLabel(target), settings, scaledObject);
    const api = this.options.kube === undefined ? inClusterApi() : this.options.kube;
    if (api && scaledObject) await patchScaledObject(api, scaledObject, settings);
  }
}
