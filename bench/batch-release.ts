/**
 * Batch release precision: how long after `waitMs` a partly filled batch is released (the method
 * starts), against a bare `setTimeout(waitMs)` measured in the same run. Target: p99 within
 * waitMs + 2 ms.
 */
import { Batcher } from "../runtime/worker/batcher.ts";
import { percentile, printTable } from "./stats.ts";

const WAIT_MS = 10;
const ROUNDS = 300;

async function lateness(start: (done: () => void) => void): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => start(() => { out.push(performance.now() - t0 - WAIT_MS); resolve(); }));
  }
  return out.sort((a, b) => a - b);
}

export async function run(): Promise<void> {
  const bare = await lateness((done) => setTimeout(done, WAIT_MS));
  let onRun: () => void = () => {};
  const batcher = new Batcher({ maxBatchSize: 64, waitMs: WAIT_MS }, async (items) => { onRun(); return items; }, "bench");
  let n = 0;
  const batched = await lateness((done) => { onRun = done; void batcher.add(n, { n: n++ }); });
  const row = (name: string, xs: number[]) => ({
    "": name, "p50 ms late": +percentile(xs, 50).toFixed(3), "p99 ms late": +percentile(xs, 99).toFixed(3), "max ms late": +xs[xs.length - 1].toFixed(3),
  });
  printTable([row("setTimeout(waitMs) baseline", bare), row(`@batched release (waitMs ${WAIT_MS})`, batched)]);
  console.log(`release p99 = waitMs + ${percentile(batched, 99).toFixed(2)} ms (target <= waitMs + 2 ms); baseline timer p99 + ${percentile(bare, 99).toFixed(2)} ms`);
}
