/**
 * Reliability with real processes: container processes (the bundled container entry) over the
 * SQS stand-in, dynalite and s3rver, killed and stopped the way ECS and spot capacity do it.
 * No timing thresholds: every wait is bounded, and each assertion is about what happened.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setInvoker } from "../../../sdk/invoker.ts";
import { Cls } from "../../../sdk/index.ts";
import { importApp } from "../../../runtime/worker/target.ts";
import { decodeValue } from "../../../runtime/serialize.ts";
import { startLocalAws, type LocalAws } from "./fixtures/local-aws.ts";
import { Fleet, eventually, terminate } from "./fixtures/fleet.ts";

const APP = fileURLToPath(new URL("./fixtures/process-app.ts", import.meta.url));
const mod = (await import(APP)) as typeof import("./fixtures/process-app.ts");

let aws: LocalAws;
let fleet: Fleet;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "gantry-reliability-"));
  aws = await startLocalAws();
  fleet = await Fleet.start(aws, APP, {
    visibilityTimeout: 3,
    env: { RELIABILITY_DIR: dir },
    units: {
      // a long visibility timeout: only an explicit release can bring these inputs back quickly
      Drainer: { env: { GANTRY_VISIBILITY_TIMEOUT: "120" } },
    },
  });
  setInvoker(fleet.invoker());
  await importApp(APP, "process-tests");
});

after(async () => {
  setInvoker(undefined);
  await fleet?.stop();
  await aws?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a 1,000-input map survives workers killed with SIGKILL at random: every result arrives, each once", { timeout: 240_000 }, async () => {
  fleet.scale("Squarer", 3);
  const xs = Array.from({ length: 1000 }, (_, i) => i);
  let done = false;
  const mapping = Cls.of(mod.Squarer).instance().square.map(xs).then((out) => {
    done = true;
    return out;
  });
  const killed: number[] = [];
  // like spot reclaims and OOM kills: no SIGTERM, no drain; ECS (the fleet) starts replacements
  await eventually(() => existsSync(join(dir, "square-active")), "the first inputs to run", 60_000);
  for (let i = 0; i < 8 && !done; i++) {
    await sleep(150 + Math.floor(Math.random() * 250));
    // a container in the middle of an input (an idle one would prove nothing about redelivery)
    const active = readdirSync(join(dir, "square-active"));
    const running = fleet.running("Squarer").filter((c) => active.some((f) => f.startsWith(`${c.pid}-`)));
    if (running.length === 0 || done) continue;
    const victim = running[Math.floor(Math.random() * running.length)];
    victim.child.kill("SIGKILL");
    killed.push(victim.pid);
  }
  const results = await mapping;

  assert.deepEqual(results, xs.map((x) => x * x), "every result, in order");
  assert.ok(killed.length >= 3, `containers killed: ${killed.length}`);
  for (const pid of killed) {
    const c = fleet.all.find((k) => k.pid === pid)!;
    assert.equal((await c.exited).signal, "SIGKILL");
  }
  // at-least-once: inputs in flight on killed containers ran again...
  const runs = readFileSync(join(dir, "square-runs"), "utf8").trim().split("\n").map(Number);
  assert.ok(runs.length > xs.length, `runs: ${runs.length} (some inputs were interrupted and ran again)`);
  assert.deepEqual([...new Set(runs)].sort((a, b) => a - b), xs);
  // ...yet each call has exactly one result, written once
  const items = (await aws.scanResults()).filter((i) => i.function === "Squarer");
  assert.equal(items.length, xs.length);
  assert.ok(items.every((i) => i.status === "ok"));
  const values = items.map((i) => decodeValue(i.value) as number).sort((a, b) => a - b);
  assert.deepEqual(values, xs.map((x) => x * x));
  await fleet.stopUnit("Squarer");
});

test("SIGTERM in the middle of a batch: the batch is drained, @exit runs, the container exits 0, queued inputs wait for the next one", { timeout: 120_000 }, async () => {
  const [first] = fleet.scale("Drainer", 1);
  const drainer = Cls.of(mod.Drainer).instance();
  const batch = [1, 2, 3, 4].map((x) => drainer.slow.remote(x));
  await eventually(() => existsSync(join(dir, `batch-started-${first.pid}`)), "the batch to start", 60_000);
  // queued behind the full batch: this container must not take them any more
  const later = [5, 6].map((x) => drainer.slow.remote(x));
  fleet.unit("Drainer").desired = 0;
  const { code, signal } = await terminate(first, 60_000);
  assert.equal(signal, null);
  assert.equal(code, 0);
  assert.deepEqual(await Promise.all(batch), [1, 2, 3, 4].map((x) => `${x}@${first.pid}`), "the running batch finished during the drain");
  assert.ok(existsSync(join(dir, `exit-${first.pid}`)), "@exit ran");
  const logs = first.logs();
  assert.ok(logs.some((l) => l.msg === "stopping: no new inputs, draining" && l.reason === "SIGTERM"));
  assert.ok(logs.some((l) => l.msg === "worker stopped" && l.exit === "stopped"));
  // the next container takes what was still queued
  const [second] = fleet.scale("Drainer", 1);
  assert.deepEqual(await Promise.all(later), [5, 6].map((x) => `${x}@${second.pid}`));
  await fleet.stopUnit("Drainer");
});

test("SIGTERM with a batch longer than the drain budget: its inputs are made visible again at once and run elsewhere", { timeout: 120_000 }, async () => {
  // the visibility timeout is 120 s: without the release these inputs would wait that long
  const [first] = fleet.scale("Drainer", 1, { GANTRY_DRAIN_SECONDS: "0.5", BATCH_MS: "4000" });
  const drainer = Cls.of(mod.Drainer).instance();
  const calls = [11, 12].map((x) => drainer.slow.remote(x));
  await eventually(() => existsSync(join(dir, `batch-started-${first.pid}`)), "the batch to start", 60_000);
  fleet.unit("Drainer").desired = 0;
  const { code } = await terminate(first, 60_000);
  assert.equal(code, 0);
  assert.ok(existsSync(join(dir, `exit-${first.pid}`)), "@exit ran");
  assert.ok(first.logs().some((l) => l.msg === "making unfinished inputs visible again" && l.count === 2));
  const [second] = fleet.scale("Drainer", 1, { GANTRY_DRAIN_SECONDS: "30", BATCH_MS: "100" });
  assert.deepEqual(await Promise.all(calls), [11, 12].map((x) => `${x}@${second.pid}`));
  await fleet.stopUnit("Drainer");
});

test("a poison input is dead-lettered after its retries, with its error", { timeout: 120_000 }, async () => {
  fleet.scale("poison", 1);
  await assert.rejects(mod.poison.remote(13), (err: Error) => {
    assert.equal(err.name, "PoisonError");
    assert.equal(err.message, "bad input 13");
    return true;
  });
  assert.equal(readFileSync(join(dir, "poison-13"), "utf8").trim().split("\n").length, 3, "1 attempt + 2 retries");
  const queues = await eventually(async () => {
    const q = await aws.dumpQueues();
    return q["poison-dlq"]?.messages.length === 1 ? q : null;
  }, "the dead-letter message");
  const dead = queues["poison-dlq"].messages[0];
  assert.equal(JSON.parse(dead.body).function, "poison", "the original message");
  assert.deepEqual(JSON.parse(dead.attributes["gantry.error"].StringValue!), { name: "PoisonError", message: "bad input 13" });
  assert.equal(dead.attributes["gantry.attempts"].StringValue, "3");
  assert.equal(queues.poison.messages.length, 0, "gone from the input queue");
  const [item] = (await aws.scanResults()).filter((i) => i.function === "poison");
  assert.equal(item.status, "error");
  assert.equal(item.attempt, 3);
  await fleet.stopUnit("poison");
});

test("an input that kills its container every time ends with ContainerCrashedError and is dead-lettered", { timeout: 180_000 }, async () => {
  fleet.scale("crasher", 1);
  await assert.rejects(mod.crasher.remote(), (err: Error) => {
    assert.equal(err.name, "ContainerCrashedError");
    assert.match(err.message, /crasher: the input was delivered 5 times and 4 of them never finished/);
    return true;
  });
  assert.equal(readFileSync(join(dir, "crasher"), "utf8").trim().split("\n").length, 4, "ran 4 times, then stopped");
  const queues = await eventually(async () => {
    const q = await aws.dumpQueues();
    return q["crasher-dlq"]?.messages.length === 1 ? q : null;
  }, "the dead-letter message");
  assert.equal(JSON.parse(queues["crasher-dlq"].messages[0].attributes["gantry.error"].StringValue!).name, "ContainerCrashedError");
  assert.equal(queues["crasher-dlq"].redriven, 0, "dead-lettered by gantry with its error, not by SQS's redrive");
  await fleet.stopUnit("crasher");
});
