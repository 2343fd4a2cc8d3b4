/**
 * The Redis transport (the Kubernetes target), over a local redis-server this run starts, against
 * a bare Redis round trip (PING on a node-redis connection) measured in the same run:
 * - `.remote` of a no-op, p50/p99, one container, sampled in rounds alternating with the PINGs so
 *   both see the same machine load; the ratio is how many bare round trips one call costs
 *   (enqueue script, the worker's read, admit and finish scripts, the caller's wake-up and read);
 * - worker throughput on a no-op function: inputs queued up front, then one container drains them
 *   with 1 and with 32 inputs in flight; as a ratio to the bare round-trip rate (1 / PING p50).
 * The container is the image's bundle (provider/aws/bundle.ts, the same entry on every target)
 * with the contract the Kubernetes provider writes (transport `redis`).
 *
 *   npm run bench -- runtime-redis
 */
import { RedisConnection } from "../runtime/redis/client.ts";
import { RedisInvoker } from "../runtime/redis/invoker.ts";
import { startRedis, type LocalRedis } from "../tests/runtime/redis/fixtures/redis-server.ts";
import { bundleNoop, drainQueued, noopContractEnv, startContainer } from "./container.ts";
import { percentile, printTable } from "./stats.ts";

const APP_NAME = "bench-redis";
const INPUTS = 2000;
const WARMUP = 300;
const ROUNDS = 10;
const PER_ROUND = 200;
const target = { app: APP_NAME, name: "noop" };

function containerEnv(appFile: string, url: string, namespace: string, maxInputs: number): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    ...noopContractEnv(APP_NAME, appFile, maxInputs, { kind: "redis", url, namespace, claimIdleSeconds: 120, resultTtlDays: 7, scaledObjects: {} }),
  };
}

const invokerFor = (url: string, namespace: string) => new RedisInvoker({ config: { connection: { url }, namespace, resultTtlDays: 7 } });

async function timeEach(call: () => Promise<unknown>, n: number, into: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call();
    into.push(performance.now() - t0);
  }
}

/** `.remote` p50 against PING, alternating rounds; returns PING's p50 (ms) for the throughput ratio. */
async function remoteLatency(redis: LocalRedis, bundle: { main: string; app: string }): Promise<number> {
  const namespace = "bench-remote";
  const conn = await RedisConnection.open({ url: redis.url });
  const invoker = invokerFor(redis.url, namespace);
  const { child } = await startContainer(bundle.main, containerEnv(bundle.app, redis.url, namespace, 1));
  try {
    const ping = () => conn.cmd(["PING"]);
    const remote = () => invoker.remote(target, [1]);
    const warm: number[] = [];
    await timeEach(ping, WARMUP, warm);
    await timeEach(remote, WARMUP, warm);
    const pings: number[] = [];
    const remotes: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      await timeEach(ping, PER_ROUND, pings);
      await timeEach(remote, PER_ROUND, remotes);
    }
    pings.sort((a, b) => a - b);
    remotes.sort((a, b) => a - b);
    const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
    printTable([
      { what: "bare Redis round trip (PING)", p50: us(percentile(pings, 50)), p99: us(percentile(pings, 99)) },
      { what: ".remote of a no-op over Redis", p50: us(percentile(remotes, 50)), p99: us(percentile(remotes, 99)) },
    ]);
    console.log(`.remote p50 = ${(percentile(remotes, 50) / percentile(pings, 50)).toFixed(1)}x a bare Redis round trip`);
    return percentile(pings, 50);
  } finally {
    child.kill("SIGTERM");
    await invoker.close();
    await conn.close();
  }
}

async function throughput(redis: LocalRedis, bundle: { main: string; app: string }, maxInputs: number): Promise<number> {
  const namespace = `bench-throughput-${maxInputs}`;
  const invoker = invokerFor(redis.url, namespace);
  try {
    return await drainQueued(invoker, APP_NAME, bundle.main, containerEnv(bundle.app, redis.url, namespace, maxInputs), INPUTS);
  } finally {
    await invoker.close();
  }
}

export async function run(): Promise<void> {
  const bundle = await bundleNoop(APP_NAME);
  const redis = await startRedis();
  try {
    const pingMs = await remoteLatency(redis, bundle);
    const rows = [];
    for (const maxInputs of [1, 32]) {
      const rate = await throughput(redis, bundle, maxInputs);
      rows.push({ "inputs in flight": maxInputs, "inputs/s": rate.toFixed(0), "vs bare round trips/s": `${(rate * pingMs / 1000).toFixed(2)}x` });
    }
    printTable(rows);
    console.log(`worker throughput on a no-op function, one container, local redis-server (${INPUTS} inputs each); bare round trips/s = 1 / PING p50 (${(1000 / pingMs).toFixed(0)}/s)`);
  } finally {
    await redis.stop();
    bundle.remove();
  }
}

if (process.argv[1]?.endsWith("runtime-redis.ts")) await run();
