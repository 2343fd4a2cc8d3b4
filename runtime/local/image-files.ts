/**
 * `Image.addLocalFile/addLocalDir` in local containers: the files are copied, as an image build
 * would, into a tree laid out like the image (`<dir>/app/prompts.yaml`), and each outermost
 * remote path is mounted from that tree (`/app` or `/app/prompts.yaml`). Containers see them at
 * their path in the image; writes go to the copy, never to the project's files, and are gone with
 * the run (the copy is made once per image per run, and removed at its end).
 */
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join, posix, resolve } from "node:path";
import type { ImageSpec } from "../../synth/spec.ts";
import type { Mount } from "./mount-paths.ts";

/** The copies of a run (of one app's runtime): one tree per image. */
export class ImageFiles {
  private readonly made = new Map<string, Mount[]>();
  /** bumped by `reset`: a new version of the app copies into a new tree */
  private generation = 0;

  constructor(private readonly dir: string, private readonly projectRoot: string) {}

  /** The mounts that show `image`'s local files at their paths (copying them the first time). */
  mounts(image: ImageSpec | undefined, label: string): Mount[] {
    if (!image) return [];
    const cached = this.made.get(image.id);
    if (cached) return cached;
    const layers = image.layers.filter((l) => l.kind === "addLocalFile" || l.kind === "addLocalDir");
    const tree = join(this.dir, String(this.generation), image.id);
    if (layers.length) rmSync(tree, { recursive: true, force: true });
    for (const layer of layers) {
      const remote = posix.normalize(layer.remote);
      const from = resolve(this.projectRoot, layer.local);
      const to = join(tree, remote);
      try {
        mkdirSync(layer.kind === "addLocalDir" ? to : join(to, ".."), { recursive: true });
        cpSync(from, to, { recursive: true, force: true, dereference: true });
      } catch (err) {
        const at = layer.source ? `${layer.source.file}:${layer.source.line}:${layer.source.column}: ` : "";
        throw new Error(`${at}${label}: could not copy ${layer.local} to ${remote} for its image (${(err as Error).message})`);
      }
    }
    // the outermost paths only: a file under an added directory is in that directory's copy
    const remotes = [...new Set(layers.map((l) => posix.normalize(l.remote)))].sort((a, b) => a.length - b.length);
    const outer = remotes.filter((r, i) => !remotes.slice(0, i).some((o) => o === "/" || r.startsWith(`${o}/`)));
    const mounts = outer.map((r) => ({ mountPath: r, hostPath: join(tree, r) }));
    this.made.set(image.id, mounts);
    return mounts;
  }

  /** Host directories that are copies (child mounts may be created inside them). */
  get owned(): Set<string> {
    return new Set([...this.made.values()].flat().map((m) => m.hostPath));
  }

  /** A new version of the app: copy again on next use (the old copies stay for retiring containers until `remove`). */
  reset(): void {
    this.made.clear();
    this.generation++;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
