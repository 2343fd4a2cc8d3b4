/**
 * The Redis transport in the test process against a real redis-server: what the keys hold after
 * each delivery rule (duplicates, the retry set, dead letters, the crash limit, cancel, hand-back)
 * and what `updateAutoscaler` stores. Process-level behaviour (kill -9, SIGTERM) is in
 * reliability.test.ts and the conformance suite.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { int, type RedisConnection, type Reply } from "../../../runtime/redis/client.ts";
import { callKeys, WORK_GROUP } from "../../../runtime/redis/keys.ts";
import { parseCallId } from "../../../runtime/redis/wire.ts";
import { readAutoscalerSettings } from "../../../runtime/redis/autoscaler.ts";
import { importApp } from "../../../runtime/worker/target.ts";
import { startRedis, type LocalRedis } from "./fixtures/redis-server.ts";
import { startWorker, target, unitOf, WORKER_APP } from "./fixtures/worker.ts";
import { events } from "./fixtures/worker-app.ts";

let redis: LocalRedis;
let admin: RedisConnection;

before(async () => {
  redis = await startRedis();
  admin = await redis.admin();
  await importApp(WORKER_APP, "redis-worker");
});

after(async () => {
  await redis?.stop();
});

/** Bounded polling: the test's own timeout is the bound. */
async function until<T>(check: () => T | Promise<T>, what: string): Promise<NonNullable<T>> {
  for (let i = 0; i < 1500; i++) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`not reached: ${what}`);
}

const runsOf = (prefix: string) => events.filter((e) => e.startsWith(prefix)).length;

async function pendingCount(work: string): Promise<number> {
  const summary = await admin.cmd<Reply[]>(["XPENDING", work, WORK_GROUP]);
  return int(summary[0]);
}

