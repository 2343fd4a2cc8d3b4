// A call that outlives the synchronous window gets a 303 to its result URL; that URL keeps working
// after a reload (the signing key is the server's, not the front door's), and waits for the call
// without running it again. The dev server runs in this process, with a short window.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startDevServer } from "../../../runtime/serve/server.ts";
import { events, fixtureProject, until } from "./harness.ts";

test("a result URL issued before a reload is answered after it, without re-running the call", { timeout: 180_000 }, async () => {
  const project = fixtureProject();
  process.env.SERVE_MARKERS = project.markers; // the containers' environment is this process's
  process.env.GANTRY_STATE_DIR = join(project.dir, ".gantry");
  let out = "";
  const started = await startDevServer({
    appFile: project.appFile, port: 0, host: "127.0.0.1", watch: true, token: "tok", color: false,
    syncWindowMs: 300, out: (t) => void (out += t), err: (t) => void (out += t),
  });
  assert.ok(started.ok, out);
  const server = started.server;
  try {
    const first = await fetch(`${server.url}/slow`, { redirect: "manual" });
    assert.equal(first.status, 303);
    const location = first.headers.get("location")!;
    assert.match(location, /^\/_gantry\/calls\/[^?]+\?ticket=/);
    await first.body?.cancel();
    await until("the call to start", () => events(project.markers).some((e) => e.startsWith("slow started v1 ")));

    const mark = out.length;
    writeFileSync(project.appFile, readFileSync(project.appFile, "utf8").replace('const VERSION = "v1";', 'const VERSION = "v2";'));
    await until("the reload", () => /reloaded in \d+ ms/.test(out.slice(mark)));

    // the new front door accepts the old ticket: still running, so another 303 to the same place
    const again = await fetch(`${server.url}${location}`, { redirect: "manual" });
    assert.equal(again.status, 303);
    assert.equal(again.headers.get("location"), location);
    await again.body?.cancel();
    // a forged ticket is not
    assert.equal((await fetch(`${server.url}${location.replace(/ticket=.*/, "ticket=forged")}`)).status, 404);

    writeFileSync(join(project.markers, "release"), "");
    const done = await fetch(`${server.url}${location}`);
    assert.equal(done.status, 200);
    assert.deepEqual(await done.json(), { version: "v1" });
    assert.equal(events(project.markers).filter((e) => e.startsWith("slow started")).length, 1, "never re-run");
  } finally {
    await server.stop();
  }
});
