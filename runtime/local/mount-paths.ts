/**
 * The path arithmetic behind local volume mounts (fs-remap.ts installs it): which volume a path
 * the user code names falls in, and where that is on the host. Paths are resolved lexically, as
 * `path.posix.normalize` does (repeated slashes, `.`, `..`), before they are matched, and a path
 * that enters a mount and then leaves it (`/models/../vol-b/x`) is refused with EACCES naming the
 * mount: on a cloud container it would reach the container's own root, locally it would reach the
 * host's (another volume, the Dict store, the project).
 */
import { posix } from "node:path";
import { constants } from "node:os";

export interface Mount {
  mountPath: string;
  hostPath: string;
}

/** Where a path the user code named lands. */
export interface Located {
  /** the normalized absolute virtual path */
  virtual: string;
  /** the mount it is in, if any */
  mount: Mount | null;
  /** where it is on the host (the virtual path itself outside mounts) */
  host: string;
}

export class MountTable {
  private readonly mounts: Mount[];

  constructor(mounts: readonly Mount[]) {
    this.mounts = mounts
      .map((m) => ({ mountPath: posix.normalize(m.mountPath).replace(/(.)\/+$/, "$1"), hostPath: m.hostPath.replace(/(.)\/+$/, "$1") }))
      .sort((a, b) => b.mountPath.length - a.mountPath.length);
  }

  get empty(): boolean {
    return this.mounts.length === 0;
  }

  /** The innermost mount containing the normalized absolute `path`. */
  mountOf(path: string): Mount | null {
    for (const m of this.mounts) {
      if (path === m.mountPath || m.mountPath === "/" || (path.startsWith(m.mountPath) && path.charCodeAt(m.mountPath.length) === 47)) return m;
    }
    return null;
  }

  /**
   * Resolves `path` (absolute, or relative to the virtual directory `base`) segment by segment.
   * Returns null when no mount was ever involved (the caller then leaves the path as it was);
   * throws EACCES when the walk leaves a mount it was in. `syscall` names the call in the error.
   */
  locate(path: string, base: string, syscall: string): Located | null {
    const segments = path.charCodeAt(0) === 47 ? [] : base.split("/").filter(Boolean);
    let inside = this.mountOf(`/${segments.join("/")}`);
    let touched = inside !== null;
    for (const segment of path.split("/")) {
      if (segment === "" || segment === ".") continue;
      if (segment === "..") segments.pop();
      else segments.push(segment);
      const here = `/${segments.join("/")}`;
      const now = this.mountOf(here);
      // out of the mount, unless into one that encloses it (`/data/cache/..` is in `/data`)
      if (inside && !within(here, inside.mountPath) && !(now && within(inside.mountPath, now.mountPath))) {
        throw mountEscape(syscall, path, inside);
      }
      inside = now;
      touched ||= inside !== null;
    }
    if (!touched) return null;
    const virtual = `/${segments.join("/")}`;
    // a trailing slash means "a directory" to the kernel (ENOTDIR otherwise): keep it
    const slash = segments.length > 0 && path.endsWith("/") ? "/" : "";
    if (!inside) return { virtual, mount: null, host: virtual + slash };
    const rest = inside.mountPath === "/" ? virtual : virtual.slice(inside.mountPath.length);
    return { virtual, mount: inside, host: inside.hostPath + rest + slash };
  }

  /** The virtual path of a host path inside a mount's directory (for realpath, readlink, mkdtemp results). */
  toVirtual(host: string): string {
    for (const m of this.mounts) {
      if (host === m.hostPath) return m.mountPath;
      if (host.startsWith(m.hostPath) && host.charCodeAt(m.hostPath.length) === 47) {
        return posix.join(m.mountPath, host.slice(m.hostPath.length));
      }
    }
    return host;
  }

  /**
   * What a symlink at `link` (a path the user named) pointing to `target` should store. Inside a
   * mount a link stores a virtual target, relative to its own directory when the target is in the
   * same mount (so that it resolves both on the host and under the mount in the cloud); a target
   * that leaves the link's mount is refused (following it would leave the volume). A link outside
   * every mount pointing into one stores the host path, as the host must follow it.
   */
  symlinkTarget(target: string, link: Located | null): string {
    if (!link?.mount) {
      // on the host, a relative target is relative to the link: nothing to do
      if (target.charCodeAt(0) !== 47) return target;
      const to = this.locate(target, "/", "symlink");
      return to?.mount ? to.host : target;
    }
    const from = posix.dirname(link.virtual);
    const to = this.locate(target, from, "symlink");
    if (!to?.mount) {
      // a relative target that never met a mount cannot happen (it starts inside one); an
      // absolute one outside every mount means the same path on the host and in the cloud
      return target;
    }
    if (to.mount !== link.mount) {
      throw mountEscape("symlink", target, link.mount,
        `a symlink in the volume mounted at ${link.mount.mountPath} cannot point into the volume mounted at ${to.mount.mountPath}`);
    }
    return posix.relative(from, to.virtual) || ".";
  }
}

function within(path: string, mountPath: string): boolean {
  return mountPath === "/" || path === mountPath || (path.startsWith(mountPath) && path.charCodeAt(mountPath.length) === 47);
}

/** An fs-style EACCES error (code, errno, syscall, path) that names the mount. */
export function mountEscape(syscall: string, path: string, mount: Mount, why = `the path leaves the volume mounted at ${mount.mountPath}`): NodeJS.ErrnoException {
  const error = new Error(`EACCES: permission denied, ${syscall} '${path}': ${why}`) as NodeJS.ErrnoException;
  error.code = "EACCES";
  error.errno = -constants.errno.EACCES;
  error.syscall = syscall;
  error.path = path;
  return error;
}
