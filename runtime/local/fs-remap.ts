/**
 * Volume mounts for local containers without root, Docker or symlinks in `/`: user code writes the
 * mount path (`/models/x`), and this module rewrites such paths to the volume's local directory
 * (`.gantry/volumes/<name>/x`) inside the container process.
 *
 * It wraps the path-taking functions of `node:fs` and `node:fs/promises` (sync, callback, promise
 * and stream variants) and calls `syncBuiltinESMExports()` so that ESM named imports
 * (`import { readFile } from "node:fs/promises"`) see the wrapped functions too. It runs before the
 * app is imported. Limits: child processes the user code starts (a `python` subprocess) and native
 * addons opening files by path see the real file system, not the mounts; `realpath` returns local
 * paths.
 */
import { createRequire, syncBuiltinESMExports } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

export interface Mount {
  mountPath: string;
  hostPath: string;
}

/** Functions whose first argument is a path. */
const ONE_PATH = [
  "access", "appendFile", "chmod", "chown", "createReadStream", "createWriteStream", "exists", "lchmod", "lchown",
  "lstat", "lutimes", "mkdir", "mkdtemp", "open", "openAsBlob", "opendir", "readdir", "readFile", "readlink",
  "realpath", "rm", "rmdir", "stat", "statfs", "truncate", "unlink", "utimes", "watch", "watchFile", "unwatchFile",
  "writeFile",
];
/** Functions whose first two arguments are paths. */
const TWO_PATHS = ["copyFile", "cp", "link", "rename", "symlink"];

export function installPathRemap(mounts: readonly Mount[]): void {
  if (mounts.length === 0) return;
  const table = [...mounts]
    .map((m) => ({ mountPath: m.mountPath.replace(/\/+$/, "") || "/", hostPath: m.hostPath }))
    .sort((a, b) => b.mountPath.length - a.mountPath.length);

  const remap = (p: unknown): unknown => {
    let path: string;
    if (typeof p === "string") path = p;
    else if (p instanceof URL) {
      if (p.protocol !== "file:") return p;
      path = fileURLToPath(p);
    } else if (Buffer.isBuffer(p)) path = p.toString();
    else return p;
    if (path.charCodeAt(0) !== 47 /* "/" */) return p;
    for (const { mountPath, hostPath } of table) {
      if (path === mountPath) return hostPath;
      if (path.startsWith(mountPath) && path.charCodeAt(mountPath.length) === 47) {
        return hostPath + path.slice(mountPath.length);
      }
    }
    return p;
  };

  const fs = require("node:fs") as Record<string, unknown>;
  const fsp = require("node:fs/promises") as Record<string, unknown>;
  for (const target of [fs, fsp]) {
    for (const base of ONE_PATH) {
      for (const name of target === fs ? [base, `${base}Sync`] : [base]) wrap(target, name, 1, remap);
    }
    for (const base of TWO_PATHS) {
      for (const name of target === fs ? [base, `${base}Sync`] : [base]) wrap(target, name, 2, remap);
    }
  }
  const realpath = fs.realpath as { native?: unknown };
  const realpathSync = fs.realpathSync as { native?: unknown };
  wrap(realpath, "native", 1, remap);
  wrap(realpathSync, "native", 1, remap);
  syncBuiltinESMExports();
}

function wrap(target: Record<string, unknown> | object, name: string, paths: 1 | 2, remap: (p: unknown) => unknown): void {
  const holder = target as Record<string, unknown>;
  const original = holder[name];
  if (typeof original !== "function") return;
  const fn = original as (...args: unknown[]) => unknown;
  const wrapped = paths === 1
    ? function (this: unknown, p: unknown, ...rest: unknown[]) { return fn.call(this, remap(p), ...rest); }
    : function (this: unknown, a: unknown, b: unknown, ...rest: unknown[]) { return fn.call(this, remap(a), remap(b), ...rest); };
  // keep properties such as `realpath.native` and `promisify.custom`
  for (const key of Reflect.ownKeys(fn)) {
    if (key === "length" || key === "name" || key === "prototype") continue;
    const descriptor = Object.getOwnPropertyDescriptor(fn, key);
    if (descriptor) Object.defineProperty(wrapped, key, descriptor);
  }
  Object.defineProperty(wrapped, "name", { value: fn.name });
  holder[name] = wrapped;
}
