/**
 * The Redis users the stack creates, against a real redis-server 7 started on a random port with
 * the very ACL file the deployed server mounts (provider/kubernetes/redis.ts): the default user is
 * off, a unit reaches its own keys and is refused (NOPERM) on another unit's, KEDA's user can read
 * what its scalers read (including the `redis` scaler's EVAL on a retry set) and write nothing.
 * Then a small KEDA emulator: the generated ScaledObject's formula over live XINFO GROUPS / XPENDING
 * / ZCARD numbers wakes a unit on one input and keeps it above zero while an entry is pending.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connect } from "node:net";
import { createClient } from "redis";
import { unitKeys, WORK_GROUP } from "../../../runtime/redis/keys.ts";
import { aclFile, kedaUser, passwordOf, redisConf, unitUser, type RedisConnection, type RedisUser } from "../../../provider/kubernetes/redis.ts";
import { scaledObjectSpec } from "../../../provider/kubernetes/scaling.ts";
import { unitsOf } from "../../../provider/kubernetes/units.ts";
import { app, fn } from "../fixtures/specs.ts";

const NS = "acl-test.dev";
const SEED = "test-seed";
const embed = unitUser(NS, "embed", { unit: "embed", calls: [], dicts: ["cache"], queues: [] });
const square = unitUser(NS, "square", { unit: "square", calls: ["embed"], dicts: [], queues: [] });
const keda = kedaUser(NS, ["embed", "square"]);
const USERS: RedisUser[] = [embed, square, keda];

let server: ChildProcess;
let port: number;

async function startRedis(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "gantry-acl-"));
  const passwords = new Map(USERS.map((u) => [u.name, passwordOf(SEED, NS, u.name)]));
  writeFileSync(join(dir, "users.acl"), aclFile(USERS, passwords));
  // the deployed server's own redis.conf, with the test's port, directory and ACL file
  const conf = redisConf(64 * 2 ** 20).replace(/^port .*$/m, "").replace(/^dir .*$/m, `dir ${dir}`).replace(/^aclfile .*$/m, `aclfile ${join(dir, "users.acl")}`);
  writeFileSync(join(dir, "redis.conf"), conf);
  for (let attempt = 0; attempt < 5; attempt++) {
    port = 20000 + Math.floor(Math.random() * 30000);
    server = spawn("redis-server", [join(dir, "redis.conf"), "--port", String(port), "--bind", "127.0.0.1"], { stdio: ["ignore", "pipe", "pipe"] });
    const ready = await new Promise<boolean>((resolve) => {
      let out = "";
      server.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("Ready to accept connections")) resolve(true);
      });
      server.on("exit", () => resolve(false));
    });
    if (ready) return;
  }
  throw new Error("redis-server did not start");
}

async function as(user: RedisUser | null) {
  const client = createClient({ url: `redis://127.0.0.1:${port}`, ...(user ? { username: user.name, password: passwordOf(SEED, NS, user.name) } : {}) });
  client.on("error", () => {});
  await client.connect();
  return client;
}

async function refused(p: Promise<unknown>, code: RegExp): Promise<void> {
  await assert.rejects(p, (err: Error) => code.test(err.message));
}

/** What KEDA's `redis` scaler asks: the key's type, then its size with the matching command. */
const COUNT_SCRIPT = "local t = redis.call('TYPE', KEYS[1])['ok']; if t == 'zset' then return redis.call('ZCARD', KEYS[1]) end; return redis.call('LLEN', KEYS[1])";

before(startRedis);
after(() => {
  server?.kill("SIGKILL");
});

