/**
 * Volume paths in real local containers (issue 15, item 5): a path is normalized before it is
 * mapped to its volume, a path that leaves its mount is refused (EACCES naming the mount) in
 * every flavour of fs call, chdir works inside a mount, and symlinks store virtual targets.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, lstatSync, readFileSync, readlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { startRuntime, tempDir, type Started } from "../helpers.ts";

type Mod = typeof import("../fixtures/volumes.ts");
let rt: Started<Mod>;
// the state dir sits inside a "project" so that `/models/../../../` would land in it
const project = tempDir("gantry-project-");
const stateDir = join(project, ".gantry");
const volume = (name: string, ...rest: string[]) => join(stateDir, "volumes", name, ...rest);

before(async () => {
  rt = await startRuntime<Mod>("volumes.ts", { stateDir });
});
after(() => rt.stop());

const refused = (path: string, syscall: string, mount = "/models") => ({
  ok: false,
  code: "EACCES",
  message: `EACCES: permission denied, ${syscall} '${path}': the path leaves the volume mounted at ${mount}`,
});

test("repeated slashes and `.` segments are normalized before the mount is matched", async () => {
  for (const [i, path] of ["//models/n1", "/./models/n2", "/models//./n3", "/models/sub/../n4", "/tmp/../models/n5"].entries()) {
    const outcome = await rt.mod.writeAt.remote(path, `v${i}`);
    assert.deepEqual(outcome, { sync: { ok: true, value: undefined }, callback: { ok: true, value: undefined }, promise: { ok: true, value: undefined } }, path);
    assert.equal(readFileSync(volume("rt-models", `n${i + 1}`), "utf8"), `v${i}`, path);
  }
  assert.deepEqual(await rt.mod.readAt.remote("/./models//n1"), { ok: true, value: "v0" });
  assert.equal(existsSync("/models"), false, "nothing is written at the mount path itself");
});

test("a path that leaves its mount is refused with EACCES naming the mount, in sync, callback and promise calls", async () => {
  writeFileSync(volume("rt-data", "secret.txt"), "other volume");
  // `/data/../models/x` too: a path that starts in a mount stays in it
  for (const path of ["/models/../rt-data/x", "/models/../../volumes/rt-data/x", "/models/../../../escaped.txt", "/models/..", "/models/../data/x"]) {
    const outcome = await rt.mod.writeAt.remote(path, "attack");
    assert.deepEqual(outcome, { sync: refused(path, "writeFile"), callback: refused(path, "writeFile"), promise: refused(path, "writeFile") });
  }
  assert.deepEqual(await rt.mod.readAt.remote("/models/../rt-data/secret.txt"), refused("/models/../rt-data/secret.txt", "readFile"));
  assert.deepEqual(await rt.mod.listAt.remote("/models/../../dicts"), refused("/models/../../dicts", "readdir"));
  assert.deepEqual(await rt.mod.readAt.remote("/data/../../volumes/rt-models/n1"), refused("/data/../../volumes/rt-models/n1", "readFile", "/data"));
  assert.equal(await rt.mod.existsAt.remote("/models/../../"), false);
  assert.equal(existsSync(join(project, "escaped.txt")), false, "the project root was not written");
  assert.equal(existsSync(volume("rt-data", "x")), false, "the other volume was not written");
  assert.equal(existsSync(volume("x")), false);
});

test("process.chdir into a mount: cwd() is the virtual path, relative paths resolve in the volume and cannot leave it", async () => {
  const steps = await rt.mod.workInMount.remote();
  assert.equal(steps.cwd, "/models");
  assert.equal(steps.absolute, "relative");
  assert.equal(steps.inSub, "/models/sub");
  assert.equal(steps.resolved, "/models/sub/x.txt");
  assert.equal(steps.relativeRead, "relative");
  assert.ok((steps.parentList as string[]).includes("sub"));
  assert.equal(steps.back, "/models");
  assert.deepEqual(steps.escapeRead, refused("../rt-data/x", "readFile"));
  assert.deepEqual(steps.escapeChdir, refused("..", "chdir"));
  assert.equal(steps.afterEscape, "/models", "a refused chdir leaves the directory as it was");
  assert.equal(steps.restored, true);
  assert.equal(readFileSync(volume("rt-models", "sub", "rel.txt"), "utf8"), "relative");
});

test("symlinks made in a mount store virtual (relative) targets, never host paths; links out of the volume are refused", async () => {
  const out = await rt.mod.links.remote();
  assert.equal(out.stored, "../target.txt");
  assert.equal(readlinkSync(volume("rt-models", "dir", "link")), "../target.txt", "the link on disk holds no host path");
  assert.equal(out.followed, "through the link");
  assert.equal(out.realpath, "/models/target.txt");
  assert.equal(out.realpathNative, "/models/target.txt");
  assert.equal(out.realpathPromise, "/models/target.txt");
  assert.equal(out.relative, "target.txt");
  assert.deepEqual(out.crossVolume, {
    ok: false, code: "EACCES",
    message: "EACCES: permission denied, symlink '/data/x': a symlink in the volume mounted at /models cannot point into the volume mounted at /data",
  });
  assert.deepEqual(out.outOfVolume, refused("../../../etc", "symlink"));
  assert.equal(existsSync(volume("rt-models", "out")), false);
  assert.equal(out.mkdtemp, true, "mkdtemp returns the virtual path");
  assert.ok(out.mkdirFirst === "/models/a" || out.mkdirFirst === "existed", String(out.mkdirFirst));
  assert.ok(lstatSync(volume("rt-models", "a", "b", "c")).isDirectory());
});

test("paths outside every mount are untouched", async () => {
  const dir = tempDir();
  mkdirSync(join(dir, "sub"));
  writeFileSync(join(dir, "plain.txt"), "host file");
  assert.deepEqual(await rt.mod.readAt.remote(`${dir}//sub/../plain.txt`), { ok: true, value: "host file" });
});

test("errors of calls in a mount name the mount path, not the volume's host directory", async () => {
  const out = await rt.mod.missing.remote();
  for (const [how, syscall] of [["sync", "open"], ["callback", "stat"], ["promise", "open"]] as const) {
    assert.deepEqual(out[how], { ok: false, code: "ENOENT", message: `ENOENT: no such file or directory, ${syscall} '/models/nope.txt'` }, how);
  }
  assert.equal(out.rename.ok, false);
  assert.match((out.rename as { message: string }).message, /^ENOENT: no such file or directory, rename '\/models\/nope\.txt' -> '\/data\/nope\.txt'$/);
  assert.equal(out.chdir.ok, false);
  assert.doesNotMatch((out.chdir as { message: string }).message, new RegExp(stateDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  assert.equal(out.path, "/models/nope.txt");
});

test("readdir's Dirents name virtual directories", async () => {
  // recursive sync: leaf (in tree) and f.txt (in tree/leaf); then the promise flavour: leaf again
  assert.deepEqual(await rt.mod.direntPaths.remote(), ["/models/tree/leaf|f.txt", "/models/tree|leaf", "/models/tree|leaf"]);
});
