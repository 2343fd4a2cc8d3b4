/**
 * Container images, built up one cached layer per call. Immutable: each call returns a new Image.
 * The static analysis reads these calls from source; at run time the object only records them.
 */
export type ImageBase =
  | { kind: "debianSlim"; node: string; python: string | null }
  | { kind: "registry"; ref: string; addNode: string | null; addPython?: string }
  | { kind: "dockerfile"; path: string; context: string; addNode?: string; addPython?: string };

/**
 * What gantry adds to a base that lacks it: `addNode` copies Node in (every container's entrypoint
 * is `node`), `addPython` a standalone Python with a venv for `pipInstall` (as Modal's `add_python`).
 * The analysis warns when a base seems to lack either.
 */
export interface AddOptions {
  addNode?: string;
  addPython?: string;
}

export type ImageLayer =
  | { kind: "apt"; packages: string[] }
  | { kind: "pip"; packages: string[]; extraOptions: string | null }
  | { kind: "npm"; packages: string[] }
  | { kind: "run"; commands: string[] }
  | { kind: "env"; vars: Record<string, string> }
  | { kind: "workdir"; path: string }
  | { kind: "addLocalFile"; local: string; remote: string }
  | { kind: "addLocalDir"; local: string; remote: string };

/** Only the options given, as the spec records them. */
function adds(options: AddOptions): AddOptions {
  return {
    ...(options.addNode !== undefined ? { addNode: String(options.addNode) } : {}),
    ...(options.addPython !== undefined ? { addPython: String(options.addPython) } : {}),
  };
}

export class Image {
  private constructor(readonly base: ImageBase, readonly layers: readonly ImageLayer[]) {}

  static debianSlim(options: { node?: string; python?: string } = {}): Image {
    return new Image({ kind: "debianSlim", node: options.node ?? "24", python: options.python ?? null }, []);
  }
  static fromRegistry(ref: string, options: AddOptions = {}): Image {
    return new Image({ kind: "registry", ref, addNode: options.addNode ?? null, ...adds({ addPython: options.addPython }) }, []);
  }
  static fromDockerfile(path: string, options: { context?: string } & AddOptions = {}): Image {
    return new Image({ kind: "dockerfile", path, context: options.context ?? ".", ...adds(options) }, []);
  }

  aptInstall(...packages: string[]): Image { return this.with({ kind: "apt", packages }); }
  npmInstall(...packages: string[]): Image { return this.with({ kind: "npm", packages }); }
  /** The last argument may be `{ extraOptions: "--index-url ..." }`. */
  pipInstall(...args: Array<string | { extraOptions?: string }>): Image {
    const packages = args.filter((a): a is string => typeof a === "string");
    const opts = args.find((a): a is { extraOptions?: string } => typeof a === "object");
    return this.with({ kind: "pip", packages, extraOptions: opts?.extraOptions ?? null });
  }
  runCommands(...commands: string[]): Image { return this.with({ kind: "run", commands }); }
  env(vars: Record<string, string>): Image { return this.with({ kind: "env", vars: { ...vars } }); }
  workdir(path: string): Image { return this.with({ kind: "workdir", path }); }
  addLocalFile(local: string, remote: string): Image { return this.with({ kind: "addLocalFile", local, remote }); }
  addLocalDir(local: string, remote: string): Image { return this.with({ kind: "addLocalDir", local, remote }); }

  private with(layer: ImageLayer): Image { return new Image(this.base, [...this.layers, layer]); }
}
