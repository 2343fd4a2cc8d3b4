/**
 * A Node process outside the cluster, given the Redis URL: a plain script importing the package's
 * sdk (`import { Cls, FunctionCall } from "gantry"`, no runtime attached, GANTRY_REDIS_URL,
 * GANTRY_REDIS_NAMESPACE and the stack's caller user in its environment, with the ACL rules the
 * Kubernetes provider gives that user) calls units served by Redis-transport containers
 * (the bundled container entry, as a pod runs it) over a real redis-server. Each step is its own
 * process and exits by itself: a call spawned by one is collected or cancelled by another.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { setInvoker } from "../../../sdk/invoker.ts";
import { decodeEnvelope, parseCallId } from "../../../runtime/redis/wire.ts";
import { callKeys, unitKeys } from "../../../runtime/redis/keys.ts";
import { RedisConnection } from "../../../runtime/redis/client.ts";
import type { RedisInvoker } from "../../../runtime/redis/invoker.ts";
import { callerUser } from "../../../provider/kubernetes/redis.ts";
import { startRedis, type LocalRedis } from "./fixtures/redis-server.ts";
import { RedisFleet, eventually } from "./fixtures/fleet.ts";

const APP = fileURLToPath(new URL("./fixtures/outside-app.ts", import.meta.url));
const CALLER = fileURLToPath(new URL("./fixtures/outside-caller.mjs", import.meta.url));
const exec = promisify(execFile);

let redis: LocalRedis;
let admin: RedisConnection;
let fleet: RedisFleet;
let inside: RedisInvoker;
let callerEnv: Record<string, string>;
const CALLER_PASSWORD = "caller-password";

before(async () => {
  setInvoker(undefined);
  redis = await startRedis();
  admin = await redis.admin();
  fleet = await RedisFleet.start(APP, { url: redis.url });
  inside = fleet.invoker();
  const caller = callerUser(fleet.namespace, { units: fleet.units(), dicts: fleet.spec.dicts.map((d) => d.name), queues: [] });
  await admin.cmd(["ACL", "SETUSER", caller.name, "on", `>${CALLER_PASSWORD}`, ...caller.rules]);
  callerEnv = { GANTRY_REDIS_URL: redis.url, GANTRY_REDIS_NAMESPACE: fleet.namespace, GANTRY_REDIS_USER: caller.name, GANTRY_REDIS_PASSWORD: CALLER_PASSWORD };
});

after(async () => {
  await fleet?.stop();
  await redis?.stop();
});

/** One step of the outside caller, in a fresh Node process with only this environment. */
async function outside(step: string, arg = "", env = callerEnv) {
  const { stdout } = await exec(process.execPath, ["--import", "tsx", "--conditions=gantry-source", CALLER, step, arg], {
    env: { PATH: process.env.PATH, ...env }, timeout: 90_000,
  });
  return JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, any>;
}

async function resultOf(callId: string) {
  const { unit, local } = parseCallId(callId);
  const stored = await admin.bytes(["GET", callKeys(unitKeys(fleet.namespace, unit), local).result]);
  return Buffer.isBuffer(stored) ? decodeEnvelope(stored) : null;
}

test("Cls.fromName(...).instance(params) from a script outside the cluster runs in the unit's container, with its parameters", { timeout: 120_000 }, async () => {
  const [container] = fleet.scale("Greeter", 1);
  const { hej, hello } = await outside("greet");
  assert.equal(hej, `[${container.pid}] hej, ada!`);
  assert.equal(hello, `[${container.pid}] hello, grace?`);
  const thrown = (await outside("fail")).thrown;
  assert.deepEqual(thrown, { name: "RangeError", message: "no name to greet" }, "the method's error, as its class");
  await fleet.stopUnit("Greeter");
});

test("a call spawned by one outside process is collected by another with FunctionCall.fromId, once a container serves the unit", { timeout: 120_000 }, async () => {
  assert.equal(fleet.running("square").length, 0, "square is at zero while the call is spawned");
  const { id } = await outside("spawn", "12");
  assert.match(id, /^square\/fc-/);
  assert.deepEqual(await inside.dict("outside").get("spawned"), { found: true, value: id }, "the Dict written from outside");
  assert.equal(await resultOf(id), null, "no result while nothing serves square");
  fleet.scale("square", 1);
  assert.deepEqual(await outside("get", id), { value: 144 });
  await fleet.stopUnit("square");
});

test("FunctionCall.fromId(id).cancel() from outside: the call ends cancelled and never runs", { timeout: 120_000 }, async () => {
  const { id } = await outside("spawn", "5");
  assert.deepEqual(await outside("cancel", id), { thrown: { name: "InputCancelledError" } });
  fleet.scale("square", 1);
  await eventually(async () => (await admin.cmd<number>(["XLEN", unitKeys(fleet.namespace, "square").work])) === 0, "the cancelled entry to be dropped", 60_000);
  assert.equal((await resultOf(id))?.status, "cancelled");
  const { unit, local } = parseCallId(id);
  assert.equal(await admin.cmd(["HGET", callKeys(unitKeys(fleet.namespace, unit), local).call, "deliveries"]), "0", "never admitted: it did not run");
  await fleet.stopUnit("square");
});

test("the caller's user is refused what is not the app's: another stack's keys, admin commands", async () => {
  const conn = await RedisConnection.open({ url: redis.url, username: callerEnv.GANTRY_REDIS_USER, password: CALLER_PASSWORD });
  try {
    await assert.rejects(conn.cmd(["GET", unitKeys("other.stack", "square").work]), /NOPERM/);
    await assert.rejects(conn.cmd(["CONFIG", "GET", "maxmemory"]), /NOPERM/);
  } finally {
    await conn.close();
  }
});

test("an outside process without the stack's namespace is told which variable is missing", async () => {
  await assert.rejects(outside("spawn", "1", { GANTRY_REDIS_URL: redis.url }), (err: Error & { stderr: string }) => {
    assert.match(err.stderr, /the Redis caller's environment is incomplete:\n {2}- GANTRY_REDIS_NAMESPACE: missing/);
    return true;
  });
});
