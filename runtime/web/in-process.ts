/**
 * A WebBackend that runs the app's code in this process: for tests, and for trying endpoints
 * without containers. One instance per class (its `@enter` hooks run once), one container handler
 * per webApp/webServer. Results stay in memory; `result()` never re-runs a call.
 */
import { randomUUID } from "node:crypto";
import type { App } from "../../sdk/app.ts";
import { constructWithParameters } from "../../sdk/decorators.ts";
import { describeClass } from "../../sdk/registry.ts";
import {
  CallTimeoutError, UnknownCallError,
  type CallTarget, type SerializedRequest, type SerializedResponse, type WebBackend,
} from "./backend.ts";
import { containerWebHandler, type ContainerWebHandler } from "./container.ts";

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

export class InProcessBackend implements WebBackend {
  private readonly calls = new Map<string, Promise<Settled>>();
  private readonly instances = new Map<string, Promise<Record<string, (...a: unknown[]) => unknown>>>();
  private readonly handlers = new Map<string, ContainerWebHandler>();
  /** calls started so far, per "name" or "Class.method" */
  readonly spawned = new Map<string, number>();

  constructor(private readonly app: App) {}

  async spawn(target: CallTarget, args: unknown[]): Promise<string> {
    const id = `in-${randomUUID()}`;
    const key = target.method ? `${target.name}.${target.method}` : target.name;
    this.spawned.set(key, (this.spawned.get(key) ?? 0) + 1);
    const run = Promise.resolve().then(() => this.run(target, args));
    this.calls.set(id, run.then((value) => ({ ok: true, value }), (error) => ({ ok: false, error })));
    return id;
  }

  async result(callId: string, { timeoutMs }: { timeoutMs: number }): Promise<unknown> {
    const call = this.calls.get(callId);
    if (!call) throw new UnknownCallError(`unknown call ${callId}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CallTimeoutError(callId, timeoutMs)), timeoutMs);
    });
    try {
      const settled = await Promise.race([call, timeout]);
      if (settled.ok) return settled.value;
      throw settled.error;
    } finally {
      clearTimeout(timer);
    }
  }

  async forward(target: CallTarget, request: SerializedRequest): Promise<SerializedResponse> {
    let handler = this.handlers.get(target.name);
    if (!handler) {
      const fn = this.app.findFunction(target.name);
      if (!fn?.web || fn.web.kind === "endpoint") throw new Error(`${target.name} is not a webApp/webServer function of app "${this.app.name}"`);
      handler = containerWebHandler(fn.web);
      this.handlers.set(target.name, handler);
    }
    return handler.handle(request);
  }

  close(): void {
    for (const h of this.handlers.values()) h.close();
  }

  private async run(target: CallTarget, args: unknown[]): Promise<unknown> {
    if (!target.method) {
      const fn = this.app.findFunction(target.name);
      if (!fn) throw new Error(`app "${this.app.name}" has no function "${target.name}"`);
      return fn.fn(...args);
    }
    const cls = this.app.findClass(target.name);
    if (!cls) throw new Error(`app "${this.app.name}" has no class "${target.name}"`);
    const key = `${target.name}:${JSON.stringify(target.params ?? {})}`;
    let ready = this.instances.get(key);
    if (!ready) {
      ready = (async () => {
        const instance = constructWithParameters(cls.ctor as new () => object, cls.name, target.params ?? {}) as Record<string, (...a: unknown[]) => unknown>;
        for (const hook of describeClass(cls.ctor).enter) await instance[hook.name]();
        return instance;
      })();
      this.instances.set(key, ready);
    }
    const instance = await ready;
    const meta = describeClass(cls.ctor).methods.find((m) => m.name === target.method);
    if (!meta) throw new Error(`${cls.name} has no method "${target.method}"`);
    if (meta.batched) {
      const [out] = (await instance[meta.name]([args[0]])) as unknown[];
      return out;
    }
    return instance[meta.name](...args);
  }
}
