/**
 * Watches a set of files for `gantry serve`'s reload. It watches their directories, not the files:
 * editors often save by writing a new file and renaming it over the old one, which ends a watch on
 * the file itself. Changes are debounced, and a change that leaves every file's content as it was
 * (a save without edits, a touch) is ignored.
 */
import { watch, readFileSync, type FSWatcher } from "node:fs";
import { createHash } from "node:crypto";
import { basename, dirname } from "node:path";

export class FileWatcher {
  private files = new Set<string>();
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | null = null;
  private changed = new Set<string>();
  private lastHash = "";
  private closed = false;

  constructor(private readonly onChange: (files: string[]) => void, private readonly debounceMs = 150) {}

  /**
   * Watches exactly these files from now on. The first call, and a call that changes the set,
   * take the files' content now as the known state; otherwise the known state stays the one of
   * the last change reported, so an edit saved while a reload ran is still seen.
   */
  set(files: Iterable<string>): void {
    if (this.closed) return;
    const next = new Set(files);
    const sameSet = next.size === this.files.size && [...next].every((f) => this.files.has(f));
    this.files = next;
    const dirs = new Set([...this.files].map((f) => dirname(f)));
    for (const [dir, watcher] of this.watchers) {
      if (!dirs.has(dir)) {
        watcher.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: true }, (_event, name) => this.event(dir, name));
        watcher.on("error", () => {
          watcher.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, watcher);
      } catch {
        // a directory that went away: the next successful reload watches what exists then
      }
    }
    if (!sameSet || !this.lastHash) this.lastHash = this.hash();
  }

  get size(): number {
    return this.files.size;
  }

  get watched(): string[] {
    return [...this.files];
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  private event(dir: string, name: string | Buffer | null): void {
    if (this.closed) return;
    const file = name ? [...this.files].find((f) => dirname(f) === dir && basename(f) === String(name)) : undefined;
    // no file name (some platforms): any file of the directory may have changed
    if (name && !file) return;
    if (file) this.changed.add(file);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.debounceMs);
  }

  private flush(): void {
    this.timer = null;
    const hash = this.hash();
    const changed = [...this.changed];
    this.changed.clear();
    if (hash === this.lastHash) return;
    this.lastHash = hash;
    this.onChange(changed);
  }

  private hash(): string {
    const h = createHash("sha256");
    for (const file of [...this.files].sort()) {
      h.update(file).update("\0");
      try {
        h.update(readFileSync(file));
      } catch {
        h.update("\u0000missing");
      }
      h.update("\0");
    }
    return h.digest("hex");
  }
}
