/**
 * The KEDA emulator (fixtures/keda.ts: KEDA's redis-streams and redis scalers, scalingModifiers,
 * its executor and the HPA) evaluating the ScaledObjects of the app's offline Kubernetes plan (the
 * manifests `pulumi up` would apply) against a live redis-server, read as KEDA's own Redis user
 * with the ACL rules the stack gives it, while the real transport moves the work: the units'
 * containers (as pods run them) are scaled to whatever the emulator decides.
 * Proven: one message wakes a unit from zero; nothing goes to zero while an entry is undelivered,
 * running (pending in the consumer group), owned by a killed pod, or waiting out its retry backoff in
 * the retry set; the HPA's count follows ceil(metric / target) with the buffer term; back to zero
 * only once the cooldown has passed with nothing left. No timing thresholds: each poll's decision
 * is asserted, time is the emulator's argument where the cooldown matters.
 */
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { buildPlan } from "../../../provider/plan/build.ts";
import { keyNamespace } from "../../../provider/kubernetes/names.ts";
import { kedaUser } from "../../../provider/kubernetes/redis.ts";
import { RedisConnection } from "../../../runtime/redis/client.ts";
import { callKeys, unitKeys } from "../../../runtime/redis/keys.ts";
import { parseCallId } from "../../../runtime/redis/wire.ts";
import type { RedisInvoker } from "../../../runtime/redis/invoker.ts";
import { stackConfig } from "../../provider/plan-view.ts";
import { startRedis, type LocalRedis } from "./fixtures/redis-server.ts";
import { RedisFleet, eventually } from "./fixtures/fleet.ts";
import { KedaEmulator, type EmulatedScaledObject, type Observation } from "./fixtures/keda.ts";

const APP = fileURLToPath(new URL("./fixtures/keda-app.ts", import.meta.url));
const STACK = "dev";

let redis: LocalRedis;
let fleet: RedisFleet;
let caller: RedisInvoker;
let keda: RedisConnection;
const scaledObjects = new Map<string, EmulatedScaledObject>();

before(async () => {
  redis = await startRedis();
  const plan = await buildPlan({
    projectRoot: process.cwd(), stack: STACK, app: APP, target: "kubernetes",
    config: stackConfig({ "gantry:redisSecret": "seed" }, ["gantry:redisSecret"]),
  });
  fleet = await RedisFleet.start(APP, { url: redis.url, namespace: keyNamespace("redis-keda", STACK), claimIdleSeconds: 2 });
  // each unit's ScaledObject, found by the work stream its lag trigger reads
  for (const r of plan.resources.filter((x) => x.type === "kubernetes:keda.sh/v1alpha1:ScaledObject")) {
    const spec = (r.inputs as { spec: EmulatedScaledObject }).spec;
    const unit = fleet.units().find((u) => spec.triggers.some((t) => t.metadata.stream === unitKeys(fleet.namespace, u).work));
    assert.ok(unit, `the ScaledObject ${r.name} reads a unit's stream`);
    scaledObjects.set(unit, spec);
  }
  assert.deepEqual([...scaledObjects.keys()].sort(), fleet.units().sort());
  // KEDA's user, with the stack's rules for it
  const user = kedaUser(fleet.namespace, fleet.units());
  await (await redis.admin()).cmd(["ACL", "SETUSER", user.name, "on", ">keda-password", ...user.rules]);
  keda = await RedisConnection.open({ url: redis.url, username: user.name, password: "keda-password" });
  caller = fleet.invoker();
});

// a test that failed midway leaves no pods behind for the next
afterEach(async () => {
  await Promise.all(fleet.units().map((u) => fleet.stopUnit(u)));
});

after(async () => {
  await keda?.close();
  await fleet?.stop();
  await redis?.stop();
});

const target = (name: string) => ({ app: "redis-keda", name });

function emulator(unit: string): KedaEmulator {
  return new KedaEmulator(scaledObjects.get(unit)!, keda);
}

/**
 * Polls every 100 ms and gives the unit the replicas the emulator decides, until the call's result
 * arrives. A poll counts as "while unfinished" when the call still had no result after the poll
 * had read every trigger (the result is written, and the entry acknowledged, in one script).
 */
async function drive(unit: string, emu: KedaEmulator, callId: string, onPoll?: (o: Observation) => Promise<void> | void): Promise<{ value: unknown; polls: Observation[] }> {
  const { unit: u, local } = parseCallId(callId);
  const resultKey = callKeys(unitKeys(fleet.namespace, u), local).result;
  const admin = await redis.admin();
  let settled = false;
  const value = caller.result(callId, {}).finally(() => (settled = true));
  const polls: Observation[] = [];
  while (!settled) {
    const o = await emu.poll();
    if (!(await admin.cmd(["EXISTS", resultKey]))) polls.push(o);
    fleet.scale(unit, o.replicas);
    await onPoll?.(o);
    await Promise.race([value.catch(() => {}), new Promise((r) => setTimeout(r, 100))]);
  }
  return { value: await value, polls };
}

const assertUpWhileWorking = (polls: Observation[]) => {
  assert.ok(polls.length > 0, "polled while the call was unfinished");
  for (const o of polls) {
    assert.ok(o.errors.length === 0, `KEDA's user read every trigger: ${o.errors.join("; ")}`);
    assert.ok(o.active && o.replicas >= 1, `while the call is unfinished every poll is active and above zero: ${JSON.stringify(o)}`);
  }
};

