// What `gantry serve` added to the local runtime, in process: reload (new pools for new calls, old
// ones finish their inputs and run @exit) and forwarded HTTP requests to webApp/webServer containers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeApp, formatDiagnostics } from "../../../synth/index.ts";
import { LocalRuntime } from "../../../runtime/local/runtime.ts";
import type { SerializedRequest } from "../../../runtime/web/backend.ts";
import { tempDir, until } from "./harness.ts";

const APP = fileURLToPath(new URL("./fixtures/runtime-app.ts", import.meta.url));

function start() {
  const markers = tempDir("gantry-markers-");
  process.env.SERVE_MARKERS = markers; // containers inherit this process's environment
  const analysis = analyzeApp(APP);
  assert.ok(analysis.spec, formatDiagnostics(analysis.diagnostics, { color: false, cwd: process.cwd() }));
  const lines: string[] = [];
  const runtime = new LocalRuntime({
    spec: analysis.spec, appFile: APP, secretValues: analysis.secretValues,
    stateDir: tempDir("gantry-state-"), gantryHome: tempDir("gantry-home-"),
    output: { stdout: (l) => lines.push(l), stderr: (l) => lines.push(l) }, stopGraceMs: 5000,
  });
  const events = () => (existsSync(join(markers, "events")) ? readFileSync(join(markers, "events"), "utf8").trim().split("\n") : []);
  return { runtime, spec: analysis.spec, markers, events, lines };
}

const worker = (method: string) => ({ app: "serve-runtime", name: "Worker", method, params: {} });
const request = (method: string, url: string, body?: string): SerializedRequest => ({
  method, url, headers: [["host", "localhost"], ["content-type", "text/plain"]], body: body ? new TextEncoder().encode(body) : null,
});

test("reload: an input held by the old version finishes there; new calls get new containers; the old one runs @exit", { timeout: 120_000 }, async () => {
  const { runtime, spec, markers, events } = start();
  try {
    const oldPid = (await runtime.remote(worker("pid"), [])) as number;
    // hook order in the container: snap hooks first
    assert.deepEqual(events().slice(0, 2), [`snap ${oldPid}`, `enter ${oldPid}`]);
    const held = runtime.remote(worker("hold"), ["a"]);
    await until("the held input", () => events().includes(`hold a ${oldPid}`));

    const retired = runtime.reload(spec, {});
    let retiredDone = false;
    void retired.then(() => (retiredDone = true));
    const newPid = (await runtime.remote(worker("pid"), [])) as number;
    assert.notEqual(newPid, oldPid, "a call after the reload runs in a new container");
    assert.equal(retiredDone, false, "the old pool still holds an input");
    assert.ok(!events().includes(`exit ${oldPid}`));

    writeFileSync(join(markers, "release-a"), "");
    assert.equal(await held, oldPid, "the held input finished in the old container");
    await retired;
    assert.ok(events().includes(`exit ${oldPid}`), "the old container ran @exit");
    assert.ok(!events().includes(`exit ${newPid}`));
    assert.equal(runtime.retiringPools, 0);
  } finally {
    await runtime.shutdown();
  }
  assert.equal(events().filter((e) => e.startsWith("exit ")).length, 2);
});

test("forward: a webApp container answers serialized requests; .remote() on it is refused; a failure is not retried", { timeout: 120_000 }, async () => {
  const { runtime, events } = start();
  try {
    const site = { app: "serve-runtime", name: "site" };
    const res = await runtime.forward(site, request("POST", "/a/b?x=1", "payload"));
    assert.equal(res.status, 201);
    assert.deepEqual(res.headers.filter(([n]) => n === "set-cookie"), [["set-cookie", "a=1"], ["set-cookie", "b=2"]]);
    const body = JSON.parse(new TextDecoder().decode(res.body!)) as { path: string; query: string; body: string };
    assert.deepEqual({ ...body, pid: undefined }, { path: "/a/b", query: "?x=1", body: "payload", pid: undefined });

    await assert.rejects(runtime.forward(site, request("GET", "/explode")), { name: "TypeError", message: "the app exploded" });
    assert.equal(events().filter((e) => e === "site GET /explode").length, 1, "retries: 2 does not apply to a request");
    await assert.rejects(runtime.remote(site, []), /site is a webApp: it answers HTTP requests at its URL and cannot be called with \.remote\(\)/);
    await assert.rejects(runtime.forward(worker("pid"), request("GET", "/")), /is not a webApp\/webServer function/);
  } finally {
    await runtime.shutdown();
  }
});

test("forward to a webServer: proxied to its port; after a reload the new container starts once the old one let go of the port",
  { timeout: 120_000 }, async () => {
    const { runtime, spec, events } = start();
    try {
      const server = { app: "serve-runtime", name: "server" };
      const first = JSON.parse(new TextDecoder().decode((await runtime.forward(server, request("GET", "/x?y=1"))).body!)) as { url: string; pid: number };
      assert.equal(first.url, "/x?y=1");
      const retired = runtime.reload(spec, {});
      const second = JSON.parse(new TextDecoder().decode((await runtime.forward(server, request("GET", "/z"))).body!)) as { pid: number };
      await retired;
      assert.notEqual(second.pid, first.pid, "served by the new container's server");
      assert.deepEqual(events().filter((e) => e.startsWith("server start")), [`server start ${first.pid}`, `server start ${second.pid}`]);
    } finally {
      await runtime.shutdown();
    }
  });
