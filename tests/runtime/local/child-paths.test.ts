/**
 * The pure parts of how child processes see mounts: the path rewrite of the fallback
 * (child-paths.ts) and which mounts a mount namespace can show without writing on the host.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChildPaths } from "../../../runtime/local/child-paths.ts";
import { kernelMounts, namespaceCommand, namespaceSupport } from "../../../runtime/local/namespace.ts";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const paths = new ChildPaths([
  { mountPath: "/models", hostPath: "/h/vol/models" },
  { mountPath: "/models/cache", hostPath: "/h/vol/cache" },
  { mountPath: "/app/prompts.yaml", hostPath: "/h/img/app/prompts.yaml" },
]);

test("mount paths at the start of a word are rewritten, in commands, flags and path lists", () => {
  assert.equal(paths.text("echo x > /models/f"), "echo x > /h/vol/models/f");
  assert.equal(paths.text("--local-dir=/models/llama"), "--local-dir=/h/vol/models/llama");
  assert.equal(paths.text("/models"), "/h/vol/models");
  assert.equal(paths.text(`cat '/app/prompts.yaml' "/models/cache/x"`), `cat '/h/img/app/prompts.yaml' "/h/vol/cache/x"`);
  assert.equal(paths.text("/usr/bin:/models/bin"), "/usr/bin:/h/vol/models/bin");
});

test("paths that only look alike are left alone", () => {
  assert.equal(paths.text("/modelsx/f"), "/modelsx/f");
  assert.equal(paths.text("/srv/models/f"), "/srv/models/f");
  assert.equal(paths.text("/app/prompts.yaml.bak"), "/app/prompts.yaml.bak");
  assert.equal(paths.text("https://host/models/x"), "https://host/models/x");
});

test("working directories and environment values inside a mount move to its directory", () => {
  assert.equal(paths.cwd("/models/sub", "/"), "/h/vol/models/sub");
  assert.equal(paths.cwd("sub", "/models"), "/h/vol/models/sub");
  assert.equal(paths.cwd(undefined, "/models"), "/h/vol/models");
  assert.equal(paths.cwd(undefined, "/srv"), undefined);
  assert.deepEqual(paths.env({ HF_HOME: "/models/hf", HOME: "/root" }), { HF_HOME: "/h/vol/models/hf", HOME: "/root" });
});

test("a mount namespace binds mount points it can make in its own root, and skips those that would write on the host", () => {
  const { bound, skipped } = kernelMounts([
    { mountPath: "/gantry-test-missing/models", hostPath: "/h/a" },
    { mountPath: "/tmp", hostPath: "/h/b" },
    { mountPath: "/tmp/gantry-test-missing-dir/x", hostPath: "/h/c" },
    { mountPath: "/", hostPath: "/h/d" },
    { mountPath: "/img", hostPath: "/h/img" },
    { mountPath: "/img/sub/file", hostPath: "/h/file" },
  ], new Set(["/h/img"]));
  assert.deepEqual(bound.map((m) => m.mountPath), ["/tmp", "/img", "/img/sub/file", "/gantry-test-missing/models"]);
  assert.deepEqual(skipped.map((m) => m.mountPath), ["/", "/tmp/gantry-test-missing-dir/x"]);
});

// Run as root (CI, this machine), the suite alone would not show that the namespace needs none:
// start the same setup as an unprivileged user, who must end up writing into the volume as itself.
const root = process.getuid?.() === 0;
test("the mount namespace needs no root: an unprivileged user's subprocess writes into a volume as that user", {
  skip: !root ? "the suite runs unprivileged already" : !namespaceSupport(join(tmpdir(), "gantry-probe-root")).ok ? "no mount namespaces here" : false,
}, () => {
  const nobody = 65534;
  const dir = mkdtempSync(join(tmpdir(), "gantry-ns-user-"));
  const volume = join(dir, "volume");
  const mountRoot = join(dir, "root");
  for (const d of [volume, mountRoot]) mkdirSync(d);
  for (const d of [dir, volume, mountRoot]) {
    chmodSync(d, 0o755);
    chownSync(d, nobody, nobody);
  }
  try {
    const { file, args } = namespaceCommand(mountRoot, [{ mountPath: "/gantry-test-volume", hostPath: volume }], "/", ["sh", "-c", "id -u > /gantry-test-volume/who"], [String(nobody), String(nobody)]);
    const run = spawnSync(file, args, { uid: nobody, gid: nobody, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(readFileSync(join(volume, "who"), "utf8"), `${nobody}\n`);
    assert.equal(statSync(join(volume, "who")).uid, nobody, "the file belongs to the user, not to root");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
