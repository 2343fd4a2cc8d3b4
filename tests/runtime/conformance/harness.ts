/**
 * One harness per transport for the conformance suite: the same fixture app, called through the
 * same sdk handles, run either by the embedded runtime of `gantry run` (containers over a pipe)
 * or by container processes over the AWS transport (SQS stand-in, dynalite, s3rver), or over the
 * Redis transport (a real redis-server on a free port).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeApp, formatDiagnostics } from "../../../synth/index.ts";
import { setInvoker } from "../../../sdk/invoker.ts";
import { LocalRuntime } from "../../../runtime/local/runtime.ts";
import { importApp } from "../../../runtime/worker/target.ts";
import { startLocalAws } from "../aws/fixtures/local-aws.ts";
import { Fleet } from "../aws/fixtures/fleet.ts";
import { startRedis as startRedisServer } from "../redis/fixtures/redis-server.ts";
import { RedisFleet } from "../redis/fixtures/fleet.ts";

export const APP_FILE = fileURLToPath(new URL("./fixtures/app.ts", import.meta.url));
export type AppModule = typeof import("./fixtures/app.ts");

export interface Harness {
  name: string;
  mod: AppModule;
  /** a scratch directory the fixture's functions write into */
  dir: string;
  /** start a unit the harness leaves stopped (LAZY_UNITS); the embedded runtime starts on demand */
  startUnit(unit: string): void;
  stopUnit(unit: string): Promise<void>;
  stop(): Promise<void>;
}

/** Units that only start when a test asks (a container that can never start would loop on restarts). */
const LAZY_UNITS = new Set(["SlowSetup"]);

async function fixture(): Promise<AppModule> {
  return (await import(APP_FILE)) as AppModule;
}

export async function startEmbedded(): Promise<Harness> {
  const analysis = analyzeApp(APP_FILE);
  assert.ok(analysis.spec, formatDiagnostics(analysis.diagnostics, { color: false, cwd: process.cwd() }));
  const dir = mkdtempSync(join(tmpdir(), "gantry-conf-"));
  const runtime = new LocalRuntime({
    spec: analysis.spec, appFile: APP_FILE, stateDir: join(dir, "state"), gantryHome: join(dir, "home"),
    output: { stdout: () => {}, stderr: () => {} }, stopGraceMs: 5000,
  });
  setInvoker(runtime);
  await importApp(APP_FILE, analysis.spec.app.name);
  return {
    name: "embedded", mod: await fixture(), dir,
    startUnit() {},
    async stopUnit() {},
    async stop() {
      await runtime.shutdown();
      setInvoker(undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startAws(): Promise<Harness> {
  const aws = await startLocalAws();
  const dir = mkdtempSync(join(tmpdir(), "gantry-conf-"));
  let fleet: Fleet | undefined;
  try {
    fleet = await Fleet.start(aws, APP_FILE, { env: { GANTRY_DRAIN_SECONDS: "2" } });
    for (const unit of fleet.spec.functions.map((f) => f.name).concat(fleet.spec.classes.map((c) => c.name))) {
      if (!LAZY_UNITS.has(unit)) fleet.scale(unit, 1);
    }
    setInvoker(fleet.invoker());
    await importApp(APP_FILE, fleet.spec.app.name);
  } catch (err) {
    await fleet?.stop();
    await aws.stop();
    throw err;
  }
  const f = fleet;
  return {
    name: "aws", mod: await fixture(), dir,
    startUnit: (unit) => void f.scale(unit, 1),
    stopUnit: (unit) => f.stopUnit(unit, 2000),
    async stop() {
      setInvoker(undefined);
      await f.stop();
      await aws.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startRedis(): Promise<Harness> {
  const redis = await startRedisServer();
  const dir = mkdtempSync(join(tmpdir(), "gantry-conf-"));
  let fleet: RedisFleet | undefined;
  try {
    fleet = await RedisFleet.start(APP_FILE, { url: redis.url, env: { GANTRY_DRAIN_SECONDS: "2" } });
    for (const unit of fleet.units()) if (!LAZY_UNITS.has(unit)) fleet.scale(unit, 1);
    setInvoker(fleet.invoker());
    await importApp(APP_FILE, fleet.spec.app.name);
  } catch (err) {
    await fleet?.stop();
    await redis.stop();
    throw err;
  }
  const f = fleet;
  return {
    name: "redis", mod: await fixture(), dir,
    startUnit: (unit) => void f.scale(unit, 1),
    stopUnit: (unit) => f.stopUnit(unit, 2000),
    async stop() {
      setInvoker(undefined);
      await f.stop();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Bounded polling: the test's own timeout is the bound; there is no timing threshold. */
export async function until<T>(check: () => T, everyMs = 50): Promise<NonNullable<T>> {
  for (let i = 0; i < 1200; i++) {
    const v = check();
    if (v) return v as NonNullable<T>;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error("condition not reached within 60 s");
}

/** A fresh directory under the harness's scratch directory. */
export function scratch(h: Harness, name: string): string {
  const dir = join(h.dir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** How many times the fixture ran the input `key` (it appends one line per run). */
export function runs(dir: string, key: string): number {
  const file = join(dir, key);
  return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").length : 0;
}

export const TRANSPORTS: Array<[string, () => Promise<Harness>]> = [
  ["embedded transport (gantry run)", startEmbedded],
  ["AWS transport (SQS stand-in, dynalite, s3rver)", startAws],
  ["Redis transport (redis-server)", startRedis],
];
