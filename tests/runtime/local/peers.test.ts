/**
 * Calling another app locally (issue 14, item 2): `Cls.fromName("rt-peer-server", "Model")` from a
 * client app fails naming the ways to run the other app; with the other app in the same run
 * (`--with`, cli/run-peers.ts) calls go both ways, from the entrypoint and from containers.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Cls, Function } from "gantry";
import { fixturePath, startRuntime, type Started } from "../helpers.ts";
import { runPeers } from "../../../cli/run-peers.ts";
import type { Model } from "../fixtures/peers/server.ts";

type Client = typeof import("../fixtures/peers/client.ts");
const Remote = Cls.fromName<Model>("rt-peer-server", "Model");

describe("a call to an app that is not in the run", () => {
  let rt: Started<Client>;
  before(async () => {
    // a state dir of its own: no gantry serve of rt-peer-server is recorded there
    rt = await startRuntime<Client>("peers/client.ts", { peers: runPeers(fixturePath("peers/client.ts"), "rt-peer-client", [], { color: false })!.resolver });
  });
  after(() => rt.stop());

  test("fails naming --with and gantry serve, from the entrypoint and from a container", async () => {
    const message = /rt-peer-server\.Model: app "rt-peer-server" is not part of this run \(it runs app "rt-peer-client"\)\. To call it locally, either run both apps: gantry run tests\/runtime\/fixtures\/peers\/client\.ts --with <path to rt-peer-server's app file>, or start its dev server first: gantry serve <path to rt-peer-server's app file>/;
    await assert.rejects(Remote.instance({}).generate.remote("x"), message);
    await assert.rejects(rt.mod.ask.remote("x"), message);
  });
});

describe("two apps in one run (--with)", () => {
  let rt: Started<Client>;
  let peers: NonNullable<ReturnType<typeof runPeers>>;
  before(async () => {
    peers = runPeers(fixturePath("peers/client.ts"), "rt-peer-client", [fixturePath("peers/server.ts")], { color: false, output: { stdout: () => {}, stderr: () => {} } })!;
    rt = await startRuntime<Client>("peers/client.ts", { peers: peers.resolver });
    peers.attach(rt.runtime);
  });
  after(async () => {
    await Promise.all(peers.runtimes.map((r) => r.shutdown()));
    await rt.stop();
  });

  test("says where the other app's calls go", () => {
    assert.deepEqual(peers.lines, [`gantry run: calls to app "rt-peer-server" go to ${peers.lines[0].split(" go to ")[1]}`]);
    assert.match(peers.lines[0], /tests\/runtime\/fixtures\/peers\/server\.ts in this run$/);
  });

  test("the entrypoint calls the other app's class and function by name", async () => {
    assert.equal(await Remote.instance({}).generate.remote("hi"), "model: hi");
    const shout = Function.fromName<typeof import("../fixtures/peers/server.ts").shout>("rt-peer-server", "shout");
    assert.equal(await shout.remote("loud"), "LOUD");
    assert.deepEqual(await shout.map(["a", "b"]), ["A", "B"]);
    const call = await shout.spawn("later");
    assert.equal(await call.get(), "LATER");
  });

  test("a container of one app calls the other, which calls back", async () => {
    assert.equal(await rt.mod.ask.remote("deep"), "nested: deep");
    const callBack = Function.fromName<typeof import("../fixtures/peers/server.ts").callBack>("rt-peer-server", "callBack");
    assert.equal(await callBack.remote(21), 42);
  });

  test("errors of the other app's code reach the caller", async () => {
    const boom = Function.fromName<typeof import("../fixtures/peers/server.ts").boom>("rt-peer-server", "boom");
    await assert.rejects(boom.remote("because"), (err: Error) => err.name === "RangeError" && err.message === "server says no: because");
  });
});