async function serverMs(): Promise<number> {
  const [s, us] = await admin.cmd<[string, string]>(["TIME"]);
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

test("duplicate deliveries: an entry of a call that ended is dropped without running; a call delivered twice runs once and has one result", async () => {
  const u = unitOf(redis.url, "count");
  // two entries for one pending call, before any worker runs
  const id = await u.invoker.spawn(target("count"), ["dup-1"]);
  const { local } = parseCallId(id);
  await admin.cmd(["XADD", u.keys.work, "*", "call", local]);
  const w = await startWorker(u.config);
  try {
    assert.equal(await u.invoker.result(id, {}), 1);
    await until(() => w.transport.stats.duplicates >= 1, "the second entry dropped");
    assert.equal(runsOf("count dup-1 "), 1);
    // and once more after the call ended
    await admin.cmd(["XADD", u.keys.work, "*", "call", local]);
    await until(() => w.transport.stats.duplicates >= 2, "the late duplicate dropped");
    assert.equal(runsOf("count dup-1 "), 1);
    // the first result stays: a cancel after the end changes nothing
    await u.invoker.cancel(id);
    assert.equal(await u.invoker.result(id, {}), 1);
    assert.equal(int(await admin.cmd(["XLEN", u.keys.work])), 0, "ended deliveries leave the stream");
    assert.equal(await pendingCount(u.keys.work), 0);
  } finally {
    await w.stop();
    await u.invoker.close();
  }
});

test("retries: a failed attempt waits in the retry set for its backoff, then runs again", async () => {
  const u = unitOf(redis.url, "flaky", { retries: { maxRetries: 2, initialDelay: 3, backoffCoefficient: 2, maxDelay: 60 } });
  const w = await startWorker(u.config);
  try {
    const t0 = await serverMs();
    const id = await u.invoker.spawn(target("flaky"), ["r1", 1]);
    const { local } = parseCallId(id);
    const score = await until(() => admin.cmd<string | null>(["ZSCORE", u.keys.retry, local]), "the retry to be scheduled");
    assert.ok(Number(score) >= t0 + 3000, `due ${Number(score) - t0} ms after the call, not before the 3 s backoff`);
    const call = callKeys(u.keys, local).call;
    assert.equal(await admin.cmd(["HGET", call, "failures"]), "1");
    assert.match(String(await admin.cmd(["HGET", call, "lastError"])), /r1 failure 1/);
    assert.equal(await u.invoker.result(id, {}), 2);
    assert.equal(int(await admin.cmd(["ZCARD", u.keys.retry])), 0);
  } finally {
    await w.stop();
    await u.invoker.close();
  }
});

test("dead letters: after its retries the last error is the call's result and the call is on the dead stream", async () => {
  const u = unitOf(redis.url, "flaky", { retries: { maxRetries: 1, initialDelay: 0 } });
  const w = await startWorker(u.config);
  try {
    const id = await u.invoker.spawn(target("flaky"), ["p1", 99]);
    await assert.rejects(u.invoker.result(id, {}), (err: Error) => err.name === "RangeError" && err.message === "p1 failure 2");
    const dead = await admin.cmd<Array<[string, string[]]>>(["XRANGE", u.keys.dead, "-", "+"]);
    assert.equal(dead.length, 1);
    const fields = Object.fromEntries(dead[0][1].flatMap((v, i, a) => (i % 2 ? [] : [[v, a[i + 1]]])));
    assert.equal(fields.call, parseCallId(id).local);
    assert.deepEqual(JSON.parse(fields.error), { name: "RangeError", message: "p1 failure 2" });
    assert.equal(fields.attempts, "2");
    // the arguments stay with a dead-lettered call (for a redrive)
    assert.notEqual(await admin.cmd(["HGET", callKeys(u.keys, parseCallId(id).local).call, "args"]), null);
  } finally {
    await w.stop();
    await u.invoker.close();
  }
});

test("crash redelivery: an entry a dead consumer held is claimed after the claim idle time; past the crash limit the call fails and is dead-lettered", async () => {
  const u = unitOf(redis.url, "count", { claimIdleMs: 300 });
  // a consumer that reads and dies (never acks, never heartbeats)
  const ghostRead = () => admin.cmd(["XREADGROUP", "GROUP", WORK_GROUP, "ghost", "COUNT", "1", "STREAMS", u.keys.work, ">"]);
  const survivor = await u.invoker.spawn(target("count"), ["crash-ok"]);
  await ghostRead();
  // three earlier deliveries crashed: one more redelivery is allowed
  await admin.cmd(["HSET", callKeys(u.keys, parseCallId(survivor).local).call, "deliveries", "3"]);
  const doomed = await u.invoker.spawn(target("count"), ["crash-limit"]);
  await ghostRead();
  // four crashed: the next delivery ends it
  await admin.cmd(["HSET", callKeys(u.keys, parseCallId(doomed).local).call, "deliveries", "4"]);
  const w = await startWorker(u.config);
  try {
    assert.equal(await u.invoker.result(survivor, {}), 1);
    await assert.rejects(u.invoker.result(doomed, {}), (err: Error) => {
      assert.equal(err.name, "ContainerCrashedError");
      assert.match(err.message, /delivered 5 times and 4 of them never finished/);
      return true;
    });
    assert.equal(runsOf("count crash-limit "), 0, "the doomed call never ran again");
    assert.ok(w.transport.stats.claimed >= 2);
    const dead = await admin.cmd<Array<[string, string[]]>>(["XRANGE", u.keys.dead, "-", "+"]);
    assert.deepEqual(dead.map(([, f]) => f[1]), [parseCallId(doomed).local]);
    assert.equal(await pendingCount(u.keys.work), 0);
  } finally {
    await w.stop();
    await u.invoker.close();
  }
});

test("cancel: a queued call never runs; a running one is dropped when it ends; both read InputCancelledError", async () => {
  const u = unitOf(redis.url, "hold");
  const queued = await u.invoker.spawn(target("hold"), ["c1", 10]);
  await u.invoker.cancel(queued);
  const w = await startWorker(u.config);
  try {
    await assert.rejects(u.invoker.result(queued, {}), (err: Error) => err.name === "InputCancelledError");
    await until(() => w.transport.stats.duplicates >= 1, "the cancelled entry dropped");
    assert.equal(runsOf("hold c1 "), 0);
    const running = await u.invoker.spawn(target("hold"), ["c2", 1500]);
    await until(() => events.includes("hold c2 start"), "the call to start");
    await u.invoker.cancel(running);
    await assert.rejects(u.invoker.result(running, {}), (err: Error) => err.name === "InputCancelledError");
    await until(() => events.includes("hold c2 end"), "the run to end");
    await until(async () => (await pendingCount(u.keys.work)) === 0, "the entry acknowledged");
    await assert.rejects(u.invoker.result(running, {}), (err: Error) => err.name === "InputCancelledError", "the run's own result was dropped");
    assert.equal(int(await admin.cmd(["XLEN", u.keys.dead])), 0, "a cancel is not a dead letter");
  } finally {
    await w.stop();
    await u.invoker.close();
  }
});

test("hand-back: a worker stopped with an input past its drain budget hands it back at once; another worker finishes it", async () => {
  const u = unitOf(redis.url, "hold");
  const a = await startWorker(u.config, "worker-a");
  const id = await u.invoker.spawn(target("hold"), ["h1", 2000]);
  const { local } = parseCallId(id);
  await until(() => events.includes("hold h1 start"), "the call to start");
  assert.equal(await a.stop(50), "stopped");
  assert.equal(await admin.cmd(["HGET", callKeys(u.keys, local).call, "released"]), "1");
  assert.equal(await pendingCount(u.keys.work), 0, "nothing left pending with the stopped worker");
  const entries = await admin.cmd<Array<[string, string[]]>>(["XRANGE", u.keys.work, "-", "+"]);
  assert.deepEqual(entries.map(([, f]) => f), [["call", local]], "a fresh entry, ready for another worker");
  const consumers = await admin.cmd<Reply[][]>(["XINFO", "CONSUMERS", u.keys.work, WORK_GROUP]);
  assert.ok(!consumers.some((c) => c[1] === "worker-a"), "the stopped worker left the group");
  const b = await startWorker(u.config, "worker-b");
  try {
    assert.equal(await u.invoker.result(id, {}), 2000);
    assert.equal(runsOf("hold h1 start"), 2);
  } finally {
    await b.stop();
    await u.invoker.close();
  }
});

test("updateAutoscaler stores the settings given in the unit's autoscaler hash; bad settings are refused", async () => {
  const u = unitOf(redis.url, "count");
  try {
    await u.invoker.updateAutoscaler(target("count"), { minContainers: 1, maxContainers: 4 });
    await u.invoker.updateAutoscaler(target("count"), { scaledownWindow: 90 });
    const stored = await readAutoscalerSettings(admin, u.keys);
    assert.equal(stored.minContainers, 1);
    assert.equal(stored.maxContainers, 4);
    assert.equal(stored.scaledownWindow, 90);
    assert.equal(stored.bufferContainers, undefined);
    assert.ok((stored.updatedAt ?? 0) > 0);
    await assert.rejects(u.invoker.updateAutoscaler(target("count"), { minContainers: 5, maxContainers: 2 }), /minContainers \(5\) is more than maxContainers \(2\)/);
    await assert.rejects(u.invoker.updateAutoscaler(target("count"), { maxContainers: 1.5 }), /maxContainers must be a whole number/);
  } finally {
    await u.invoker.close();
  }
});
