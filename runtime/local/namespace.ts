/**
 * Mounts the kernel can see, so that child processes of a local container (`sh -c 'echo x >
 * /models/f'`, `huggingface-cli download … --local-dir /models/llama`, a Python script) find the
 * volumes and image files at their mount paths, as in a cloud container.
 *
 * On Linux with unprivileged user and mount namespaces (`unshare -Urm`), a container process is
 * started in its own mount namespace whose root is a tmpfs holding a recursive bind of every entry
 * of the host's `/`, plus each mount bound at its mount path (`pivot_root` into it, the old root
 * detached). Then a second user namespace maps the user back to itself, so processes run as you,
 * not as root. Nothing is created on the host: mount paths whose parent exists on the host but
 * which do not (`/root/.cache/x`) cannot be made without writing there; those stay visible to the
 * container's Node code only (fs-remap.ts) and are named in a warning.
 *
 * Elsewhere (macOS, or a kernel or policy that refuses user namespaces), child-paths.ts rewrites
 * the arguments, working directory and environment of the child processes the code starts.
 *
 * `GANTRY_LOCAL_MOUNTS=namespace|rewrite` forces one way (`namespace` fails where unavailable).
 */
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync } from "node:fs";
import { posix } from "node:path";
import type { Mount } from "./mount-paths.ts";

export type MountMode = "namespace" | "rewrite";

/**
 * `sh -c SETUP sh <root> <uid> <gid> <cwd> <n> <mountPath hostPath>×n <command...>`: runs as root
 * of a fresh user + mount namespace (`unshare -Urm`), builds the root and execs the command as
 * `<uid>:<gid>` in `<cwd>`. Mount points missing at the new root are created in its tmpfs, or in a
 * bound file that is ours (a copy of image files); the caller only passes mounts for which that holds.
 */
const SETUP = `set -e
R=$1; U=$2; G=$3; C=$4; N=$5; shift 5
mount -t tmpfs -o mode=755 gantry-root "$R"
for e in /* /.[!.]*; do
  [ -e "$e" ] || [ -L "$e" ] || continue
  n=\${e#/}
  if [ -L "$e" ]; then cp -P "$e" "$R/$n"
  elif [ -d "$e" ]; then mkdir "$R/$n"; mount --rbind "$e" "$R/$n"
  else touch "$R/$n"; mount --bind "$e" "$R/$n"; fi
done
while [ "$N" -gt 0 ]; do
  m=$1; h=$2; shift 2; N=$((N - 1))
  if [ -d "$h" ]; then mkdir -p "$R$m"; else mkdir -p "$(dirname "$R$m")"; [ -e "$R$m" ] || touch "$R$m"; fi
  mount --bind "$h" "$R$m"
done
mkdir "$R/.gantry-old-root"
cd "$R"
pivot_root . .gantry-old-root
umount -l /.gantry-old-root
rmdir /.gantry-old-root
exec unshare --user --map-user="$U" --map-group="$G" -- sh -c 'cd "$1" && shift && exec "$@"' sh "$C" "$@"`;

let probed: { ok: boolean; why: string } | undefined;

/** Whether containers can run in a mount namespace here (probed once: the real setup, running `true`). */
export function namespaceSupport(probeRoot: string): { ok: boolean; why: string } {
  if (probed) return probed;
  if (process.platform !== "linux") return (probed = { ok: false, why: `${process.platform} has no mount namespaces` });
  mkdirSync(probeRoot, { recursive: true });
  const run = spawnSync("unshare", ["-Urm", "--", "sh", "-c", SETUP, "sh", probeRoot, ...ids(), "/", "0", "true"], { encoding: "utf8", timeout: 10_000 });
  if (run.error) return (probed = { ok: false, why: `unshare: ${run.error.message}` });
  if (run.status !== 0) return (probed = { ok: false, why: (run.stderr.trim().split("\n").pop() ?? "") || `unshare exited with ${run.status}` });
  return (probed = { ok: true, why: "" });
}

/** The mode a run uses: forced by `GANTRY_LOCAL_MOUNTS`, else namespaces where they work. */
export function mountMode(probeRoot: string): MountMode {
  const forced = process.env.GANTRY_LOCAL_MOUNTS;
  if (forced === "rewrite") return "rewrite";
  const support = namespaceSupport(probeRoot);
  if (forced === "namespace" && !support.ok) {
    throw new Error(`GANTRY_LOCAL_MOUNTS=namespace, but mount namespaces are not available here: ${support.why}`);
  }
  if (forced !== undefined && forced !== "namespace") {
    throw new Error(`GANTRY_LOCAL_MOUNTS must be "namespace" or "rewrite", got "${forced}"`);
  }
  return support.ok ? "namespace" : "rewrite";
}

/**
 * Splits mounts into those the kernel can show at their path without writing on the host (every
 * missing directory on the way is under a missing top-level entry, or inside another mount that is
 * a copy of ours: `ownedHosts`), and the rest.
 */
export function kernelMounts(mounts: readonly Mount[], ownedHosts: ReadonlySet<string>): { bound: Mount[]; skipped: Mount[] } {
  const sorted = [...mounts].sort((a, b) => a.mountPath.length - b.mountPath.length);
  const bound: Mount[] = [];
  const skipped: Mount[] = [];
  for (const m of sorted) {
    const path = posix.normalize(m.mountPath);
    if (path === "/") {
      skipped.push(m);
      continue;
    }
    const inOwned = bound.some((b) => ownedHosts.has(b.hostPath) && path.startsWith(`${posix.normalize(b.mountPath)}/`));
    const inOther = bound.some((b) => path.startsWith(`${posix.normalize(b.mountPath)}/`));
    if (inOwned || (!inOther && creatableWithoutHost(path))) bound.push(m);
    else skipped.push(m);
  }
  return { bound, skipped };
}

/** The path exists on the host (it is bound over), or its first missing ancestor sits directly under `/`. */
function creatableWithoutHost(path: string): boolean {
  if (exists(path)) return true;
  const top = `/${path.split("/")[1]}`;
  return !exists(top);
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The command that starts `command` in a mount namespace with `mounts` bound, in `cwd`, as the
 * user `as` (default: this process's; the command must be started as that user).
 */
export function namespaceCommand(root: string, mounts: readonly Mount[], cwd: string, command: string[], as: [string, string] = ids()): { file: string; args: string[] } {
  if (!existsSync(root)) mkdirSync(root, { recursive: true });
  const pairs = mounts.flatMap((m) => [posix.normalize(m.mountPath), m.hostPath]);
  return { file: "unshare", args: ["-Urm", "--", "sh", "-c", SETUP, "sh", root, ...as, cwd, String(mounts.length), ...pairs, ...command] };
}

function ids(): [string, string] {
  return [String(process.getuid?.() ?? 0), String(process.getgid?.() ?? 0)];
}

let noticed = false;

/**
 * Once per process, when mount namespaces were not forced off but are unavailable: what child
 * processes get instead (a line for the run's log).
 */
export function rewriteNotice(): string | null {
  if (noticed || process.env.GANTRY_LOCAL_MOUNTS === "rewrite" || !probed || probed.ok) return null;
  noticed = true;
  return `child processes see volumes and image files through rewritten command, argument and environment paths only ` +
    `(mount namespaces are not available here: ${probed.why}); see "Child processes see the mounts too" in gantry's runtime/README.md`;
}
