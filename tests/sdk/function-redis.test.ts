/**
 * Function.fromName / Cls.fromName / FunctionCall.fromId with `{ stack, redis }` from a plain Node
 * process: the app runs as real containers on the Redis transport (the RedisFleet stand-in for
 * its Deployments) over a real redis-server, under the key namespace the Kubernetes provider gives
 * the stack; the caller has nothing but the Redis URL.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { startRedis, type LocalRedis } from "../runtime/redis/fixtures/redis-server.ts";
import { RedisFleet } from "../runtime/redis/fixtures/fleet.ts";
import { keyNamespace } from "../../provider/kubernetes/names.ts";

const APP = fileURLToPath(new URL("./fixtures/deployed-app.ts", import.meta.url));
const CALLER = fileURLToPath(new URL("./fixtures/from-name-redis-caller.ts", import.meta.url));

let redis: LocalRedis;
let fleet: RedisFleet;

before(async () => {
  redis = await startRedis();
  fleet = await RedisFleet.start(APP, { url: redis.url, namespace: keyNamespace("from-name-tests", "test") });
});

after(async () => {
  await fleet?.stop();
  await redis?.stop();
});

async function caller(...args: string[]): Promise<any> {
  const child = spawn(process.execPath, ["--import", "tsx", CALLER, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const code = await new Promise((resolve) => child.on("exit", resolve));
  assert.equal(code, 0, err);
  return JSON.parse(out.trim().split("\n").pop()!);
}

test("a Node process with only the Redis URL calls a Kubernetes stack's function and class by name, and finds a spawned call by its id later", { timeout: 120_000 }, async () => {
  fleet.scale("square", 1);
  fleet.scale("Greeter", 1);
  const got = await caller("call", redis.url);
  assert.equal(got.one, 49);
  assert.deepEqual(got.many, [1, 4, 9]);
  assert.equal(got.greeted, "bonjour, Alan");
  assert.match(got.spawned, /^square\/fc-[0-9a-f-]{36}$/, "the call id names its unit");
  assert.equal(got.badId.error, 'TypeError: FunctionCall.fromId("fc-0b6c2c1e-0000-4000-8000-000000000000"): not a call id of a Kubernetes stack (they read <unit>/<id>, e.g. square/fc-…)');
  assert.deepEqual(await caller("get", redis.url, got.spawned), { value: 25 }, "another process, the id alone");

  // spawned while no container runs, cancelled from another process: it never runs
  await fleet.stopUnit("square");
  const { id } = await caller("spawn", redis.url);
  assert.deepEqual(await caller("cancel", redis.url, id), { value: "cancelled" });
  fleet.scale("square", 1);
  assert.deepEqual(await caller("get", redis.url, id), { error: `InputCancelledError: call ${id} was cancelled` });
  await fleet.stopUnit("square");
  await fleet.stopUnit("Greeter");
});
