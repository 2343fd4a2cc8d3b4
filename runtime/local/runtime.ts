/**
 * The embedded runtime behind `gantry run`: an Invoker that runs every function and class variant
 * in local "containers" (real child processes), one autoscaling pool per function, per class
 * variant and parameter set. Every option comes from the app spec (the static analysis); the
 * code comes from importing the app inside each container. Dicts, Queues, Volumes and secrets are
 * served by this process (the supervisor).
 */
import { EventEmitter } from "node:events";
import { existsSync, mkdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type {
  CallTarget, Invoker, KeyValueBackend, QueueBackend, VolumeBackend,
} from "../../sdk/invoker.ts";
import type { AutoscalerSettings } from "../../sdk/options.ts";
import type { AppSpec } from "../../synth/spec.ts";
import { findProjectRoot } from "../../synth/analyze/analyze.ts";
import { checkMethod, checkParameters, resolveDeclaration, type ResolvedDeclaration } from "../declaration.ts";
import { decodeError, decodeValue, encodeArgs, encodeError, encodeValue } from "../serialize.ts";
import { InputCancelledError, TimeoutError, UnknownCallError } from "../errors.ts";
import { setupTimeoutSeconds } from "../delivery.ts";
import { mapCalls } from "../map.ts";
import { newCallId, paramNames, targetLabel } from "../targets.ts";
import { logger, type Logger } from "../log.ts";
import { Call, type CallOutcome } from "./call.ts";
import { processOutput, type Container, type OutputSink } from "./container.ts";
import { Pool, type PoolConfig, type RequestReply } from "./pool.ts";
import { DictStore } from "./dict-store.ts";
import { QueueStore } from "./queue-store.ts";
import { gantryHome, resolveSecretEnv } from "./secrets.ts";
import type { BootInfo, ContainerRequest } from "./protocol.ts";
import type { Mount } from "./fs-remap.ts";
import { ImageFiles } from "./image-files.ts";
import { kernelMounts, mountMode, rewriteNotice } from "./namespace.ts";
import { noPeerError, type CallRequest, type Peer, type PeerResolver } from "./peers.ts";
import type { SerializedRequest, SerializedResponse } from "../web/backend.ts";

export interface LocalRuntimeOptions {
  spec: AppSpec;
  /** the app module (absolute, or relative to the working directory) */
  appFile: string;
  /** `Secret.fromDict` values by secret id, from the static analysis */
  secretValues?: Record<string, Record<string, string>>;
  /** Dicts and Volumes live here; default `$GANTRY_STATE_DIR`, else `.gantry/` in the project root */
  stateDir?: string;
  /** the local secret store's home; default `$GANTRY_HOME`, else `~/.gantry` */
  gantryHome?: string;
  /** where container stdout/stderr lines go (prefixed with the container) */
  output?: OutputSink;
  /** containers per pool when the spec sets no `maxContainers` */
  localMaxContainers?: number;
  /** time a stopping container gets for its `@exit` hooks before it is killed (ms, default 10 s) */
  stopGraceMs?: number;
  /** working directory of containers (default: this process's) */
  cwd?: string;
  /** where calls to other apps go (peers.ts); without it such a call is an error naming the ways */
  peers?: PeerResolver;
}

/** A function or class variant, with everything its pools share. */
interface Declaration extends ResolvedDeclaration {
  env: NodeJS.ProcessEnv;
  mounts: Mount[];
  childMounts: BootInfo["childMounts"];
  /** a webApp/webServer function: its containers answer forwarded HTTP requests */
  web: "app" | "server" | null;
}

export { UnknownCallError } from "../errors.ts";

/** A pool as `LocalRuntime.status()` reports it. */
export interface PoolStatus {
  declaration: string;
  pool: string;
  /** a pool of an earlier version of the app, finishing its inputs after a reload */
  retiring: boolean;
  queued: number;
  running: number;
  ready: number;
  /** calls waiting out a retry backoff */
  retrying: number;
  /** calls that failed with no attempts left (deployed, they would be dead-lettered) */
  failed: number;
  containers: Array<{ label: string; pid: number; state: string; readyAt: number | null; calls: string[] }>;
}

/** Where Dicts and Volumes live: `$GANTRY_STATE_DIR`, else `.gantry/` in the project root (nearest package.json). */
export function defaultStateDir(appFile: string): string {
  if (process.env.GANTRY_STATE_DIR) return resolve(process.env.GANTRY_STATE_DIR);
  return join(findProjectRoot(dirname(resolve(appFile))), ".gantry");
}

/** Runtimes made by this process (names their image-file copies). */
let runtimeCount = 0;

export class LocalRuntime implements Invoker {
  /** `container:start|ready|idle|exit`, `input:dispatch|retry|redeliver` (for tests and tools) */
  readonly events = new EventEmitter();
  readonly stateDir: string;
  private spec: AppSpec;
  private secretValues: Record<string, Record<string, string>>;
  private readonly appFile: string;
  private readonly home: string;
  private readonly log: Logger;
  private readonly output: OutputSink;
  private pools = new Map<string, Pool>();
  /** pools of an earlier version of the app (`reload`), finishing their inputs */
  private readonly retiring = new Set<Pool>();
  private readonly calls = new Map<string, Call>();
  private readonly declarations = new Map<string, Declaration>();
  private readonly paramNameCache = new Map<string, string[] | undefined>();
  private poolKeys = new WeakMap<object, Map<string, { key: string; values: Record<string, unknown> }>>();
  private readonly autoscaleOverrides = new Map<string, AutoscalerSettings>();
  private readonly dicts: DictStore;
  private readonly queues = new QueueStore();
  private readonly imageFiles: ImageFiles;
  /** calls that went to another app's runtime (spawned there), by id: result and cancel go there too */
  private readonly peerCalls = new Map<string, Peer>();
  private stopped: Promise<void> | null = null;

  constructor(private readonly options: LocalRuntimeOptions) {
    this.spec = options.spec;
    this.secretValues = options.secretValues ?? {};
    this.appFile = resolve(options.appFile);
    this.stateDir = resolve(options.stateDir ?? defaultStateDir(this.appFile));
    this.home = options.gantryHome ?? gantryHome();
    this.log = logger("local-runtime", { app: this.spec.app.name });
    this.output = options.output ?? processOutput;
    this.dicts = new DictStore(join(this.stateDir, "dicts"));
    // one tree per runtime: two apps of one run may share a state dir
    this.imageFiles = new ImageFiles(join(this.stateDir, "image-files", `${process.pid}-${++runtimeCount}`), findProjectRoot(dirname(this.appFile)));
    this.events.setMaxListeners(100);
  }

  // ---- Invoker: calls

  async remote(target: CallTarget, args: unknown[]): Promise<unknown> {
    if (this.isForeign(target)) return this.viaPeer({ op: "remote", id: newCallId(), target, a: this.encode(target, args, "remote") });
    const call = this.submit(target, args, "remote", false);
    return unwrap(await call.done());
  }

  async spawn(target: CallTarget, args: unknown[]): Promise<string> {
    if (this.isForeign(target)) {
      const id = newCallId();
      await this.viaPeer({ op: "spawn", id, target, a: this.encode(target, args, "spawn") });
      return id;
    }
    return this.submit(target, args, "spawn", true).id;
  }

  async result(callId: string, options: { timeoutMs?: number } = {}): Promise<unknown> {
    if (this.peerCalls.has(callId)) return this.viaPeer({ op: "result", id: callId, timeoutMs: options.timeoutMs ?? null });
    return unwrap(await this.waitFor(callId, options.timeoutMs ?? null));
  }

  async cancel(callId: string): Promise<void> {
    if (this.peerCalls.has(callId)) return void (await this.viaPeer({ op: "cancel", id: callId }));
    const call = this.calls.get(callId);
    if (call) call.pool.cancel(call);
  }

  map(target: CallTarget, inputs: AsyncIterable<unknown[]>, options: { returnExceptions: boolean; orderOutputs: boolean }): AsyncIterable<unknown> {
    return mapCalls(inputs, (args) => {
      if (this.isForeign(target)) {
        const id = newCallId();
        const promise = this.viaPeer({ op: "remote", id, target, a: this.encode(target, args, "map") });
        return { promise, cancel: () => void this.viaPeer({ op: "cancel", id }).catch(() => {}) };
      }
      const call = this.submit(target, args, "map", false);
      return { promise: call.done().then(unwrap), cancel: () => call.pool.cancel(call) };
    }, options);
  }

  /**
   * Runs one HTTP request through a webApp/webServer function's container (the web layer's
   * `WebBackend.forward`). Not retried and not redelivered: the function's failure is the answer.
   */
  async forward(target: CallTarget, request: SerializedRequest): Promise<SerializedResponse> {
    const declaration = this.declaration(target);
    if (!declaration.web || target.method) {
      throw new TypeError(`${targetLabel(target)} is not a webApp/webServer function: only those take forwarded HTTP requests`);
    }
    const { pool } = this.poolFor(target);
    const label = targetLabel(target);
    const payload = encodeArgs([request], { callee: `${label} (HTTP request)` });
    const call = this.enqueue(pool, newCallId(), target, label, payload, false, "http");
    return unwrap(await call.done()) as SerializedResponse;
  }

  /** Drops a finished spawned call (its id becomes unknown); for servers that spawn many. */
  forget(callId: string): void {
    const call = this.calls.get(callId);
    if (call?.outcome) this.calls.delete(callId);
  }

  async updateAutoscaler(target: CallTarget, settings: AutoscalerSettings): Promise<void> {
    if (this.isForeign(target)) return void (await this.viaPeer({ op: "autoscaler", target, settings }));
    const declaration = this.declaration(target);
    const merged = { ...this.autoscaleOverrides.get(declaration.label), ...settings };
    this.autoscaleOverrides.set(declaration.label, merged);
    for (const pool of this.pools.values()) {
      if (pool.config.declaration !== declaration.label) continue;
      pool.updateAutoscaler(autoscaleSettings(merged, this.cap()));
    }
  }

  // ---- Invoker: state

  dict(name: string, options: { createIfMissing: boolean }): KeyValueBackend {
    const store = () => this.dicts.get(name, options.createIfMissing);
    const key = (k: unknown) => encodeValue(k, `Dict "${name}" key`);
    const found = (v: Uint8Array | undefined) => (v === undefined ? { found: false } : { found: true, value: decodeValue(v) });
    return {
      get: async (k) => found(store().get(key(k))),
      put: async (k, v) => store().put(key(k), encodeValue(v, `Dict "${name}" value`)),
      pop: async (k) => found(store().pop(key(k))),
      has: async (k) => store().has(key(k)),
      keys: async () => store().keys().map((k) => decodeValue(k)),
      len: async () => store().size,
    };
  }

  queue(name: string, _options: { createIfMissing: boolean }): QueueBackend {
    const q = this.queues.get(name);
    return {
      put: async (values) => q.put(values.map((v) => encodeValue(v, `Queue "${name}" item`))),
      get: async (max, timeoutMs) => (await q.get(max, timeoutMs)).map((b) => decodeValue(b)),
      len: async () => q.length,
    };
  }

  /** Outside a container a volume is not mounted: commit and reload have nothing to do. */
  volume(_name: string): VolumeBackend {
    return { commit: async () => {}, reload: async () => {} };
  }

  // ---- lifecycle

  /**
   * Switches to a new version of the app (`gantry serve` after a change): calls made from now on
   * run in new pools, configured from `spec`, whose containers import the changed code. The
   * current pools take no new calls, finish the ones they hold (queued, running, waiting to
   * retry), then stop their containers (their `@exit` hooks run); the promise resolves then.
   * Call ids, Dicts and Queues carry over.
   */
  reload(spec: AppSpec, secretValues: Record<string, Record<string, string>> = {}): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const old = [...this.pools.values()];
    this.pools = new Map();
    this.spec = spec;
    this.secretValues = secretValues;
    this.declarations.clear();
    this.paramNameCache.clear();
    this.poolKeys = new WeakMap();
    this.autoscaleOverrides.clear();
    this.imageFiles.reset();
    return Promise.all(old.map((pool) => {
      this.retiring.add(pool);
      return pool.retire().finally(() => this.retiring.delete(pool));
    })).then(() => {});
  }

  /**
   * Stops every container (their `@exit` hooks run) and fails calls still pending. `drainMs`: how
   * long containers may keep working on inputs in flight first (0 for Ctrl-C and for the end of a run).
   */
  shutdown(options: { drainMs?: number } = {}): Promise<void> {
    this.stopped ??= (async () => {
      this.queues.close();
      await Promise.all([...this.pools.values(), ...this.retiring].map((p) => p.shutdown(options.drainMs ?? 0)));
      this.dicts.flush();
      this.imageFiles.remove();
    })();
    return this.stopped;
  }

  /** Kills every container at once (a second Ctrl-C). */
  kill(): void {
    for (const pool of [...this.pools.values(), ...this.retiring]) pool.killAll();
    this.dicts.flush();
  }

  /** Every pool with its containers (current version first, then retiring ones): `gantry status` against `gantry serve`. */
  status(): PoolStatus[] {
    const of = (pool: Pool, retiring: boolean): PoolStatus => ({
      declaration: pool.config.declaration,
      pool: pool.config.label,
      retiring,
      ...pool.stats(),
      containers: [...pool.containers].map((c) => ({
        label: c.label,
        pid: c.pid,
        state: c.state,
        readyAt: c.readyAt,
        calls: [...new Set([...c.inflight.values()].map((call) => call.id))],
      })),
    });
    return [...[...this.pools.values()].map((p) => of(p, false)), ...[...this.retiring].map((p) => of(p, true))];
  }

  stats(): Record<string, ReturnType<Pool["stats"]>> {
    return Object.fromEntries([...this.pools].map(([k, p]) => [p.config.label || k, p.stats()]));
  }

  /** Pools of earlier versions of the app still finishing their inputs (after `reload`). */
  get retiringPools(): number {
    return this.retiring.size;
  }

  // ---- other apps (peers.ts)

  /**
   * A call request as a container sends it, answered with packed bytes: what a peer asks of this
   * runtime (another app of the same `gantry run`, or `gantry serve`'s call route).
   */
  async callRequest(req: CallRequest): Promise<RequestReply> {
    try {
      return await this.handleRequest(null, req);
    } catch (err) {
      return { ok: false, e: encodeError(err) };
    }
  }

  private isForeign(target: CallTarget): boolean {
    return target.app !== this.spec.app.name;
  }

  private peerOf(target: CallTarget): Peer {
    const peer = this.options.peers?.(target.app);
    if (!peer) throw noPeerError(target, this.spec.app.name, relative(process.cwd(), this.appFile) || this.appFile);
    return peer;
  }

  /** Sends a request to the peer that runs its call (by target, or by the id of a call spawned there). */
  private async viaPeerReply(req: CallRequest): Promise<RequestReply> {
    const peer = "target" in req ? this.peerOf(req.target) : this.peerCalls.get(req.id)!;
    if (req.op === "spawn") this.peerCalls.set(req.id, peer);
    return peer.request(req);
  }

  private async viaPeer(req: CallRequest): Promise<unknown> {
    const reply = await this.viaPeerReply(req);
    if (reply.ok) return reply.v === undefined ? undefined : decodeValue(reply.v);
    throw withCallerFrames(decodeError(reply.e));
  }

  private encode(target: CallTarget, args: unknown[], how: string): Uint8Array {
    return encodeArgs(args, { callee: `${targetLabel(target)}.${how}`, paramNames: this.paramNamesOf(target) });
  }

  // ---- submitting

  private submit(target: CallTarget, args: unknown[], how: string, keep: boolean): Call {
    const { pool } = this.poolFor(target);
    return this.enqueue(pool, newCallId(), target, targetLabel(target), this.encode(target, args, how), keep);
  }

  private enqueue(pool: Pool, id: string, target: CallTarget, label: string, payload: Uint8Array, keep: boolean, kind: Call["kind"] = "call"): Call {
    const call = new Call(pool, id, target, label, payload, keep, kind);
    this.calls.set(id, call);
    pool.submit(call);
    return call;
  }

  private async waitFor(callId: string, timeoutMs: number | null): Promise<CallOutcome> {
    const call = this.calls.get(callId);
    if (!call) {
      throw new UnknownCallError(`no function call "${callId}" in this run (locally, FunctionCall ids live as long as the gantry run that spawned them)`);
    }
    if (timeoutMs === null || call.outcome) return call.done();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(
        `${call.label}: no result after ${timeoutMs / 1000} s (the call goes on; get() it again later)`)), timeoutMs);
    });
    try {
      return await Promise.race([call.done(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private paramNamesOf(target: CallTarget): string[] | undefined {
    const key = target.method ? `${target.name}.${target.method}` : target.name;
    if (!this.paramNameCache.has(key)) this.paramNameCache.set(key, paramNames(this.spec, target));
    return this.paramNameCache.get(key);
  }

  // ---- pools

  private poolFor(target: CallTarget): { pool: Pool } {
    if (this.stopped) throw new InputCancelledError(`${targetLabel(target)}: the app is stopping`);
    const { declaration, key, values } = this.poolKey(target);
    let pool = this.pools.get(key);
    if (!pool) {
      const config = this.poolConfig(declaration, key, values);
      if (declaration.web === "server") {
        // a reloaded webServer starts only after the old version let go of the port
        const previous = [...this.retiring].filter((p) => p.config.key === key).map((p) => p.retire());
        if (previous.length) config.startAfter = Promise.all(previous);
      }
      pool = new Pool(config, {
        events: this.events,
        log: this.log,
        output: this.output,
        request: (c, req) => this.handleRequest(c, req),
        forget: (call) => this.calls.delete(call.id),
      });
      this.pools.set(key, pool);
    }
    return { pool };
  }

  /** Which pool serves `target`: one per declaration, and per parameter set for a class. */
  private poolKey(target: CallTarget): { declaration: Declaration; key: string; values: Record<string, unknown> } {
    const declaration = this.declaration(target);
    if (declaration.kind !== "class") return { declaration, key: declaration.label, values: {} };
    const params = target.params ?? {};
    let byDecl = this.poolKeys.get(params);
    if (!byDecl) this.poolKeys.set(params, (byDecl = new Map()));
    let cached = byDecl.get(declaration.label);
    if (!cached) {
      const values = checkParameters(declaration, params);
      cached = { key: `${declaration.label}(${renderParams(values)})`, values };
      byDecl.set(declaration.label, cached);
    }
    return { declaration, ...cached };
  }

  /**
   * The configuration of the pool that serves `target`: the running pool's, or what a new one
   * would get (no container starts). For tests and tools.
   */
  poolConfigFor(target: CallTarget): PoolConfig {
    const { declaration, key, values } = this.poolKey(target);
    return this.pools.get(key)?.config ?? this.poolConfig(declaration, key, values);
  }

  private cap(): number {
    return this.options.localMaxContainers ?? Math.max(2, Math.min(8, availableParallelism()));
  }

  private poolConfig(d: Declaration, key: string, params: Record<string, unknown>): PoolConfig {
    // the unit model's concurrency (synth/units.ts): the same numbers a deployed stack scales on
    const { maxInputs, slots, targetInputs } = d.concurrency;
    const o = d.options;
    const autoscale = {
      minContainers: o.minContainers,
      maxContainers: o.maxContainers ?? this.cap(),
      bufferContainers: o.bufferContainers,
      scaledownWindowMs: o.scaledownWindow * 1000,
      ...autoscaleSettings(this.autoscaleOverrides.get(d.label) ?? {}, this.cap()),
    };
    // every container of a webServer listens on the same port: one at a time
    if (d.web === "server") autoscale.maxContainers = 1;
    const hasParams = Object.keys(params).length > 0;
    return {
      key,
      declaration: d.label,
      label: hasParams ? `${d.label}(${shorten(renderParams(params), 40)})` : d.label,
      boot: {
        appFile: this.appFile,
        appName: this.spec.app.name,
        kind: d.kind,
        name: d.name,
        params,
        maxInputs,
        batching: d.batching,
        setupTimeoutMs: setupTimeoutSeconds(o) * 1000,
        mounts: d.mounts,
        childMounts: d.childMounts,
        spec: this.spec,
        ...(d.web ? { web: true } : {}),
      },
      env: d.env,
      cwd: this.options.cwd ?? process.cwd(),
      timeoutMs: o.timeout * 1000,
      retries: o.retries,
      slots,
      targetInputs,
      fillFirst: Object.keys(d.batching).length > 0,
      autoscale,
      stopGraceMs: this.options.stopGraceMs ?? 10_000,
    };
  }

  /** Finds a target's declaration in the spec (and caches what its pools need). */
  private declaration(target: CallTarget): Declaration {
    const id = target.variant ?? target.name;
    const cached = this.declarations.get(id);
    if (cached) {
      if (target.method) checkMethod(cached, target.method);
      return cached;
    }
    const d = resolveDeclaration(this.spec, target);
    const mounts = this.mounts(d);
    const declaration: Declaration = { ...d, env: this.environment(d), mounts, childMounts: this.childMounts(d, mounts), web: d.server?.kind ?? null };
    this.declarations.set(id, declaration);
    return declaration;
  }

  private environment(d: ResolvedDeclaration): NodeJS.ProcessEnv {
    const image = this.spec.images.find((i) => i.id === d.options.image);
    const imageEnv: Record<string, string> = {};
    for (const layer of image?.layers ?? []) if (layer.kind === "env") Object.assign(imageEnv, layer.vars);
    const secrets = resolveSecretEnv(d.options.secrets, d.label, {
      spec: this.spec, projectRoot: findProjectRoot(dirname(this.appFile)), secretValues: this.secretValues, home: this.home,
    });
    return { ...process.env, ...imageEnv, ...d.options.env, ...secrets, GANTRY_CONTAINER: "1" };
  }

  /** Volumes, then the image's local files (image-files.ts). */
  private mounts(d: ResolvedDeclaration): Mount[] {
    const image = this.spec.images.find((i) => i.id === d.options.image);
    return [...this.volumeMounts(d), ...this.imageFiles.mounts(image, d.label)];
  }

  /** How child processes see `mounts`: a mount namespace where the OS allows (namespace.ts), else rewritten paths. */
  private childMounts(d: ResolvedDeclaration, mounts: Mount[]): BootInfo["childMounts"] {
    if (mounts.length === 0) return { mode: "rewrite" };
    if (mountMode(join(this.stateDir, "mount-root")) === "rewrite") {
      const notice = rewriteNotice();
      if (notice) this.log.warn({}, notice);
      return { mode: "rewrite" };
    }
    const { bound, skipped } = kernelMounts(mounts, this.imageFiles.owned);
    if (skipped.length) {
      this.log.warn({ declaration: d.label, paths: skipped.map((m) => m.mountPath) },
        `${d.label}: child processes will not see ${skipped.map((m) => m.mountPath).join(", ")} (making the mount point would write on this machine outside the project); the container's own code does`);
    }
    return { mode: "namespace", root: join(this.stateDir, "mount-root"), bound };
  }

  private volumeMounts(d: ResolvedDeclaration): Mount[] {
    return d.options.volumes.map(({ mountPath, volume }) => {
      const hostPath = join(this.stateDir, "volumes", encodeURIComponent(volume));
      const declared = this.spec.volumes.find((v) => v.name === volume);
      if (!existsSync(hostPath)) {
        if (declared && !declared.createIfMissing) {
          throw new Error(`${d.label}: Volume "${volume}" does not exist locally (${hostPath}); ` +
            `create it with Volume.fromName("${volume}", { createIfMissing: true })`);
        }
        mkdirSync(hostPath, { recursive: true });
      }
      return { mountPath, hostPath };
    });
  }

  // ---- requests from containers

  private async handleRequest(_container: Container | null, req: ContainerRequest): Promise<RequestReply> {
    // calls to another app, and results of calls spawned there, go to its peer untouched
    if ((req.op === "remote" || req.op === "spawn" || req.op === "autoscaler") && this.isForeign(req.target)) return this.viaPeerReply(req);
    if ((req.op === "result" || req.op === "cancel") && this.peerCalls.has(req.id)) return this.viaPeerReply(req);
    switch (req.op) {
      case "remote": {
        const call = this.enqueue(this.poolFor(req.target).pool, req.id, req.target, targetLabel(req.target), req.a, false);
        return reply(await call.done());
      }
      case "spawn":
        this.enqueue(this.poolFor(req.target).pool, req.id, req.target, targetLabel(req.target), req.a, true);
        return { ok: true };
      case "result":
        return reply(await this.waitFor(req.id, req.timeoutMs));
      case "cancel":
        await this.cancel(req.id);
        return { ok: true };
      case "dict": {
        const dict = this.dicts.get(req.name, req.create);
        switch (req.method) {
          case "get": return { ok: true, v: dict.get(req.k!) };
          case "pop": return { ok: true, v: dict.pop(req.k!) };
          case "put": dict.put(req.k!, req.v!); return { ok: true };
          case "has": return { ok: true, v: encodeValue(dict.has(req.k!), "has") };
          case "len": return { ok: true, v: encodeValue(dict.size, "len") };
          case "keys": return { ok: true, v: encodeValue(dict.keys().map((k) => decodeValue(k)), "keys") };
        }
        break;
      }
      case "queue": {
        const q = this.queues.get(req.name);
        if (req.method === "put") {
          q.put(req.items);
          return { ok: true };
        }
        if (req.method === "len") return { ok: true, v: encodeValue(q.length, "len") };
        const items = await q.get(req.max, req.timeoutMs);
        return { ok: true, v: encodeValue(items.map((b) => decodeValue(b)), "items") };
      }
      case "volume":
        // a volume is one local directory shared by every container: writes are visible at once
        return { ok: true };
      case "autoscaler":
        await this.updateAutoscaler(req.target, req.settings);
        return { ok: true };
    }
    return { ok: false, e: encodeError(new Error(`unknown request ${(req as { op: string }).op}`)) };
  }
}

function reply(outcome: CallOutcome): RequestReply {
  return outcome.ok ? { ok: true, v: outcome.value } : { ok: false, e: outcome.error };
}

function unwrap(outcome: CallOutcome): unknown {
  if (outcome.ok) return decodeValue(outcome.value);
  throw withCallerFrames(decodeError(outcome.error));
}

/** gantry's own code: the runtime, the sdk, the CLI (and node internals, node_modules) */
const GANTRY_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const INTERNAL_DIRS = ["runtime", "sdk", "cli"].map((d) => join(GANTRY_ROOT, d) + sep);
const isInternalFrame = (line: string) =>
  line.includes("node:internal") || line.includes(`${sep}node_modules${sep}`) || INTERNAL_DIRS.some((d) => line.includes(d));

/**
 * A remote error keeps the container's stack; below it go the caller's own frames (the await
 * chain that led here, e.g. `at async main (app.ts:13:5)`), so both ends of the call show.
 */
function withCallerFrames(error: Error): Error {
  const local = (new Error().stack ?? "").split("\n").slice(1).filter((l) => !isInternalFrame(l));
  if (local.length && typeof error.stack === "string") {
    error.stack = `${error.stack}\n    --- called from ---\n${local.join("\n")}`;
  }
  return error;
}

function autoscaleSettings(s: AutoscalerSettings, cap: number): Partial<PoolConfig["autoscale"]> {
  const out: Partial<PoolConfig["autoscale"]> = {};
  if (s.minContainers !== undefined) out.minContainers = s.minContainers;
  if (s.maxContainers !== undefined) out.maxContainers = Math.min(s.maxContainers, Math.max(cap, s.maxContainers));
  if (s.bufferContainers !== undefined) out.bufferContainers = s.bufferContainers;
  if (s.scaledownWindow !== undefined) out.scaledownWindowMs = s.scaledownWindow * 1000;
  return out;
}

function renderParams(values: Record<string, unknown>): string {
  return Object.keys(values).sort()
    .map((k) => `${k}=${typeof values[k] === "bigint" ? `${values[k]}n` : JSON.stringify(values[k])}`)
    .join(",");
}

function shorten(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
