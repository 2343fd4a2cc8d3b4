import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Dict, Queue } from "../../../sdk/index.ts";
import { setInvoker } from "../../../sdk/invoker.ts";
import { LocalRuntime } from "../../../runtime/local/runtime.ts";
import { analyzeApp } from "../../../synth/index.ts";
import { fixturePath, startRuntime, tempDir, type Started } from "../helpers.ts";

type Mod = typeof import("../fixtures/state.ts");
let rt: Started<Mod>;
const stateDir = tempDir("gantry-state-");

before(async () => {
  rt = await startRuntime<Mod>("state.ts", { stateDir });
});
after(() => rt.stop());

test("a Dict is shared by containers and the entrypoint", async () => {
  assert.deepEqual(await rt.mod.bump.remote("k"), { n: 1, has: true, len: 1, keys: ["k"] });
  assert.deepEqual(await rt.mod.bump.remote("k"), { n: 2, has: true, len: 1, keys: ["k"] });
  const counts = Dict.fromName<string, number>("rt-counts");
  assert.equal(await counts.get("k"), 2);
  await counts.put("other", 10);
  assert.equal((await rt.mod.bump.remote("other")).n, 11);
  assert.equal(await counts.pop("other"), 11);
  assert.equal(await counts.has("other"), false);
  assert.equal(await counts.get("missing", 7), 7);
});

test("Dicts persist under the state dir across runs; a missing one without createIfMissing is an error", async () => {
  await rt.runtime.shutdown();
  assert.ok(existsSync(join(stateDir, "dicts", "rt-counts.msgpack")));
  const appFile = fixturePath("state.ts");
  const next = new LocalRuntime({ spec: analyzeApp(appFile).spec!, appFile, stateDir });
  setInvoker(next);
  try {
    assert.equal(await Dict.fromName<string, number>("rt-counts").get("k"), 2);
    await assert.rejects(Dict.fromName("never-created").get("x"), /Dict "never-created" does not exist locally/);
  } finally {
    await next.shutdown();
    rt = await startRuntime<Mod>("state.ts", { stateDir });
  }
});

test("a Queue passes items between containers and the entrypoint", async () => {
  assert.equal(await rt.mod.produce.remote([1, 2, 3]), 3);
  assert.deepEqual(await rt.mod.consume.remote(2), [1, 2]);
  const jobs = Queue.fromName<number>("rt-jobs");
  assert.equal(await jobs.len(), 1);
  assert.equal(await jobs.get(), 3);
  const waiting = rt.mod.consume.remote(5);
  await jobs.put(42);
  assert.deepEqual(await waiting, [42]);
  assert.equal(await jobs.get({ timeout: 0.05 }), undefined);
});

test("a Volume is a local directory: code writes the mount path, another function reads it", async () => {
  assert.deepEqual(await rt.mod.save.remote("a.txt", "hello"), ["a.txt"]);
  assert.deepEqual(await rt.mod.save.remote("b.txt", "world"), ["a.txt", "b.txt"]);
  assert.deepEqual(await rt.mod.load.remote("a.txt"), { text: "hello", exists: true });
  const local = join(stateDir, "volumes", "rt-files", "notes", "b.txt");
  assert.equal(readFileSync(local, "utf8"), "world");
  assert.ok(statSync(local).isFile());
  assert.equal(existsSync("/files"), false, "nothing is written at the mount path itself");
});

test("volume paths work with sync, callback, stream, rename and file: URL calls", async () => {
  assert.deepEqual(await rt.mod.fsFlavours.remote(), {
    list: ["renamed.txt", "stream.txt", "sync.txt"],
    viaUrl: "sync",
    viaStream: "stream",
    stat: "callback".length,
  });
  assert.equal(readFileSync(join(stateDir, "volumes", "rt-files", "flavours", "renamed.txt"), "utf8"), "callback");
});
