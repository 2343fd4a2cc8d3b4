/**
 * Calling an app that a `gantry serve` runs (issue 14, item 2): a client run finds the server by its
 * record (by `--with` file, or by app name in the same project) and its calls go over the server's
 * call route (runtime/serve/calls.ts), which needs the record's token.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Packr } from "msgpackr";
import { Cls, Function } from "gantry";
import { fixtureProject, serveReady, tempDir } from "./harness.ts";
import { startRuntime, type Started } from "../helpers.ts";
import { runPeers } from "../../../cli/run-peers.ts";
import { servedPeers } from "../../../runtime/serve/calls.ts";
import type { Model } from "../fixtures/peers/server.ts";

const peersDir = fileURLToPath(new URL("../fixtures/peers/", import.meta.url));
const project = fixtureProject("app.ts");
copyFileSync(join(peersDir, "server.ts"), project.appFile);
copyFileSync(join(peersDir, "client.ts"), join(project.dir, "client.ts"));
const stateDir = tempDir("gantry-peer-state-");
const savedStateDir = process.env.GANTRY_STATE_DIR;
process.env.GANTRY_STATE_DIR = stateDir;

/** The operations token, from the server record (as gantry run reads it). */
const opsToken = () => (JSON.parse(readFileSync(join(stateDir, "serve", readdirSync(join(stateDir, "serve"))[0]), "utf8")) as { token: string }).token;

let served: Awaited<ReturnType<typeof serveReady>>;
let rt: Started<typeof import("../fixtures/peers/client.ts")>;
before(async () => {
  served = await serveReady([project.appFile], { GANTRY_STATE_DIR: stateDir, GANTRY_TOKEN: "endpoint-token" });
});
after(async () => {
  await rt?.stop();
  served?.kill();
  if (savedStateDir === undefined) delete process.env.GANTRY_STATE_DIR;
  else process.env.GANTRY_STATE_DIR = savedStateDir;
});

test("--with a file that a gantry serve runs sends its calls there, from the entrypoint and from containers", async () => {
  const peers = runPeers(join(peersDir, "client.ts"), "rt-peer-client", [project.appFile], { color: false })!;
  assert.equal(peers.runtimes.length, 0, "the other app does not run in this process");
  assert.match(peers.lines[0], new RegExp(`calls to app "rt-peer-server" go to gantry serve of .*app\\.ts at ${served.url.replace(/[.]/g, "\\.")}$`));
  rt = await startRuntime("peers/client.ts", { peers: peers.resolver });
  assert.equal(await Cls.fromName<Model>("rt-peer-server", "Model").instance({ prefix: "served" }).generate.remote("hi"), "served: hi");
  assert.equal(await rt.mod.ask.remote("deep"), "nested: deep");
  const shout = Function.fromName<typeof import("../fixtures/peers/server.ts").shout>("rt-peer-server", "shout");
  const call = await shout.spawn("later");
  assert.equal(await call.get(), "LATER");
  const boom = Function.fromName<typeof import("../fixtures/peers/server.ts").boom>("rt-peer-server", "boom");
  await assert.rejects(boom.remote("served"), (err: Error) => err.name === "RangeError" && err.message === "server says no: served");
  // the calls ran in the server's pools
  const status = await (await fetch(`${served.url}/_gantry/ops/status`, { headers: { authorization: `Bearer ${opsToken()}` } })).json() as { pools: Array<{ declaration: string }> };
  assert.deepEqual([...new Set(status.pools.map((p) => p.declaration))].sort(), ["Model", "boom", "shout"]);
});

test("without --with, a gantry serve of the app in this project is found by app name", async () => {
  const peer = servedPeers(stateDir)("rt-peer-server");
  assert.ok(peer);
  assert.equal(peer.app, "rt-peer-server");
  assert.equal(servedPeers(stateDir)("no-such-app"), undefined);
});

test("the call route needs the server record's token", async () => {
  const packr = new Packr({ useRecords: false, moreTypes: false });
  const body = packr.pack({ op: "remote", id: "x", target: { app: "rt-peer-server", name: "shout" }, a: new Uint8Array() });
  const denied = await fetch(`${served.url}/_gantry/calls`, { method: "POST", body, headers: { authorization: "Bearer endpoint-token" } });
  assert.equal(denied.status, 401, "the endpoints' bearer token is not the operations token");
  const bad = await fetch(`${served.url}/_gantry/calls`, { method: "POST", body: "not msgpack", headers: { authorization: `Bearer ${opsToken()}` } });
  assert.equal(bad.status, 400);
});
