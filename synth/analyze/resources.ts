/**
 * The shared resources declarations use: images, volumes, secrets, dicts and queues, deduplicated
 * (images by content id, the others by name or id) and emitted sorted. Secret values of
 * `Secret.fromDict` are kept aside for the runtime and never enter the spec.
 */
import { createHmac } from "node:crypto";
import type { Node } from "ts-morph";
import { canonicalJson, contentId } from "../hash.ts";
import type { ImageSpec, SecretSpec, SourceLocation, StateSpec, VolumeSpec } from "../spec.ts";
import type { Context } from "./context.ts";
import { HASH_KEY_FILE, projectHashKey, type HashKey } from "./hash-key.ts";
import { imageSpec } from "./images.ts";
import type { Users } from "./state-use.ts";
import type { SdkValue } from "./values.ts";

type Sdk<T extends SdkValue["type"]> = Extract<SdkValue, { type: T }>;

export class Resources {
  private readonly images = new Map<string, ImageSpec>();
  private readonly volumes = new Map<string, VolumeSpec>();
  private readonly secrets = new Map<string, SecretSpec>();
  private readonly dicts = new Map<string, StateSpec>();
  private readonly queues = new Map<string, StateSpec>();
  private readonly users = new Map<string, Users>();
  readonly secretValues: Record<string, Record<string, string>> = {};
  private readonly imageIds = new WeakMap<Sdk<"image">, { node: Node | null; id: string }>();
  private hashKey: HashKey | null = null;
  /** the `new App(...)`: where a project-wide notice is reported (never a line holding secret values) */
  appNode: Node | null = null;

  constructor(private readonly ctx: Context) {}

  /** Registers an image and returns its id. `node` is null for the default image. */
  image(image: Sdk<"image">, node: Node | null): string {
    // one image const is typically shared by many declarations: build its spec once
    const cached = this.imageIds.get(image);
    if (cached && cached.node === node) return cached.id;
    const spec = imageSpec(this.ctx, image, node);
    this.imageIds.set(image, { node, id: spec.id });
    const existing = this.images.get(spec.id);
    if (!existing || earlier(spec.source, existing.source)) this.images.set(spec.id, spec);
    return spec.id;
  }

  volume(volume: Sdk<"volume">, node: Node): string {
    this.state(this.volumes, volume, node);
    return volume.name;
  }

  /** `users`: the declarations using this `fromName` (state-use.ts), null for every one */
  dict(dict: Sdk<"dict">, node: Node, users: Users): void {
    this.state(this.dicts, dict, node);
    this.use(`dict:${(dict as { name: string }).name}`, users);
  }

  queue(queue: Sdk<"queue">, node: Node, users: Users): void {
    this.state(this.queues, queue, node);
    this.use(`queue:${(queue as { name: string }).name}`, users);
  }

  /** Uses of one name add up; one use by every declaration makes it every declaration's. */
  private use(key: string, users: Users): void {
    const existing = this.users.get(key);
    if (existing === null) return;
    this.users.set(key, users === null ? null : new Set([...(existing ?? []), ...users]));
  }

  private withUsers(kind: "dict" | "queue", specs: StateSpec[]): StateSpec[] {
    return specs.map((s) => {
      const users = this.users.get(`${kind}:${s.name}`);
      return users ? { ...s, usedBy: [...users].sort() } : s;
    });
  }

  /** Same name twice: one entry, created if any use asks for it, located at the first use. */
  private state(map: Map<string, StateSpec>, value: { name: string; createIfMissing: boolean }, node: Node): void {
    const source = this.ctx.location(node);
    const existing = map.get(value.name);
    map.set(value.name, {
      name: value.name,
      createIfMissing: value.createIfMissing || (existing?.createIfMissing ?? false),
      source: existing && !earlier(source, existing.source) ? existing.source : source,
    });
  }

  /**
   * Registers a secret and returns its id: the name for named secrets (required keys of all uses
   * merged), an HMAC of keys and values with the project's key for `fromDict` (hash-key.ts), a
   * hash of the path for `fromDotenv`.
   */
  secret(secret: Sdk<"secret">, node: Node): string {
    const source = this.ctx.location(node);
    const s = secret.secret;
    let spec: SecretSpec;
    if (s.kind === "named") {
      const existing = this.secrets.get(s.name);
      const keys = new Set([...s.requiredKeys, ...(existing?.kind === "named" ? existing.requiredKeys : [])]);
      spec = { kind: "named", id: s.name, name: s.name, requiredKeys: [...keys].sort(), source: pick(source, existing) };
    } else if (s.kind === "dict") {
      const keys = Object.keys(s.values).sort();
      const sorted = Object.fromEntries(keys.map((k) => [k, s.values[k]]));
      const mac = this.dictMac(sorted, node);
      const id = `dict-${mac.slice(0, 12)}`;
      spec = { kind: "dict", id, keys, valueHash: `hmac-sha256:${mac}`, source: pick(source, this.secrets.get(id)) };
      this.secretValues[id] = sorted;
    } else {
      const id = contentId("dotenv", s.path);
      spec = { kind: "dotenv", id, path: s.path, keys: s.keys, source: pick(source, this.secrets.get(id)) };
    }
    this.secrets.set(spec.id, spec);
    return spec.id;
  }

  /** HMAC-SHA256 (hex) of fromDict values under the project's key, read (or created) once. */
  private dictMac(values: Record<string, string>, node: Node): string {
    if (!this.hashKey) {
      this.hashKey = projectHashKey(this.ctx.project.root);
      if (this.hashKey.created) {
        // at the App, not at the fromDict: a code frame of that line would print the values
        this.ctx.report("GANTRY1309", this.appNode ?? node, `created ${HASH_KEY_FILE} at the project root, the key that hashes Secret.fromDict values in specs and plans: commit it, so every machine names this secret the same way (or set GANTRY_HASH_KEY)`);
      }
    }
    return createHmac("sha256", this.hashKey.key).update(canonicalJson(values)).digest("hex");
  }

  /** Everything registered, sorted by name or id. */
  collect(): { images: ImageSpec[]; volumes: VolumeSpec[]; secrets: SecretSpec[]; dicts: StateSpec[]; queues: StateSpec[] } {
    return {
      images: sortedValues(this.images),
      volumes: sortedValues(this.volumes),
      secrets: sortedValues(this.secrets),
      dicts: this.withUsers("dict", sortedValues(this.dicts)),
      queues: this.withUsers("queue", sortedValues(this.queues)),
    };
  }
}

function pick(source: SourceLocation, existing: { source: SourceLocation } | undefined): SourceLocation {
  return existing && !earlier(source, existing.source) ? existing.source : source;
}

/** a before b in (file, line, column) order; null (the default image) sorts last. */
export function earlier(a: SourceLocation | null, b: SourceLocation | null): boolean {
  if (!a) return false;
  if (!b) return true;
  if (a.file !== b.file) return a.file < b.file;
  return a.line !== b.line ? a.line < b.line : a.column < b.column;
}

function sortedValues<T>(map: Map<string, T>): T[] {
  return [...map.keys()].sort().map((k) => map.get(k)!);
}
