/**
 * Volume mounts for local containers without root, Docker or symlinks in `/`: user code writes the
 * mount path (`/models/x`), and this module rewrites such paths to the volume's local directory
 * (`.gantry/volumes/<name>/x`) inside the container process. The path arithmetic (normalizing,
 * confining a path to its mount, symlink targets) is in mount-paths.ts.
 *
 * It wraps the path-taking functions of `node:fs` and `node:fs/promises` (sync, callback, promise
 * and stream variants) and calls `syncBuiltinESMExports()` so that ESM named imports
 * (`import { readFile } from "node:fs/promises"`) see the wrapped functions too. It runs before the
 * app is imported. It also wraps `process.chdir` and `process.cwd`: a container can `chdir` into a
 * mount, `cwd()` then reports the virtual path, and relative paths resolve under the mount. Paths
 * that functions return (`realpath`, `readlink`, `mkdtemp`, `mkdir`'s first directory, the
 * directories of `readdir`'s Dirents), and those their errors name, come back as virtual paths. A path that leaves its mount (`/models/../x`) fails with EACCES naming it.
 *
 * Limits: child processes the user code starts (a `python` subprocess) and native addons opening
 * files by path see the real file system, not the mounts; a symlink that already points out of a
 * volume (made by such a process) is followed by the host.
 */
import { createRequire, syncBuiltinESMExports } from "node:module";
import { fileURLToPath } from "node:url";
import { MountTable, type Located, type Mount } from "./mount-paths.ts";

export type { Mount } from "./mount-paths.ts";

const require = createRequire(import.meta.url);

/** Functions whose first argument is a path. */
const ONE_PATH = [
  "access", "appendFile", "chmod", "chown", "createReadStream", "createWriteStream", "exists", "lchmod", "lchown",
  "lstat", "lutimes", "mkdir", "mkdtemp", "open", "openAsBlob", "opendir", "readdir", "readFile", "readlink",
  "realpath", "rm", "rmdir", "stat", "statfs", "truncate", "unlink", "utimes", "watch", "watchFile", "unwatchFile",
  "writeFile",
];
/** Functions whose first two arguments are paths (symlink's first is a target: see symlinkTarget). */
const TWO_PATHS = ["copyFile", "cp", "link", "rename"];
/** Callback-style functions without an error-first callback: a refused path throws instead. */
const THROWING = new Set(["createReadStream", "createWriteStream", "watch", "watchFile", "unwatchFile"]);
/** Functions that return paths: the host paths they return are given back as virtual ones. */
const RETURNS_PATH = new Set(["realpath", "readlink", "mkdtemp", "mkdir"]);

type Kind = "sync" | "callback" | "promise";

export function installPathRemap(mounts: readonly Mount[]): void {
  const table = new MountTable(mounts);
  if (table.empty) return;
  const realCwd = process.cwd.bind(process);
  const realChdir = process.chdir.bind(process);
  /** set while the working directory is inside a mount: the virtual path `cwd()` reports */
  let virtualCwd: string | null = null;

  /** Where a path argument lands; null when it involves no mount (it is then passed on untouched). */
  const locate = (p: unknown, syscall: string): Located | null => {
    let path: string;
    if (typeof p === "string") path = p;
    else if (p instanceof URL) {
      if (p.protocol !== "file:") return null;
      path = fileURLToPath(p);
    } else if (Buffer.isBuffer(p)) path = p.toString();
    else return null;
    // relative paths are the host's business unless the working directory is in a mount
    if (path.charCodeAt(0) !== 47 && virtualCwd === null) return null;
    return table.locate(path, virtualCwd ?? "/", syscall);
  };
  const toHost = (p: unknown, syscall: string): unknown => locate(p, syscall)?.host ?? p;
  const toVirtual = (v: unknown): unknown => {
    if (typeof v === "string") return table.toVirtual(v);
    if (Buffer.isBuffer(v)) return Buffer.from(table.toVirtual(v.toString()));
    return v;
  };

  /** `readdir({ withFileTypes: true })`: each Dirent's directory (`parentPath`, `path`) is a virtual path. */
  const virtualDirents = (entries: unknown): unknown => {
    if (!Array.isArray(entries)) return entries;
    for (const entry of entries) {
      if (entry === null || typeof entry !== "object") continue;
      for (const key of ["parentPath", "path"]) {
        const descriptor = Object.getOwnPropertyDescriptor(entry, key);
        if (descriptor?.writable && typeof descriptor.value === "string") (entry as Record<string, unknown>)[key] = table.toVirtual(descriptor.value);
      }
    }
    return entries;
  };
  /** An fs error naming a volume's host directory names the mount path instead (ENOENT, EEXIST...). */
  const virtualError = (err: unknown): unknown => {
    const e = err as NodeJS.ErrnoException & { dest?: unknown };
    if (!e || typeof e !== "object") return err;
    for (const key of ["path", "dest"] as const) {
      const host = e[key];
      if (typeof host !== "string") continue;
      const virtual = table.toVirtual(host);
      if (virtual === host) continue;
      e[key] = virtual;
      e.message = e.message.replace(`'${host}'`, `'${virtual}'`);
      if (typeof e.stack === "string") e.stack = e.stack.replace(`'${host}'`, `'${virtual}'`);
    }
    return err;
  };

  const fs = require("node:fs") as Record<string, unknown>;
  const fsp = require("node:fs/promises") as Record<string, unknown>;
  for (const [target, kind] of [[fs, "callback"], [fsp, "promise"]] as const) {
    for (const base of [...ONE_PATH, ...TWO_PATHS, "symlink"]) {
      const paths = TWO_PATHS.includes(base) ? 2 : 1;
      const remap = base === "symlink"
        ? (args: unknown[]) => {
          const link = locate(args[1], "symlink");
          if (typeof args[0] === "string" || Buffer.isBuffer(args[0]) || args[0] instanceof URL) {
            const given = args[0] instanceof URL ? fileURLToPath(args[0]) : String(args[0]);
            args[0] = table.symlinkTarget(given, link);
          }
          if (link) args[1] = link.host;
        }
        : (args: unknown[]) => {
          for (let i = 0; i < paths; i++) args[i] = toHost(args[i], base);
        };
      const names: Array<[string, Kind]> = target === fs ? [[base, kind], [`${base}Sync`, "sync"]] : [[base, kind]];
      const mapResult = RETURNS_PATH.has(base) ? toVirtual : base === "readdir" ? virtualDirents : null;
      for (const [name, k] of names) wrap(target, name, k, remap, mapResult, virtualError);
    }
  }
  const realpath = fs.realpath as Record<string, unknown>;
  const realpathSync = fs.realpathSync as Record<string, unknown>;
  wrap(realpath, "native", "callback", (args) => void (args[0] = toHost(args[0], "realpath")), toVirtual, virtualError);
  wrap(realpathSync, "native", "sync", (args) => void (args[0] = toHost(args[0], "realpath")), toVirtual, virtualError);
  syncBuiltinESMExports();

  process.chdir = function chdir(directory: string): void {
    const at = locate(directory, "chdir");
    try {
      realChdir(at ? at.host : directory);
    } catch (err) {
      throw virtualError(err);
    }
    virtualCwd = at?.mount ? at.virtual : null;
  };
  process.cwd = function cwd(): string {
    return virtualCwd ?? realCwd();
  };
}

