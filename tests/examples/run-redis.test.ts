/**
 * Every example end to end on the Redis transport: its local entrypoint runs in a process outside
 * the "cluster" (fixtures/redis-entrypoint.ts: no runtime attached, only GANTRY_REDIS_URL and the
 * stack's namespace), and every call it makes is served by the app's units as pods run them (the
 * bundled container entry with the contract the Kubernetes provider writes, transport `redis`;
 * tests/runtime/redis/fixtures/fleet.ts) over a real redis-server: Dicts, Queues, nested calls,
 * class parameters, variants, `@enter`/`@exit`, volumes shared by units (a ReadWriteMany claim
 * stands in as one directory per volume) and a `Secret.fromName` given as environment variables.
 * Each prints exactly what the same entrypoint prints under `gantry run`, and what the example
 * promises (expected.ts, the patterns tests/examples/run.test.ts checks).
 *
 * Not here: `web`, which has no local entrypoint (its endpoints are the web gateway's; its units
 * run the same container entry), and `caller`, whose calls go to another app (model-class): that
 * takes a second stack's units on the same Redis (see tests/examples/run.test.ts for it locally).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startRedis, type LocalRedis } from "../runtime/redis/fixtures/redis-server.ts";
import { RedisFleet } from "../runtime/redis/fixtures/fleet.ts";
import { EXPECTED } from "./expected.ts";

const exec = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const RUNNER = fileURLToPath(new URL("./fixtures/redis-entrypoint.ts", import.meta.url));
/** the secret the llm-inference example's header says to create */
const SECRETS = { "huggingface-token": { HF_TOKEN: "hf_dummy" } };
/** a line a local container printed, as `gantry run` forwards it: `[name#n] ...` */
const CONTAINER_LINE = /^\[[^\]\s]+#\d+\] /;

let redis: LocalRedis;
let home: string;
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

before(async () => {
  redis = await startRedis();
  home = tempDir("gantry-home-");
  const env = { ...process.env, GANTRY_HOME: home };
  const [name, values] = Object.entries(SECRETS)[0];
  await exec(process.execPath, ["cli/bin.mjs", "secret", "create", name, ...Object.entries(values).map(([k, v]) => `${k}=${v}`)], { cwd: root, env });
});

after(async () => {
  await redis?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "");

/** examples not run here, and why (the header says more) */
const NOT_HERE = new Set(["web", "caller"]);

test("every example but web and caller has a local entrypoint and an expectation", () => {
  const examples = readdirSync(join(root, "examples"), { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== "ci").map((e) => e.name);
  assert.deepEqual(examples.filter((e) => !NOT_HERE.has(e)).sort(), Object.keys(EXPECTED).sort());
});

for (const [name, patterns] of Object.entries(EXPECTED)) {
  test(`examples/${name}: the local entrypoint with its containers on Redis prints what gantry run prints`, { timeout: 240_000 }, async () => {
    const appFile = join(root, "examples", name, "app.ts");
    const local = await exec(process.execPath, ["cli/bin.mjs", "run", appFile], {
      cwd: root, env: { ...process.env, GANTRY_HOME: home, GANTRY_STATE_DIR: tempDir("gantry-state-") }, timeout: 120_000,
    });
    const fleet = await RedisFleet.start(appFile, { url: redis.url, volumesDir: tempDir("gantry-rwx-"), secrets: SECRETS });
    let remote: { stdout: string; stderr: string };
    try {
      for (const unit of fleet.units()) fleet.scale(unit, 1);
      const [entry] = fleet.spec.entrypoints;
      remote = await exec(process.execPath, ["--import", "tsx", "--conditions=gantry-source", RUNNER, appFile, fleet.spec.app.name, entry.name], {
        cwd: root, env: { PATH: process.env.PATH, GANTRY_REDIS_URL: redis.url, GANTRY_REDIS_NAMESPACE: fleet.namespace }, timeout: 120_000,
      });
    } finally {
      // SIGTERM, as a scale-in: @exit hooks run
      await fleet.stop();
    }
    const printed = fleet.all.flatMap((c) => c.lines.filter((l) => !l.startsWith("{")));
    assert.deepEqual(lines(remote.stdout), lines(local.stdout).filter((l) => !CONTAINER_LINE.test(l)), "the entrypoint's own output, line for line");
    const everything = [remote.stdout, ...printed].join("\n");
    for (const p of patterns) assert.match(everything, p, `expected ${p} in:\n${everything}`);
    for (const c of fleet.all) {
      const { code, signal } = await c.exited;
      assert.deepEqual({ unit: c.unit, code, signal }, { unit: c.unit, code: 0, signal: null }, `a container exited cleanly:\n${c.lines.join("\n")}`);
    }
  });
}