test("the generated ScaledObjects: lag, pending and the retry set combined, activation at 0, AverageValue of targetInputs", () => {
  const so = scaledObjects.get("hold")!;
  assert.equal(so.minReplicaCount, 0);
  assert.deepEqual(so.triggers.map((t) => [t.type, t.name]), [["redis-streams", "lag"], ["redis-streams", "pending"], ["redis", "retry"]]);
  assert.equal(so.triggers[2].metadata.listName, unitKeys(fleet.namespace, "hold").retry, "the retry trigger counts the retry sorted set");
  assert.deepEqual(so.advanced?.scalingModifiers, { formula: "lag + pending + retry", target: "1", activationTarget: "0", metricType: "AverageValue" });
});

test("one message wakes a unit from zero; it stays up while the entry waits and runs; back to zero only after the cooldown", { timeout: 120_000 }, async () => {
  const emu = emulator("hold");
  const idle = await emu.poll();
  assert.deepEqual([idle.metric, idle.active, idle.replicas], [0, false, 0], "nothing to do: at zero");
  const id = await caller.spawn(target("hold"), [1500]);
  const woken = await emu.poll();
  assert.deepEqual([woken.values, woken.active, woken.replicas, woken.by], [{ lag: 1, pending: 0, retry: 0 }, true, 1, "activate"], "one message wakes it");
  fleet.scale("hold", woken.replicas);
  const { value: pid, polls } = await drive("hold", emu, id);
  assert.ok(fleet.containersOf("hold").some((c) => c.pid === pid), "it ran in the pod the emulator started");
  assert.ok(polls.every((o) => o.replicas <= 1), "one input, one pod");
  assertUpWhileWorking(polls);
  assert.ok(polls.some((o) => o.values.lag === 0 && o.values.pending === 1), "seen while running: delivered, not acknowledged, still counted");
  const done = await emu.poll();
  assert.deepEqual([done.metric, done.active, done.replicas], [0, false, 1], "inactive, but within the cooldown");
  const cooldown = scaledObjects.get("hold")!.cooldownPeriod!;
  assert.equal(cooldown, 30, "cooldownPeriod is the unit's scaledownWindow");
  const lastActive = emu.lastActiveAt!;
  assert.equal((await emu.poll(lastActive + cooldown * 1000)).replicas, 1, "not before the cooldown has passed since the last active poll");
  const after = await emu.poll(lastActive + cooldown * 1000 + 1);
  assert.deepEqual([after.replicas, after.by], [0, "to-zero"]);
});

test("an entry in flight on a killed pod keeps the unit above zero until another pod claims and finishes it", { timeout: 120_000 }, async () => {
  const emu = emulator("hold");
  const id = await caller.spawn(target("hold"), [3000]);
  let killed: number | null = null;
  let orphaned: Observation | null = null;
  const { value: pid, polls } = await drive("hold", emu, id, async (o) => {
    const running = fleet.running("hold");
    if (killed === null && o.values.pending === 1 && running.length === 1) {
      killed = running[0].pid;
      running[0].child.kill("SIGKILL");
      await running[0].exited;
      orphaned = await emu.poll();
    }
  });
  assert.ok(killed !== null, "a pod was killed with the input in flight");
  assert.notEqual(pid, killed, "another pod finished it");
  assert.deepEqual([orphaned!.values.lag, orphaned!.values.pending, orphaned!.active], [0, 1, true], "the dead pod's entry is still pending: counted");
  assertUpWhileWorking([...polls, orphaned!]);
});

test("a retry waiting out its backoff in the retry set keeps the unit above zero (the redis scaler counts the sorted set)", { timeout: 120_000 }, async () => {
  const emu = emulator("flaky");
  const id = await caller.spawn(target("flaky"), ["a"]);
  const { value, polls } = await drive("flaky", emu, id);
  assert.equal(value, "ok a");
  assertUpWhileWorking(polls);
  const waiting = polls.filter((o) => o.values.retry === 1 && o.values.lag === 0 && o.values.pending === 0);
  assert.ok(waiting.length > 0, "seen: the only work is the retry in its backoff");
  for (const o of waiting) assert.deepEqual([o.metric, o.active, o.replicas >= 1], [1, true, true]);
});

test("the HPA's count from live numbers: ceil((lag + pending + retry + buffer) / targetInputs), within maxContainers", { timeout: 120_000 }, async () => {
  const so = scaledObjects.get("buffered")!;
  assert.equal(so.advanced?.scalingModifiers?.formula, "(lag + pending + retry) > 0 ? lag + pending + retry + 1 : 0");
  const emu = emulator("buffered");
  const one = await caller.spawn(target("buffered"), [1]);
  assert.deepEqual([(await emu.poll()).replicas, (await emu.poll()).replicas], [1, 2], "one input: KEDA wakes one pod, the HPA adds the buffer's");
  const more = await Promise.all([2, 3, 4, 5].map((x) => caller.spawn(target("buffered"), [x])));
  const busy = await emu.poll();
  assert.deepEqual([busy.values.lag, busy.metric, busy.replicas], [5, 6, 4], "five inputs + 1 buffer = 6 pods wanted, 4 at most");
  fleet.scale("buffered", busy.replicas);
  assert.deepEqual(await Promise.all([one, ...more].map((c) => caller.result(c, {}))), [1, 2, 3, 4, 5]);
  await eventually(async () => (await emu.poll()).metric === 0, "the work to be gone", 30_000);
  const quiet = await emu.poll();
  assert.equal(quiet.replicas, 4, "the scale-down stabilization window holds the count");
  assert.equal((await emu.poll(emu.lastActiveAt! + 30_001)).replicas, 0, "after the cooldown, to zero");
  assert.equal(await keda.cmd(["XLEN", unitKeys(fleet.namespace, "buffered").work]), 0);
});
