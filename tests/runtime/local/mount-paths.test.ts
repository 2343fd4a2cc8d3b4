import { test } from "node:test";
import assert from "node:assert/strict";
import { MountTable } from "../../../runtime/local/mount-paths.ts";

const table = new MountTable([
  { mountPath: "/models/", hostPath: "/state/volumes/m" },
  { mountPath: "/data", hostPath: "/state/volumes/d" },
  { mountPath: "/data/cache", hostPath: "/state/volumes/c" },
]);
const host = (path: string, base = "/") => table.locate(path, base, "open")?.host ?? null;

test("paths are normalized, then matched to the innermost mount", () => {
  assert.equal(host("/models/x"), "/state/volumes/m/x");
  assert.equal(host("//models///x"), "/state/volumes/m/x");
  assert.equal(host("/./models/./x"), "/state/volumes/m/x");
  assert.equal(host("/models/a/../x/"), "/state/volumes/m/x/", "a trailing slash is kept");
  assert.equal(host("/models"), "/state/volumes/m");
  assert.equal(host("/data/cache/k"), "/state/volumes/c/k");
  assert.equal(host("/tmp/../models/x"), "/state/volumes/m/x", "entering a mount through .. is fine");
  assert.equal(host("/modelsx/y"), null, "a sibling with the same prefix is no mount");
  assert.equal(host("/etc/passwd"), null);
  assert.equal(host("x", "/models/sub"), "/state/volumes/m/sub/x", "relative to a directory in a mount");
});

test("leaving a mount after entering it is refused with EACCES naming the mount", () => {
  for (const [path, mount] of [["/models/../data/x", "/models"], ["/models/..", "/models"], ["/data/cache/../../x", "/data"]] as const) {
    assert.throws(() => table.locate(path, "/", "open"), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, "EACCES");
      assert.equal(err.syscall, "open");
      assert.equal(err.path, path);
      assert.equal(err.message, `EACCES: permission denied, open '${path}': the path leaves the volume mounted at ${mount}`);
      return true;
    });
  }
  assert.throws(() => table.locate("../x", "/models", "open"), /leaves the volume mounted at \/models/);
  assert.equal(host("/data/cache/../y"), "/state/volumes/d/y", "from a nested mount to its parent mount stays in /data");
});

test("symlink targets: relative inside a mount, host paths for links outside mounts, refused across volumes", () => {
  const link = (path: string) => table.locate(path, "/", "symlink");
  assert.equal(table.symlinkTarget("/models/a/t", link("/models/b/l")), "../a/t");
  assert.equal(table.symlinkTarget("t", link("/models/l")), "t");
  assert.equal(table.symlinkTarget("/etc/hosts", link("/models/l")), "/etc/hosts");
  assert.equal(table.symlinkTarget("/models/t", link("/tmp/l")), "/state/volumes/m/t");
  assert.equal(table.symlinkTarget("../x", link("/tmp/l")), "../x");
  assert.throws(() => table.symlinkTarget("/data/t", link("/models/l")), /cannot point into the volume mounted at \/data/);
  assert.throws(() => table.symlinkTarget("../../x", link("/models/l")), /leaves the volume mounted at \/models/);
});

test("host paths inside a volume read back as virtual paths", () => {
  assert.equal(table.toVirtual("/state/volumes/m/x/y"), "/models/x/y");
  assert.equal(table.toVirtual("/state/volumes/m"), "/models");
  assert.equal(table.toVirtual("/state/volumes/mx"), "/state/volumes/mx");
});