describe("Redis users of the stack (real redis-server, the deployed ACL file)", () => {
  it("the default user is off: without a user nothing runs", async () => {
    const socket = connect(port, "127.0.0.1");
    socket.write("PING\r\nGET x\r\n");
    let reply = "";
    for await (const chunk of socket) {
      reply += String(chunk);
      if (reply.split("\r\n").length > 2) break;
    }
    socket.destroy();
    assert.match(reply, /^-NOAUTH .*\r\n-NOAUTH /);
  });

  it("a unit runs its transport's commands on its own keys and those of the units it calls", async () => {
    const e = await as(embed);
    const k = unitKeys(NS, "embed");
    await e.xGroupCreate(k.work, WORK_GROUP, "0", { MKSTREAM: true });
    await e.xAdd(k.work, "*", { call: "{}" });
    const read = await e.xReadGroup(WORK_GROUP, "pod-1", { key: k.work, id: ">" }, { COUNT: 1 });
    assert.equal((read as Array<{ messages: unknown[] }>)[0].messages.length, 1);
    await e.zAdd(k.retry, { score: 1, value: "x" });
    await e.set(`${k.prefix}result:1`, "r", { NX: true, PX: 1000 });
    await e.hSet(`gantry:{${NS}:dict:cache}`, "a", "1");
    const s = await as(square);
    await s.xAdd(k.work, "*", { call: "{}" });
    await Promise.all([e.quit(), s.quit()]);
  });

  it("a unit is refused (NOPERM) on another unit's keys, on Dicts it does not use, and admin commands", async () => {
    const e = await as(embed);
    const other = unitKeys(NS, "square");
    await refused(e.xAdd(other.work, "*", { call: "{}" }), /NOPERM/);
    await refused(e.get(`${other.prefix}result:1`), /NOPERM/);
    await refused(e.zAdd(other.retry, { score: 1, value: "x" }), /NOPERM/);
    await refused(e.hSet(`gantry:{${NS}:dict:other}`, "a", "1"), /NOPERM/);
    await refused(e.sendCommand(["FLUSHALL"]), /NOPERM/);
    await refused(e.sendCommand(["ACL", "SETUSER", "x", "on"]), /NOPERM/);
    await e.quit();
  });

  it("KEDA's user reads what the scalers read (INFO, XINFO GROUPS, XPENDING, XLEN, the count script on a retry set) and writes nothing", async () => {
    const kd = await as(keda);
    const k = unitKeys(NS, "embed");
    assert.match(String(await kd.info()), /redis_version:7/);
    const groups = await kd.sendCommand(["XINFO", "GROUPS", k.work]);
    assert.ok(Array.isArray(groups) && groups.length === 1);
    assert.ok(Array.isArray(await kd.sendCommand(["XPENDING", k.work, WORK_GROUP])));
    assert.equal(typeof (await kd.xLen(k.work)), "number");
    assert.equal(await kd.eval(COUNT_SCRIPT, { keys: [k.retry] }), 1);
    await refused(kd.xAdd(k.work, "*", { call: "{}" }), /NOPERM/);
    await refused(kd.eval("return redis.call('ZADD', KEYS[1], 1, 'y')", { keys: [k.retry] }), /can't run this command/);
    await refused(kd.eval(COUNT_SCRIPT, { keys: [k.work] }), /NOPERM/);
    await refused(kd.get(`${k.prefix}result:1`), /NOPERM/);
    await kd.quit();
  });
});

describe("KEDA emulator: the ScaledObject's formula over live numbers", () => {
  const spec = app({ functions: [fn("square", 1, { maxContainers: 4, bufferContainers: 0 })] });
  const unit = unitsOf(spec)[0];
  const conn: RedisConnection = { url: "redis://x:6379", address: "x:6379", tls: false, databaseIndex: 0, keyNamespace: NS, cliImage: "redis" };
  const so = scaledObjectSpec(unit, conn);
  const modifiers = so.advanced.scalingModifiers as { formula: string; target: string; activationTarget: string };
  // expr-lang's arithmetic, comparison and ternary read the same in JavaScript
  const formula = new Function("lag", "pending", "retry", `return ${modifiers.formula};`) as (lag: number, pending: number, retry: number) => number;

  /** What KEDA computes each polling interval: the numbers its triggers read, as KEDA's user. */
  async function observe(): Promise<{ value: number; active: boolean; replicas: number }> {
    const kd = await as(keda);
    const k = unitKeys(NS, "square");
    // node-redis answers XINFO GROUPS as one map per group (RESP3), a flat list per group on RESP2
    const groups = (await kd.sendCommand(["XINFO", "GROUPS", k.work])) as Array<unknown[] | Record<string, unknown>>;
    const group = groups.map((g) => (Array.isArray(g) ? Object.fromEntries(chunk(g)) : g)).find((g) => g.name === WORK_GROUP)!;
    assert.notEqual(group.lag, null, "lag is never NULL (KEDA stops scaling from zero)");
    const pending = Number(((await kd.sendCommand(["XPENDING", k.work, WORK_GROUP])) as unknown[])[0]);
    const retry = Number(await kd.eval(COUNT_SCRIPT, { keys: [k.retry] }));
    await kd.quit();
    const value = formula(Number(group.lag), pending, retry);
    const active = value > Number(modifiers.activationTarget);
    const replicas = active ? Math.min(so.maxReplicaCount, Math.max(1, Math.ceil(value / Number(modifiers.target)))) : so.minReplicaCount;
    return { value, active, replicas };
  }

  it("one input wakes the unit from zero; a pending entry keeps it up; done, it may go to zero", async () => {
    assert.equal(so.minReplicaCount, 0);
    assert.equal(modifiers.activationTarget, "0");
    const s = await as(square);
    const k = unitKeys(NS, "square");
    await s.xGroupCreate(k.work, WORK_GROUP, "0", { MKSTREAM: true });
    assert.deepEqual(await observe(), { value: 0, active: false, replicas: 0 });
    const id = await s.xAdd(k.work, "*", { call: "{}" });
    assert.deepEqual(await observe(), { value: 1, active: true, replicas: 1 }, "one input activates");
    await s.xReadGroup(WORK_GROUP, "pod-1", { key: k.work, id: ">" }, { COUNT: 1 });
    assert.deepEqual(await observe(), { value: 1, active: true, replicas: 1 }, "read, not acknowledged: still counted");
    // a retry waiting out its backoff also keeps the unit up
    await s.xAck(k.work, WORK_GROUP, id);
    await s.xDel(k.work, id);
    await s.zAdd(k.retry, { score: Date.now() + 60_000, value: "call-1" });
    assert.deepEqual(await observe(), { value: 1, active: true, replicas: 1 }, "a retry in its backoff");
    await s.zRem(k.retry, "call-1");
    assert.deepEqual(await observe(), { value: 0, active: false, replicas: 0 }, "nothing left: back to zero");
    for (let i = 0; i < 5; i++) await s.xAdd(k.work, "*", { call: "{}" });
    assert.equal((await observe()).replicas, 4, "five inputs of one per pod, capped at maxContainers 4");
    await s.quit();
  });
});

function chunk(flat: unknown[]): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([String(flat[i]), flat[i + 1]]);
  return out;
}
