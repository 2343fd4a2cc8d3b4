/**
 * Volume.commit() / reload() on AWS (EFS, close-to-open consistent): commit fsyncs the files this
 * process holds open under the volume's mount paths; reload has nothing to do.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EfsVolume, procIo, type VolumeIo } from "../../../runtime/aws/volume.ts";
import { AwsInvoker } from "../../../runtime/aws/invoker.ts";

function spyIo(files: Array<{ fd: number; path: string }>): VolumeIo & { synced: number[] } {
  const synced: number[] = [];
  return { synced, openFiles: async () => files, fsync: async (fd) => void synced.push(fd) };
}

test("commit fsyncs the files held open under the volume's mount paths, and only those", async () => {
  const io = spyIo([
    { fd: 20, path: "/models/llama/weights.bin" },
    { fd: 21, path: "/models" },
    { fd: 22, path: "/models-old/x" },
    { fd: 23, path: "/cache/a" },
    { fd: 24, path: "/tmp/scratch" },
  ]);
  const v = new EfsVolume("weights", ["/models/", "/cache"], io);
  await v.commit();
  assert.deepEqual(io.synced, [20, 21, 23]);
  io.synced.length = 0;
  await v.reload();
  assert.deepEqual(io.synced, [], "reload touches nothing");
});

test("on Linux, the open files are read from /proc/self/fd: a file being written under the mount is fsynced", async () => {
  const mount = mkdtempSync(join(tmpdir(), "gantry-efs-"));
  const outside = mkdtempSync(join(tmpdir(), "gantry-other-"));
  const inside = await open(join(mount, "checkpoint.bin"), "w");
  const other = await open(join(outside, "log.txt"), "w");
  try {
    await inside.write(new Uint8Array(1024).fill(1));
    await other.write("x");
    const synced: number[] = [];
    await new EfsVolume("ckpt", [mount], { openFiles: procIo.openFiles, fsync: async (fd) => void synced.push(fd) }).commit();
    assert.deepEqual(synced, [inside.fd]);
    // and the real fsync works on it
    await new EfsVolume("ckpt", [mount]).commit();
  } finally {
    await inside.close();
    await other.close();
    rmSync(mount, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test("a file closed between listing and fsync is skipped (its close flushed it); another fsync error fails the commit", async () => {
  const v = new EfsVolume("w", ["/m"], {
    openFiles: async () => [{ fd: 5, path: "/m/a" }, { fd: 6, path: "/m/b" }],
    fsync: async (fd) => {
      if (fd === 5) throw Object.assign(new Error("EBADF: bad file descriptor"), { code: "EBADF" });
      if (fd === 6) throw Object.assign(new Error("EIO: i/o error"), { code: "EIO" });
    },
  });
  await assert.rejects(v.commit(), /Volume "w": could not commit \/m\/b: EIO/);
});

test("a volume this container does not mount is an error naming the mounts", () => {
  const inv = new AwsInvoker({
    config: { queues: {}, resultsTable: "r", bucket: "b", maxMessageBytes: 262144, resultTtlDays: 7, volumes: { "/models": "weights" } },
    clients: { sqs: { send: async () => ({}) }, ddb: { send: async () => ({}) }, s3: { send: async () => ({}) } },
    source: "train",
  });
  assert.ok(inv.volume("weights") instanceof EfsVolume);
  assert.throws(() => inv.volume("datasets"), /Volume "datasets" is not mounted in this container \(train mounts: \/models -> weights\)/);
});
