/**
 * Least privilege on one shared server: each unit connects as its own ACL user with the rules of
 * runtime/redis/acl.ts. A unit works on its own keys and calls the units it declares calling;
 * another unit's keys are refused with NOPERM, even through a script; KEDA's user reads, never writes.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { RedisConnection } from "../../../runtime/redis/client.ts";
import { kedaAclRules, unitAclRules } from "../../../runtime/redis/acl.ts";
import { callKeys, stateKey, unitKeys } from "../../../runtime/redis/keys.ts";
import { ADMIT } from "../../../runtime/redis/scripts.ts";
import { importApp } from "../../../runtime/worker/target.ts";
import { startRedis, type LocalRedis } from "./fixtures/redis-server.ts";
import { startWorker, target, unitOf, WORKER_APP } from "./fixtures/worker.ts";

const NS = "acl";
let redis: LocalRedis;
const opened: RedisConnection[] = [];

async function as(user: string): Promise<RedisConnection> {
  const c = await RedisConnection.open({ url: redis.url, username: user, password: `pw-${user}` });
  opened.push(c);
  return c;
}

before(async () => {
  redis = await startRedis();
  const admin = await redis.admin();
  const users: Array<[string, string[]]> = [
    // count calls hold; hold calls nobody; both share the Dict "cache"
    ["count", unitAclRules(NS, { unit: "count", calls: ["hold"], dicts: ["cache"], queues: [] })],
    ["hold", unitAclRules(NS, { unit: "hold", calls: [], dicts: ["cache"], queues: [] })],
    ["keda", kedaAclRules(NS)],
  ];
  for (const [user, rules] of users) await admin.cmd(["ACL", "SETUSER", user, "reset", "on", `>pw-${user}`, ...rules]);
  await importApp(WORKER_APP, "redis-worker");
});

after(async () => {
  for (const c of opened) await c.close();
  await redis?.stop();
});

const noperm = (err: Error) => /NOPERM/.test(err.message);

test("a unit's user runs its own worker and calls the units it declares; another unit's keys are NOPERM", { timeout: 60_000 }, async () => {
  const count = unitOf(redis.url, "count", { namespace: NS, connection: { url: redis.url, username: "count", password: "pw-count" } });
  const hold = unitOf(redis.url, "hold", { namespace: NS, connection: { url: redis.url, username: "hold", password: "pw-hold" } });
  const wCount = await startWorker(count.config);
  const wHold = await startWorker(hold.config);
  try {
    // count's own worker, as count's user: the whole delivery path (scripts included) is allowed
    assert.equal(await count.invoker.remote(target("count"), ["acl-1"]), 1);
    // count may call hold (declared); hold may not call count
    assert.equal(await count.invoker.remote(target("hold"), ["acl-2", 1]), 1);
    await assert.rejects(hold.invoker.spawn(target("count"), ["acl-3"]), noperm);
    // both reach the Dict they use
    await count.invoker.dict("cache", { createIfMissing: true }).put("k", 1);
    assert.deepEqual(await hold.invoker.dict("cache", { createIfMissing: true }).get("k"), { found: true, value: 1 });
    await assert.rejects(hold.invoker.dict("other", { createIfMissing: true }).get("k"), noperm);
  } finally {
    await wCount.stop();
    await wHold.stop();
    await count.invoker.close();
    await hold.invoker.close();
  }
});

test("hold's user is refused on count's keys: reads, writes, stream reads and scripts", { timeout: 30_000 }, async () => {
  const c = await as("hold");
  const k = unitKeys(NS, "count");
  const call = callKeys(k, "fc-x");
  await assert.rejects(c.cmd(["GET", call.result]), noperm);
  await assert.rejects(c.cmd(["SET", call.result, "forged"]), noperm);
  await assert.rejects(c.cmd(["XADD", k.work, "*", "call", "fc-x"]), noperm);
  await assert.rejects(c.cmd(["XREADGROUP", "GROUP", "workers", "thief", "COUNT", "1", "STREAMS", k.work, ">"]), noperm);
  await assert.rejects(c.run(ADMIT, [call.call, call.result, k.work], ["0-1"]), noperm);
  await assert.rejects(c.cmd(["KEYS", "*"]), noperm);
  await assert.rejects(c.cmd(["FLUSHALL"]), noperm);
  await assert.rejects(c.cmd(["ACL", "LIST"]), noperm);
  // its own keys are fine
  const own = callKeys(unitKeys(NS, "hold"), "fc-y");
  assert.equal(await c.cmd(["SET", own.result, "mine"]), "OK");
  assert.equal(await c.cmd(["GET", own.result]), "mine");
  await assert.rejects(c.cmd(["GET", stateKey(NS, "queue", "jobs")]), noperm);
});

test("KEDA's user reads stream and sorted-set sizes of every unit and writes nothing", { timeout: 30_000 }, async () => {
  const c = await as("keda");
  const k = unitKeys(NS, "count");
  assert.equal(typeof (await c.cmd(["XLEN", k.work])), "number");
  assert.equal(typeof (await c.cmd(["ZCARD", k.retry])), "number");
  await assert.rejects(c.cmd(["XADD", k.work, "*", "call", "fc-z"]), noperm);
  await assert.rejects(c.cmd(["GET", callKeys(k, "fc-z").result]), noperm);
});
