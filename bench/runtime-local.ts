/**
 * The local runtime against a bare child-process round trip, measured in the same run:
 * - `.remote` of a no-op: p50/p99 against a raw echo over the same kind of pipe (target p50 <= 3x);
 * - `.map` throughput over 10,000 inputs;
 * - a vectorizable method (a fixed 2 ms device latency per call, a little CPU per item), one input
 *   per call vs `@batched` (target >= 3x throughput), one container each.
 * Both sides are warmed up first; absolute figures on a shared machine mean little, ratios travel.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { rmSync, mkdtempSync } from "node:fs";
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
const SAMPLES = 3_000;

async function sequentialLatencies(call: () => Promise<unknown>, warmup: number, samples: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await call();
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await call();
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

/** Round trips of a small message through a child that echoes its pipe. */
async function bareIpc(): Promise<number[]> {
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
  const roundTrip = () => new Promise<void>((resolve) => {
    waiting = resolve;
    pipe.write(message);
  });
  try {
    return await sequentialLatencies(roundTrip, WARMUP, SAMPLES);
  } finally {
    pipe.end();
    child.kill();
  }
}

export async function run(): Promise<void> {
  const analysis = analyzeApp(APP);
  if (!analysis.spec) throw new Error(formatDiagnostics(analysis.diagnostics, { color: false, cwd: process.cwd() }));
  const stateDir = mkdtempSync(join(tmpdir(), "gantry-bench-"));
  const runtime = new LocalRuntime({ spec: analysis.spec, appFile: APP, stateDir });
  setInvoker(runtime);
  try {
    await importApp(APP, analysis.spec.app.name);
    const mod = (await import(APP)) as typeof import("./fixtures/runtime-app.ts");

    const ipc = await bareIpc();
    await mod.noop.remote(0); // cold start, not measured
    let i = 0;
    const remote = await sequentialLatencies(() => mod.noop.remote(i++), WARMUP, SAMPLES);
    const ms = (x: number) => `${(x * 1000).toFixed(0)} µs`;
    const p50Ratio = percentile(remote, 50) / percentile(ipc, 50);
    printTable([
      { what: "bare child-process IPC round trip", p50: ms(percentile(ipc, 50)), p99: ms(percentile(ipc, 99)) },
      { what: "local .remote of a no-op", p50: ms(percentile(remote, 50)), p99: ms(percentile(remote, 99)) },
    ]);
    console.log(`.remote p50 = ${p50Ratio.toFixed(2)}x the bare round trip (target <= 3x): ${p50Ratio <= 3 ? "ok" : "MISSED"}`);

    const inputs = Array.from({ length: 10_000 }, (_, k) => k);
    await mod.noop.map(inputs.slice(0, 2_000)); // warm: every container of the pool started
    const t0 = performance.now();
    const out = await mod.noop.map(inputs);
    const mapSeconds = (performance.now() - t0) / 1000;
    if (out.length !== inputs.length) throw new Error("map lost inputs");
    const containers = runtime.stats()["noop"]?.containers ?? 0;
    console.log(`.map over 10,000 inputs: ${(inputs.length / mapSeconds).toFixed(0)} inputs/s ` +
      `(${mapSeconds.toFixed(2)} s, ${containers} containers)`);

    const single = mod.unbatched();
    const batched = mod.batchedModel();
    await single.embed.remote(1);
    await batched.embed.remote(1);
    const throughput = async (fn: (xs: number[]) => Promise<unknown[]>, n: number) => {
      const xs = Array.from({ length: n }, (_, k) => k);
      const start = performance.now();
      await fn(xs);
      return n / ((performance.now() - start) / 1000);
    };
    const unbatched = await throughput((xs) => single.embed.map(xs), 500);
    const batchedRate = await throughput((xs) => batched.embed.map(xs), 5_000);
    const gain = batchedRate / unbatched;
    printTable([
      { method: "one input per call", "inputs/s": unbatched.toFixed(0) },
      { method: "@batched({ maxBatchSize: 64, waitMs: 5 })", "inputs/s": batchedRate.toFixed(0) },
    ]);
    console.log(`batched = ${gain.toFixed(1)}x unbatched throughput (target >= 3x): ${gain >= 3 ? "ok" : "MISSED"}`);
  } finally {
    await runtime.shutdown();
    setInvoker(undefined);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
