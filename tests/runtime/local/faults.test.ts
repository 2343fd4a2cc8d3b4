import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Cls } from "../../../sdk/index.ts";
import { MAX_REDELIVERIES } from "../../../runtime/local/pool.ts";
import { isAlive, record, startRuntime, tempDir, waitFor, type Started } from "../helpers.ts";

type Mod = typeof import("../fixtures/faults.ts");
let rt: Started<Mod>;

before(async () => {
  rt = await startRuntime<Mod>("faults.ts");
});
after(() => rt.stop());

type Event = Record<string, any>;
const lines = (file: string) => readFileSync(file, "utf8").trim().split("\n");

test("a failing call is retried with the configured backoff until it succeeds", async () => {
  const dir = tempDir();
  const retries = record<Event>(rt.runtime, "input:retry");
  assert.equal(await rt.mod.flaky.remote(dir, 2), 3);
  // Retries({ maxRetries: 3, initialDelay: 0.05, backoffCoefficient: 2 }): 50 ms, then 100 ms
  assert.deepEqual(retries.map((e) => [e.attempt, e.delayMs, e.reason]), [[1, 50, "error"], [2, 100, "error"]]);
  const times = lines(join(dir, "attempt-times")).map(Number);
  assert.equal(times.length, 3);
  // a retry never starts before its backoff (timers may round down by a millisecond)
  assert.ok(times[1] - times[0] >= 49 && times[2] - times[1] >= 99, `attempts at ${times.join(", ")}`);
});

test("after maxRetries the last error is reported", async () => {
  const dir = tempDir();
  const retries = record<Event>(rt.runtime, "input:retry");
  await assert.rejects(rt.mod.flaky.remote(dir, 10), { message: "attempt 4 failed" });
  assert.equal(readFileSync(join(dir, "attempts"), "utf8"), "4");
  assert.deepEqual(retries.map((e) => e.delayMs), [50, 100, 200]);
});

test("a timeout stops the attempt (its container is killed) and counts as a failure that is retried", async () => {
  const dir = tempDir();
  const exits = record<Event>(rt.runtime, "container:exit");
  const out = await rt.mod.hangs.remote(dir, "sleep", 1);
  assert.equal(out.attempt, 2);
  const [first, second] = lines(join(dir, "pids")).map(Number);
  assert.notEqual(first, second);
  assert.equal(out.pid, second);
  await waitFor(() => !isAlive(first));
  assert.ok(exits.some((e) => e.pid === first && e.reason === "timeout"));
});

test("a timeout also stops code that never yields (a busy loop)", async () => {
  const dir = tempDir();
  await assert.rejects(rt.mod.hangs.remote(dir, "spin", 5), {
    name: "FunctionTimeoutError",
    message: "hangs timed out after 1 s (attempt 2)",
  });
  const pids = lines(join(dir, "pids")).map(Number);
  assert.equal(pids.length, 2);
  await waitFor(() => pids.every((pid) => !isAlive(pid)));
});

test("kill -9 of a container mid-input: the input is redelivered elsewhere and the caller gets every result", async () => {
  const dir = tempDir();
  const redeliveries = record<Event>(rt.runtime, "input:redeliver");
  const exits = record<Event>(rt.runtime, "container:exit");
  const inputs = Array.from({ length: 6 }, (_, i) => [dir, i, 2] as [string, number, number]);
  const pending = rt.mod.victimWork.starmap(inputs).then((r) => r);
  const marker = join(dir, "victim-started");
  const victim = Number(await waitFor(() => existsSync(marker) && readFileSync(marker, "utf8")));
  process.kill(victim, "SIGKILL");
  const results = await pending;
  assert.deepEqual(results.map((r) => r.i), [0, 1, 2, 3, 4, 5]);
  assert.notEqual(results[2].pid, victim, "the killed input ran again in another container");
  assert.ok(redeliveries.some((e) => e.reason === "crash"));
  assert.ok(exits.some((e) => e.pid === victim && e.signal === "SIGKILL" && e.reason === "crash"));
});

test("an input whose container dies every time fails after the redeliveries run out", async () => {
  await assert.rejects(rt.mod.alwaysCrashes.remote(), {
    name: "ContainerCrashedError",
    message: `alwaysCrashes: the container running this input died ${MAX_REDELIVERIES + 1} times (last: signal SIGKILL)`,
  });
});

test("an input that calls process.exit is charged for it: no retries left, it fails at once with ContainerCrashedError", async () => {
  const redeliveries = record<Event>(rt.runtime, "input:redeliver");
  await assert.rejects(rt.mod.exits.remote(3), {
    name: "ContainerCrashedError",
    message: "exits called process.exit(3) (attempt 1); the container was ended and its other inputs redelivered",
  });
  assert.equal(redeliveries.filter((e) => e.pool === "exits").length, 0, "not redelivered as a crash");
});

test("containers scale up to maxContainers under load and exit after scaledownWindow idle", async () => {
  const dir = tempDir();
  const starts = record<Event>(rt.runtime, "container:start");
  const exits = record<Event>(rt.runtime, "container:exit");
  // each call returns only once 3 containers are inside it at the same time
  const pids = await Promise.all(Array.from({ length: 6 }, () => rt.mod.gather.remote(dir, 3)));
  assert.equal(new Set(pids).size, 3);
  assert.equal(starts.filter((e) => e.pool === "gather").length, 3, "never more than maxContainers");
  await waitFor(() => exits.filter((e) => e.pool === "gather").length === 3);
  assert.ok(exits.filter((e) => e.pool === "gather").every((e) => e.reason === "stopped"));
  assert.ok([...new Set(pids)].every((pid) => !isAlive(pid)));
});

test("a failing @enter hook fails the call as a container setup error", async () => {
  await assert.rejects(Cls.of(rt.mod.Broken).instance().run.remote(), (err: Error) => {
    assert.equal(err.name, "ContainerSetupError");
    assert.match(err.message, /^Broken#\d+: container setup failed: Error: weights not found$/);
    assert.match(String(err.stack), /fixtures[\\/]faults\.ts/);
    return true;
  });
});
