/**
 * runtime/redis/ops.ts against a real redis-server, with a unit's keys written as the transport's
 * scripts leave them (keys.ts, scripts.ts FINISH): `--limit`, a dead letter whose record expired,
 * one whose call is pending again, and the sizes `gantry status` reads.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startRedis, type LocalRedis } from "./fixtures/redis-server.ts";
import { openOpsConnection, type OpsConnection } from "../../../runtime/redis/ops.ts";
import { callKeys, unitKeys, WORK_GROUP } from "../../../runtime/redis/keys.ts";
import type { RedriveEntry } from "../../../runtime/aws/ops/redrive.ts";

const NS = "ops-tests.test";
const keys = unitKeys(NS, "parse");
let redis: LocalRedis;
let ops: OpsConnection;

before(async () => {
  redis = await startRedis();
  ops = await openOpsConnection({ url: redis.url, userHint: "the test user" });
});

after(async () => {
  await ops?.close();
  await redis?.stop();
});

/** A dead-lettered call as FINISH leaves it: its record (with arguments), its failed result, its dead entry. */
async function deadLetter(local: string, record: "kept" | "expired" | "pending" = "kept"): Promise<void> {
  const admin = await redis.admin();
  const k = callKeys(keys, local);
  if (record !== "expired") await admin.cmd(["HSET", k.call, "meta", "{}", "args", "x", "deliveries", "2", "failures", "2", "released", "0", "lastError", "{}"]);
  if (record === "kept") await admin.cmd(["SET", k.result, "failed"]);
  await admin.cmd(["XADD", keys.dead, "*", "call", local, "error", JSON.stringify({ name: "ParseError", message: `bad ${local}` }), "attempts", "2"]);
}

const brief = (entries: RedriveEntry[]) => entries.map((e) => `${e.action} ${e.callId}${e.reason ? `: ${e.reason}` : ""}`);

test("redrive: oldest first, --limit, an expired record and a pending call left; the moved call starts over; status counts it all", async () => {
  await deadLetter("fc-1");
  await deadLetter("fc-2");
  await deadLetter("fc-3", "expired");
  await deadLetter("fc-4", "pending");
  assert.deepEqual(await ops.status(NS, "parse"), { unit: "parse", waiting: 0, running: 0, retrying: 0, deadLettered: 4 });

  const dry = await ops.redrive(NS, { unit: "parse", dryRun: true, ttlMs: 60_000 });
  assert.deepEqual(brief(dry).map((l) => l.split(":")[0]), ["would move parse/fc-1", "would move parse/fc-2", "skipped parse/fc-3", "skipped parse/fc-4"]);
  assert.deepEqual(dry[0].error, { name: "ParseError", message: "bad fc-1" });
  assert.equal(dry[0].attempts, 2);
  assert.ok(dry[0].deadLetteredAt && dry[0].deadLetteredAt <= Date.now());

  const one = await ops.redrive(NS, { unit: "parse", limit: 1, ttlMs: 60_000 });
  assert.deepEqual(brief(one), ["moved parse/fc-1"]);
  const admin = await redis.admin();
  const k1 = callKeys(keys, "fc-1");
  assert.equal(await admin.cmd(["EXISTS", k1.result]), 0, "the failed result is gone");
  assert.deepEqual(await admin.cmd(["HMGET", k1.call, "deliveries", "failures", "released", "lastError", "args"]), ["0", "0", "0", null, "x"], "the attempts start over, the arguments stay");
  assert.ok(Number(await admin.cmd(["PTTL", k1.call])) > 0, "the record lives again");
  const work = (await admin.cmd(["XRANGE", keys.work, "-", "+"])) as Array<[string, string[]]>;
  assert.deepEqual(work.map(([, fields]) => fields), [["call", "fc-1"]]);
  const groups = (await admin.cmd(["XINFO", "GROUPS", keys.work])) as unknown[][];
  assert.deepEqual(groups.map((g) => g[1]), [WORK_GROUP], "the workers' group exists");

  const rest = await ops.redrive(NS, { unit: "parse", ttlMs: 60_000 });
  assert.deepEqual(brief(rest), [
    "moved parse/fc-2",
    "skipped parse/fc-3: its record and arguments expired (results live resultTtlDays): it cannot run again",
    "skipped parse/fc-4: the call is pending again (no stored failure): left in the dead stream",
  ]);
  assert.deepEqual(await ops.status(NS, "parse"), { unit: "parse", waiting: 2, running: 0, retrying: 0, deadLettered: 2 });
  assert.deepEqual(brief(await ops.redrive(NS, { unit: "parse", ttlMs: 60_000 })).map((l) => l.split(":")[0]), ["skipped parse/fc-3", "skipped parse/fc-4"], "nothing moves twice");
});
