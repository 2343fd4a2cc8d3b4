/**
 * Reliability with real processes on the Redis transport: container processes (the bundled
 * container entry) over a real redis-server, killed and stopped the way Kubernetes does it
 * (SIGKILL for an OOM kill or a lost node, SIGTERM then SIGKILL for a scale-in or a rollout).
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
import { decodeEnvelope } from "../../../runtime/redis/wire.ts";
import { globPrefix, unitKeys } from "../../../runtime/redis/keys.ts";
import type { RedisConnection } from "../../../runtime/redis/client.ts";
import { startRedis, type LocalRedis } from "./fixtures/redis-server.ts";
import { RedisFleet, eventually, terminate } from "./fixtures/fleet.ts";

const APP = fileURLToPath(new URL("../aws/fixtures/process-app.ts", import.meta.url));
const mod = (await import(APP)) as typeof import("../aws/fixtures/process-app.ts");

let redis: LocalRedis;
let admin: RedisConnection;
let fleet: RedisFleet;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "gantry-redis-reliability-"));
  redis = await startRedis();
  admin = await redis.admin();
  fleet = await RedisFleet.start(APP, {
    url: redis.url,
    claimIdleSeconds: 2,
    env: { RELIABILITY_DIR: dir },
    // a long claim idle time: only an explicit hand-back can bring these inputs back quickly
    units: { Drainer: { env: { GANTRY_CLAIM_IDLE_SECONDS: "120" } } },
  });
  setInvoker(fleet.invoker());
  await importApp(APP, "process-tests");
});

after(async () => {
  setInvoker(undefined);
  await fleet?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every stored result of a unit: call local id -> envelope. */
async function resultsOf(unit: string) {
  const prefix = `${unitKeys(fleet.namespace, unit).prefix}result:`;
  const out = new Map<string, ReturnType<typeof decodeEnvelope>>();
  let cursor = "0";
  do {
    const [next, keys] = await admin.cmd<[string, string[]]>(["SCAN", cursor, "MATCH", globPrefix(prefix), "COUNT", "1000"]);
    cursor = next;
    for (const key of keys) out.set(key.slice(prefix.length), decodeEnvelope((await admin.bytes(["GET", key])) as Buffer));
  } while (cursor !== "0");
  return out;
}

async function deadOf(unit: string) {
  const entries = await admin.cmd<Array<[string, string[]]>>(["XRANGE", unitKeys(fleet.namespace, unit).dead, "-", "+"]);
  return entries.map(([, f]) => Object.fromEntries(f.flatMap((v, i, a) => (i % 2 ? [] : [[v, a[i + 1]]]))) as Record<string, string>);
}

test("a 1,000-input map survives workers killed with SIGKILL at random: every result arrives, each once", { timeout: 240_000 }, async () => {
  fleet.scale("Squarer", 3);
  const xs = Array.from({ length: 1000 }, (_, i) => i);
  let done = false;
  const mapping = Cls.of(mod.Squarer).instance().square.map(xs).then((out) => {
    done = true;
    return out;
  });
  const killed: number[] = [];
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
  // at-least-once: inputs in flight on killed containers ran again...
  const runs = readFileSync(join(dir, "square-runs"), "utf8").trim().split("\n").map(Number);
  assert.ok(runs.length > xs.length, `runs: ${runs.length} (some inputs were interrupted and ran again)`);
  assert.deepEqual([...new Set(runs)].sort((a, b) => a - b), xs);
  // ...yet each call has exactly one result
  const stored = await resultsOf("Squarer");
  assert.equal(stored.size, xs.length);
  const values = [...stored.values()].map((e) => {
    assert.equal(e.status, "ok");
    return decodeValue(e.value as Uint8Array) as number;
  });
  assert.deepEqual(values.sort((a, b) => a - b), xs.map((x) => x * x));
  assert.equal(await admin.cmd(["XLEN", unitKeys(fleet.namespace, "Squarer").work]), 0, "nothing left on the stream");
  await fleet.stopUnit("Squarer");
});

test("SIGTERM in the middle of a batch: the batch is drained, @exit runs, the container exits 0, queued inputs wait for the next one", { timeout: 120_000 }, async () => {
  const [first] = fleet.scale("Drainer", 1);
  const drainer = Cls.of(mod.Drainer).instance();
  const batch = [1, 2, 3, 4].map((x) => drainer.slow.remote(x));
  await eventually(() => existsSync(join(dir, `batch-started-${first.pid}`)), "the batch to start", 60_000);
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
  const [second] = fleet.scale("Drainer", 1);
  assert.deepEqual(await Promise.all(later), [5, 6].map((x) => `${x}@${second.pid}`));
  await fleet.stopUnit("Drainer");
});

test("SIGTERM with a batch longer than the drain budget: its inputs are handed back at once and run elsewhere", { timeout: 120_000 }, async () => {
  // the claim idle time is 120 s: without the hand-back these inputs would wait that long
  const [first] = fleet.scale("Drainer", 1, { GANTRY_DRAIN_SECONDS: "0.5", BATCH_MS: "4000" });
  const drainer = Cls.of(mod.Drainer).instance();
  const calls = [11, 12].map((x) => drainer.slow.remote(x));
  await eventually(() => existsSync(join(dir, `batch-started-${first.pid}`)), "the batch to start", 60_000);
  fleet.unit("Drainer").desired = 0;
  const { code } = await terminate(first, 60_000);
  assert.equal(code, 0);
  assert.ok(existsSync(join(dir, `exit-${first.pid}`)), "@exit ran");
  assert.ok(first.logs().some((l) => l.msg === "handing unfinished inputs back" && l.count === 2));
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
  const [dead] = await deadOf("poison");
  assert.deepEqual(JSON.parse(dead.error), { name: "PoisonError", message: "bad input 13" });
  assert.equal(dead.attempts, "3");
  const [result] = (await resultsOf("poison")).values();
  assert.equal(result.status, "error");
  assert.equal(result.attempt, 3);
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
  const dead = await deadOf("crasher");
  assert.equal(dead.length, 1);
  assert.equal(JSON.parse(dead[0].error).name, "ContainerCrashedError");
  await fleet.stopUnit("crasher");
});
