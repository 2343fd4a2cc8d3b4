/**
 * The local runtime against a bare child-process round trip, measured in the same run:
 * - `.remote` of a no-op: p50/p99 against a raw echo over the same kind of pipe (target p50 <= 3x);
 *   both sides warmed up, then sampled in alternating rounds so they see the same machine load.
 *   Where the two processes of a round trip sit matters more than anything we do (waking a process
 *   on another, idle core costs tens of µs), so on Linux both children are pinned the same way:
 *   this process on one CPU, the echo child and the container on another (taskset);
 * - `.map` throughput over 10,000 inputs;
 * - a vectorizable method (a fixed 2 ms device latency per call, a little CPU per item), one input
 *   per call vs `@batched` (target >= 3x throughput), one container each.
 * Absolute figures on a shared machine mean little; ratios travel better.
 */
import { execFileSync, spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { analyzeApp, formatDiagnostics } from "../synth/index.ts";
import { setInvoker } from "../sdk/invoker.ts";
import { LocalRuntime } from "../runtime/local/runtime.ts";
import { importApp } from "../runtime/worker/target.ts";
import { percentile, printTable } from "./stats.ts";

const ECHO = fileURLToPath(new URL("./fixtures/ipc-echo.mjs", import.meta.url));
const APP = fileURLToPath(new URL("./fixtures/runtime-app.ts", import.meta.url));

const WARMUP = 2_000;
const ROUNDS = 10;
const PER_ROUND = 300;

async function timeCalls(call: () => Promise<unknown>, n: number, into: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call();
    into.push(performance.now() - t0);
  }
}

/** A plain child that echoes its fd-3 pipe: the bare round trip of a small message. */
function echoChild() {
  const child = spawn(process.execPath, [ECHO], { stdio: ["ignore", "inherit", "inherit", "pipe"] });
  const pipe = child.stdio[3] as Duplex;
  const message = Buffer.alloc(32, 7);
  let waiting: (() => void) | null = null;
  let received = 0;
  pipe.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received >= message.length) {
      received -= message.length;
      const w = waiting;
      waiting = null;
      w?.();
    }
  });
  return {
    pid: child.pid!,
    roundTrip: () => new Promise<void>((resolve) => {
      waiting = resolve;
      pipe.write(message);
    }),
    close() {
      pipe.end();
      child.kill();
    },
  };
}

/** Pins a process (all its threads) to `cpus` with taskset; false where that is not possible. */
function pin(pid: number, cpus: string): boolean {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function throughput(fn: (xs: number[]) => PromiseLike<unknown[]>, n: number): Promise<number> {
  const xs = Array.from({ length: n }, (_, k) => k);
  const start = performance.now();
  const out = await fn(xs);
  if (out.length !== n) throw new Error("lost inputs");
  return n / ((performance.now() - start) / 1000);
}

export async function run(): Promise<void> {
  const analysis = analyzeApp(APP);
  if (!analysis.spec) throw new Error(formatDiagnostics(analysis.diagnostics, { color: false, cwd: process.cwd() }));
  const stateDir = mkdtempSync(join(tmpdir(), "gantry-bench-"));
  const runtime = new LocalRuntime({ spec: analysis.spec, appFile: APP, stateDir });
  setInvoker(runtime);
  const echo = echoChild();
  try {
    await importApp(APP, analysis.spec.app.name);
    const mod = (await import(APP)) as typeof import("./fixtures/runtime-app.ts");

    // ---- .remote latency vs the bare round trip
    const cpus = availableParallelism();
    const all = `0-${cpus - 1}`;
    const pinned: number[] = [];
    const pinChild = (pid: number) => cpus > 1 && pin(pid, "1") && pinned.push(pid);
    const onStart = (e: { pid: number }) => pinChild(e.pid);
    runtime.events.on("container:start", onStart);
    const placement = cpus > 1 && pin(process.pid, "0") ? "pinned: this process on CPU 0, echo child and container on CPU 1" : "not pinned";
    pinChild(echo.pid);
    await mod.noop.remote(0); // cold start, not measured
    let i = 0;
    const remoteCall = () => mod.noop.remote(i++);
    const ipc: number[] = [];
    const remote: number[] = [];
    await timeCalls(echo.roundTrip, WARMUP, []);
    await timeCalls(remoteCall, WARMUP, []);
    for (let round = 0; round < ROUNDS; round++) {
      await timeCalls(echo.roundTrip, PER_ROUND, ipc);
      await timeCalls(remoteCall, PER_ROUND, remote);
    }
    runtime.events.off("container:start", onStart);
    if (cpus > 1) for (const pid of [process.pid, ...pinned]) pin(pid, all);
    ipc.sort((a, b) => a - b);
    remote.sort((a, b) => a - b);
    const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
    const ratio = percentile(remote, 50) / percentile(ipc, 50);
    printTable([
      { what: "bare child-process IPC round trip", p50: us(percentile(ipc, 50)), p99: us(percentile(ipc, 99)) },
      { what: "local .remote of a no-op", p50: us(percentile(remote, 50)), p99: us(percentile(remote, 99)) },
    ]);
    console.log(`.remote p50 = ${ratio.toFixed(2)}x the bare round trip (target <= 3x): ${ratio <= 3 ? "ok" : "MISSED"} (${placement})`);

    // ---- .map throughput
    await mod.noop.map(Array.from({ length: 2_000 }, (_, k) => k)); // every container of the pool started
    const mapRate = await throughput((xs) => mod.noop.map(xs), 10_000);
    const containers = runtime.stats()["noop"]?.containers ?? 0;
    console.log(`.map over 10,000 inputs: ${mapRate.toFixed(0)} inputs/s (${containers} containers)`);

    // ---- batching gain on a vectorizable method
    const single = mod.unbatched();
    const batched = mod.batchedModel();
    await single.embed.remote(1);
    await batched.embed.remote(1);
    const unbatchedRate = await throughput((xs) => single.embed.map(xs), 500);
    const batchedRate = await throughput((xs) => batched.embed.map(xs), 5_000);
    const gain = batchedRate / unbatchedRate;
    printTable([
      { method: "one input per call", "inputs/s": unbatchedRate.toFixed(0) },
      { method: "@batched({ maxBatchSize: 64, waitMs: 5 })", "inputs/s": batchedRate.toFixed(0) },
    ]);
    console.log(`batched = ${gain.toFixed(1)}x unbatched throughput (target >= 3x): ${gain >= 3 ? "ok" : "MISSED"}`);
  } finally {
    echo.close();
    await runtime.shutdown();
    setInvoker(undefined);
    rmSync(stateDir, { recursive: true, force: true });
  }
}
