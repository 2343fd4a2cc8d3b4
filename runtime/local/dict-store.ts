/**
 * `Dict`s of the local runtime, held by the supervisor and persisted under the state dir
 * (`<state>/dicts/<name>.msgpack`), so they survive between `gantry run`s like deployed ones do.
 * Keys and values are stored packed: keys compare by their packed bytes (equal strings, numbers
 * and same-shaped objects are the same key), and every `get` returns a fresh copy.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Packr } from "msgpackr";

const filePackr = new Packr({ useRecords: false });

export class LocalDict {
  private readonly entries = new Map<string, { k: Uint8Array; v: Uint8Array }>();
  private dirty = false;

  constructor(readonly name: string, private readonly file: string) {
    if (existsSync(file)) {
      const pairs = filePackr.unpack(readFileSync(file)) as Array<[Uint8Array, Uint8Array]>;
      for (const [k, v] of pairs) this.entries.set(keyOf(k), { k, v });
    }
  }

  get(k: Uint8Array): Uint8Array | undefined {
    return this.entries.get(keyOf(k))?.v;
  }
  put(k: Uint8Array, v: Uint8Array): void {
    this.entries.set(keyOf(k), { k, v });
    this.touch();
  }
  pop(k: Uint8Array): Uint8Array | undefined {
    const key = keyOf(k);
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.touch();
    }
    return entry?.v;
  }
  has(k: Uint8Array): boolean {
    return this.entries.has(keyOf(k));
  }
  keys(): Uint8Array[] {
    return [...this.entries.values()].map((e) => e.k);
  }
  get size(): number {
    return this.entries.size;
  }

  /** Writes the dict if it changed (atomically: temp file, then rename). */
  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, filePackr.pack([...this.entries.values()].map((e) => [e.k, e.v])));
    renameSync(tmp, this.file);
  }

  private touch(): void {
    if (this.dirty) return;
    this.dirty = true;
    setImmediate(() => this.flush());
  }
}

function keyOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

export class DictStore {
  private readonly open = new Map<string, LocalDict>();

  constructor(private readonly dir: string) {}

  get(name: string, createIfMissing: boolean): LocalDict {
    let dict = this.open.get(name);
    if (dict) return dict;
    const file = join(this.dir, `${encodeURIComponent(name)}.msgpack`);
    if (!existsSync(file) && !createIfMissing) {
      throw new Error(
        `Dict "${name}" does not exist locally; create it with Dict.fromName("${name}", { createIfMissing: true })`,
      );
    }
    mkdirSync(this.dir, { recursive: true });
    dict = new LocalDict(name, file);
    this.open.set(name, dict);
    if (!existsSync(file)) writeFileSync(file, filePackr.pack([]));
    return dict;
  }

  flush(): void {
    for (const dict of this.open.values()) dict.flush();
  }
}
