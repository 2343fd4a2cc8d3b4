/**
 * The Invoker inside a local container: nested `.remote()`, `.map()`, `spawn`, Dict, Queue and
 * Volume calls made by user code are proxied to the supervisor over the pipe.
 */
import type {
  CallTarget, Invoker, KeyValueBackend, QueueBackend, VolumeBackend,
} from "../../sdk/invoker.ts";
import type { AutoscalerSettings } from "../../sdk/options.ts";
import type { AppSpec } from "../../synth/spec.ts";
import { decodeValue, encodeArgs, encodeValue } from "../serialize.ts";
import { mapCalls } from "../map.ts";
import { newCallId, paramNames, targetLabel } from "../targets.ts";
import type { PipeTransport } from "./pipe-transport.ts";
import type { ContainerRequest } from "./protocol.ts";

export class ContainerInvoker implements Invoker {
  constructor(private readonly link: PipeTransport, private readonly spec: AppSpec) {}

  private async ask(req: ContainerRequest): Promise<unknown> {
    const bytes = await this.link.request(req);
    return bytes === undefined ? undefined : decodeValue(bytes);
  }

  private encode(target: CallTarget, args: unknown[], how: string): Uint8Array {
    return encodeArgs(args, { callee: `${targetLabel(target)}.${how}`, paramNames: paramNames(this.spec, target) });
  }

  remote(target: CallTarget, args: unknown[]): Promise<unknown> {
    return this.ask({ op: "remote", id: newCallId(), target, a: this.encode(target, args, "remote") });
  }

  async spawn(target: CallTarget, args: unknown[]): Promise<string> {
    const id = newCallId();
    await this.ask({ op: "spawn", id, target, a: this.encode(target, args, "spawn") });
    return id;
  }

  result(callId: string, options: { timeoutMs?: number }): Promise<unknown> {
    return this.ask({ op: "result", id: callId, timeoutMs: options.timeoutMs ?? null });
  }

  async cancel(callId: string): Promise<void> {
    await this.ask({ op: "cancel", id: callId });
  }

  map(target: CallTarget, inputs: AsyncIterable<unknown[]>, options: { returnExceptions: boolean; orderOutputs: boolean }): AsyncIterable<unknown> {
    return mapCalls(inputs, (args) => {
      const id = newCallId();
      const promise = this.ask({ op: "remote", id, target, a: this.encode(target, args, "map") });
      return { promise, cancel: () => void this.ask({ op: "cancel", id }).catch(() => {}) };
    }, options);
  }

  dict(name: string, options: { createIfMissing: boolean }): KeyValueBackend {
    const base = { op: "dict" as const, name, create: options.createIfMissing };
    const key = (k: unknown) => encodeValue(k, `Dict "${name}" key`);
    // get and pop answer with the stored value's bytes, or nothing when the key is absent
    const found = (bytes: Uint8Array | undefined) => (bytes === undefined ? { found: false } : { found: true, value: decodeValue(bytes) });
    return {
      get: async (k) => found(await this.link.request({ ...base, method: "get", k: key(k) })),
      put: async (k, v) => void (await this.ask({ ...base, method: "put", k: key(k), v: encodeValue(v, `Dict "${name}" value`) })),
      pop: async (k) => found(await this.link.request({ ...base, method: "pop", k: key(k) })),
      has: async (k) => (await this.ask({ ...base, method: "has", k: key(k) })) as boolean,
      keys: async () => (await this.ask({ ...base, method: "keys" })) as unknown[],
      len: async () => (await this.ask({ ...base, method: "len" })) as number,
    };
  }

  queue(name: string, options: { createIfMissing: boolean }): QueueBackend {
    const base = { op: "queue" as const, name, create: options.createIfMissing };
    return {
      put: async (values) => void (await this.ask({ ...base, method: "put", items: values.map((v) => encodeValue(v, `Queue "${name}" item`)) })),
      get: async (max, timeoutMs) => (await this.ask({ ...base, method: "get", max, timeoutMs })) as unknown[],
      len: async () => (await this.ask({ ...base, method: "len" })) as number,
    };
  }

  volume(name: string): VolumeBackend {
    return {
      commit: async () => void (await this.ask({ op: "volume", name, method: "commit" })),
      reload: async () => void (await this.ask({ op: "volume", name, method: "reload" })),
    };
  }

  async updateAutoscaler(target: CallTarget, settings: AutoscalerSettings): Promise<void> {
    await this.ask({ op: "autoscaler", target, settings });
  }
}
