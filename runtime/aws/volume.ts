/**
 * `Volume.commit()` / `.reload()` on AWS, where a volume is an EFS file system that ECS mounts (NFS
 * v4.1) at the mount path of every task of the functions that declare it (provider/aws/volume.ts).
 *
 * EFS gives close-to-open consistency: once a file is closed (or fsynced), its data is stored
 * durably and any container that opens the file afterwards reads it. So:
 * - commit: fsyncs every file this process still holds open under the volume's mount paths
 *   (found through /proc/self/fd). Files already closed were flushed by their close, so "what was
 *   written since the last commit" that is not yet durable is exactly what is still open. After
 *   commit, another container that opens those files reads what was written.
 *   Not covered: files written by child processes you start (they must close or fsync their own).
 * - reload: nothing to do. There is no snapshot to fetch: every open() already revalidates with the
 *   server, so a file opened after another container's commit (or close) shows its new content.
 *   What can lag is metadata the NFS client caches (directory listings, attributes of a file that
 *   stays open): up to 60 s with ECS's default mount options, and no user process can drop it.
 */
import { fsync as fsyncCallback } from "node:fs";
import { readdir, readlink } from "node:fs/promises";
import { join, sep } from "node:path";
import type { VolumeBackend } from "../../sdk/invoker.ts";

/** A file descriptor of this process and the path it is open on. */
export interface OpenFile {
  fd: number;
  path: string;
}

export interface VolumeIo {
  openFiles(): Promise<OpenFile[]>;
  fsync(fd: number): Promise<void>;
}

export class EfsVolume implements VolumeBackend {
  private readonly mountPaths: string[];

  constructor(
    readonly name: string,
    mountPaths: string[],
    private readonly io: VolumeIo = procIo,
  ) {
    this.mountPaths = mountPaths.map((m) => (m.length > 1 && m.endsWith(sep) ? m.slice(0, -1) : m));
  }

  /** Whether `path` lies under one of the volume's mount paths. */
  holds(path: string): boolean {
    return this.mountPaths.some((m) => path === m || path.startsWith(m === sep ? m : m + sep));
  }

  async commit(): Promise<void> {
    const files = (await this.io.openFiles()).filter((f) => this.holds(f.path));
    for (const f of files) {
      try {
        await this.io.fsync(f.fd);
      } catch (err) {
        // closed since it was listed: its close flushed it
        if ((err as NodeJS.ErrnoException).code === "EBADF") continue;
        throw new Error(`Volume "${this.name}": could not commit ${f.path}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  async reload(): Promise<void> {
    // see above: EFS revalidates on every open
  }
}

/** Linux: /proc/self/fd lists this process's descriptors, each a link to what it is open on. */
export const procIo: VolumeIo = {
  async openFiles() {
    let fds: string[];
    try {
      fds = await readdir("/proc/self/fd");
    } catch {
      return []; // no procfs (not Linux): nothing can be listed, and closes already flushed
    }
    const out: OpenFile[] = [];
    for (const name of fds) {
      const path = await readlink(join("/proc/self/fd", name)).catch(() => null);
      if (path?.startsWith("/")) out.push({ fd: Number(name), path });
    }
    return out;
  },
  fsync: fsyncFd,
};

function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsyncCallback(fd, (err) => (err ? reject(err) : resolve())));
}