/**
 * Replaces `holder[name]` by a function that rewrites its path arguments (`remap`, which may throw
 * a refusal) and, for `mapResult`, the path it returns. A refusal is delivered the way the
 * function reports errors: thrown (sync), rejected (promise) or passed to the callback. Errors of
 * the call itself name virtual paths (`fixError`), not the volume's host directory.
 */
function wrap(holder: Record<string, unknown>, name: string, kind: Kind, remap: (args: unknown[]) => void,
  mapResult: ((v: unknown) => unknown) | null, fixError: (err: unknown) => unknown): void {
  const original = holder[name];
  if (typeof original !== "function") return;
  const fn = original as (...args: unknown[]) => unknown;
  const base = name.replace(/Sync$/, "");
  // exists, watch, watchFile... call back with something other than (err, value)
  const errorFirst = base !== "exists" && !THROWING.has(base);
  const wrapped = function (this: unknown, ...args: unknown[]) {
    try {
      remap(args);
    } catch (err) {
      if (base === "exists" && kind === "sync") return false; // existsSync never throws
      if (kind === "sync" || THROWING.has(base)) throw err;
      if (kind === "promise" || base === "openAsBlob") return Promise.reject(err);
      const callback = args.findLast((a) => typeof a === "function") as ((...a: unknown[]) => void) | undefined;
      if (!callback) throw err;
      process.nextTick(() => (base === "exists" ? callback(false) : callback(err)));
      return undefined;
    }
    if (kind === "sync") {
      try {
        const result = fn.apply(this, args);
        return mapResult ? mapResult(result) : result;
      } catch (err) {
        throw fixError(err);
      }
    }
    if (kind === "callback") {
      const at = errorFirst ? args.findLastIndex((a) => typeof a === "function") : -1;
      if (at >= 0) {
        const callback = args[at] as (this: unknown, err: unknown, ...rest: unknown[]) => void;
        args[at] = function (this: unknown, err: unknown, ...rest: unknown[]) {
          if (err) return callback.call(this, fixError(err), ...rest);
          if (mapResult) rest[0] = mapResult(rest[0]);
          return callback.call(this, err, ...rest);
        };
      }
      return fn.apply(this, args);
    }
    const result = fn.apply(this, args);
    if (!(result instanceof Promise)) return result; // fs/promises' watch gives an async iterator
    return result.then(mapResult ?? undefined, (err: unknown) => {
      throw fixError(err);
    });
  };
  // keep properties such as `realpath.native` and `promisify.custom`
  for (const key of Reflect.ownKeys(fn)) {
    if (key === "length" || key === "name" || key === "prototype") continue;
    const descriptor = Object.getOwnPropertyDescriptor(fn, key);
    if (descriptor) Object.defineProperty(wrapped, key, descriptor);
  }
  Object.defineProperty(wrapped, "name", { value: fn.name });
  holder[name] = wrapped;
}
