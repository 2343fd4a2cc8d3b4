/**
 * Where a container cannot run in a mount namespace (namespace.ts), the child processes it starts
 * get the mount paths rewritten instead: `node:child_process`'s spawn, exec, execFile and fork
 * (and their Sync forms) see each mount path at the start of a word of their command, arguments
 * and environment values (`/models/f`, `--local-dir=/models/x`, `HF_HOME=/models/hf`,
 * `PATH=/opt/tools/bin:…`) replaced by the volume's local directory, and a working directory
 * inside a mount moved there. `sh -c 'echo x > /models/f'` and `huggingface-cli download …
 * --local-dir /models/llama` then write into the volume.
 *
 * Limits: a path the child builds itself (a Python script joining "/models" and a name, a path in
 * a file it reads) is not rewritten, and a child is not confined to its mount (`..` is the host's).
 */
import { createRequire, syncBuiltinESMExports } from "node:module";
import { promisify } from "node:util";
import { MountTable, type Mount } from "./mount-paths.ts";

const require = createRequire(import.meta.url);

/** A mount path followed by `/`, a quote, a separator or the end, after a start of word. */
function pattern(mountPath: string): RegExp {
  const escaped = mountPath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[\\s'"=:;(\`])${escaped}(?=$|[/\\s'":;)\`])`, "g");
}

/** Rewrites the mount paths in the strings a child process is given. */
export class ChildPaths {
  private readonly rules: Array<{ re: RegExp; host: string }>;
  private readonly table: MountTable;

  constructor(mounts: readonly Mount[]) {
    this.table = new MountTable(mounts);
    this.rules = [...mounts]
      .filter((m) => m.mountPath !== "/")
      .sort((a, b) => b.mountPath.length - a.mountPath.length)
      .map((m) => ({ re: pattern(m.mountPath.replace(/(.)\/+$/, "$1")), host: m.hostPath.replace(/(.)\/+$/, "$1") }));
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  text(s: string): string {
    let out = s;
    for (const { re, host } of this.rules) out = out.replace(re, (_, lead: string) => lead + host);
    return out;
  }

  cwd(dir: unknown, virtualCwd: string): unknown {
    if (typeof dir !== "string" && !(dir instanceof URL)) {
      // no cwd: the child starts where this process is; inside a mount, that is its host directory
      return dir === undefined ? this.table.locate(virtualCwd, "/", "spawn")?.host ?? dir : dir;
    }
    const path = dir instanceof URL ? dir.pathname : dir;
    return this.table.locate(path, virtualCwd, "spawn")?.host ?? dir;
  }

  env(env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
    const out: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(env ?? process.env)) out[k] = v === undefined ? v : this.text(v);
    return out;
  }
}

/** Patches `node:child_process` so the children the app starts see mount paths as local directories. */
export function installChildPathRewrite(mounts: readonly Mount[]): void {
  const paths = new ChildPaths(mounts);
  if (paths.empty) return;
  const cp = require("node:child_process") as Record<string, (...args: unknown[]) => unknown>;
  // (command, args?, options?, callback?) for spawn, execFile, fork; (command, options?, callback?) for exec
  const withArgs = ["spawn", "spawnSync", "execFile", "execFileSync", "fork"];
  for (const name of [...withArgs, "exec", "execSync"]) {
    const original = cp[name];
    if (typeof original !== "function") continue;
    const rewrite = (args: unknown[]) => rewriteArgs(paths, args, withArgs.includes(name));
    const patched = function (this: unknown, ...args: unknown[]) {
      return original.apply(this, rewrite(args));
    };
    Object.defineProperty(patched, "name", { value: original.name });
    for (const key of Reflect.ownKeys(original)) {
      if (key === "length" || key === "name" || key === "prototype" || key === promisify.custom) continue;
      const descriptor = Object.getOwnPropertyDescriptor(original, key);
      if (descriptor) Object.defineProperty(patched, key, descriptor);
    }
    // `promisify(exec)` uses exec's own promisified form, which calls the unpatched function
    const custom = (original as unknown as Record<symbol, unknown>)[promisify.custom];
    if (typeof custom === "function") {
      Object.defineProperty(patched, promisify.custom, { value: (...args: unknown[]) => custom(...rewrite(args)), configurable: true });
    }
    cp[name] = patched;
  }
  syncBuiltinESMExports();
}

/** The arguments of a child_process call with mount paths rewritten (`hasArgs`: an argument array may follow the command). */
function rewriteArgs(paths: ChildPaths, input: unknown[], hasArgs: boolean): unknown[] {
  const args = [...input];
  if (typeof args[0] === "string") args[0] = paths.text(args[0]);
  // where the options object is (or goes): after the argument array, if there is one
  const at = hasArgs && (Array.isArray(args[1]) || (args[1] == null && args.length > 2)) ? 2 : 1;
  if (at === 2 && Array.isArray(args[1])) args[1] = args[1].map((a) => (typeof a === "string" ? paths.text(a) : a));
  const given = args[at];
  const options = given !== null && typeof given === "object" ? { ...(given as Record<string, unknown>) } : {};
  options.env = paths.env(options.env as NodeJS.ProcessEnv | undefined);
  const cwd = paths.cwd(options.cwd, process.cwd());
  if (cwd !== undefined) options.cwd = cwd;
  if (typeof given === "function") args.splice(at, 0, options);
  else args[at] = options;
  return args;
}
