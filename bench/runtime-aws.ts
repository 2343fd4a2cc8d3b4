/**
 * The AWS runtime, measured on what a container really runs: the image's bundle of
 * runtime/container/main.ts with an app, made by provider/aws/bundle.ts (esbuild) as `gantry synth`
 * and `pulumi up` make it:
 * - cold start: process start to "ready: receiving inputs" with a trivial app (no user import
 *   cost, no `@enter`), as a ratio to `node -e 0`, sampled alternately (target <= 3x);
 * - worker throughput on a no-op function through the AWS transport stand-ins (the SQS stand-in,
 *   dynalite, s3rver, each a local process): inputs queued up front, then one container drains
 *   them, with 1 and with 32 inputs in flight.
 * Absolute figures on a shared 2-core machine mean little; the ratio travels better.
 *
 *   node --import tsx -e "import('./bench/runtime-aws.ts').then((m) => m.run())"
 */
import { spawn, spawnSync } from "node:child_process";
import { BUCKET, RESULTS_TABLE, startLocalAws, type LocalAws } from "../tests/runtime/aws/fixtures/local-aws.ts";
import { AwsInvoker } from "../runtime/aws/invoker.ts";
import { percentile, printTable } from "./stats.ts";
import { bundleNoop, drainQueued, noopContractEnv } from "./container.ts";

const APP_NAME = "bench-aws";
const SAMPLES = 15;
const INPUTS = 2000;

/** The container's environment: its contract (runtime/contract.ts) for the noop function on these queues. */
function baseEnv(appFile: string, wiring: { queueUrl: string; dlqUrl: string; resultsTable: string; bucket: string; maxInputs?: number }): Record<string, string> {
  const { maxInputs = 1, ...queues } = wiring;
  return {
    ...(process.env as Record<string, string>),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...noopContractEnv(APP_NAME, appFile, maxInputs, {
      kind: "aws", ...queues, maxMessageBytes: 262_144, visibilityTimeout: 120, maxReceiveCount: 5, resultTtlDays: 7,
      queues: { noop: queues.queueUrl }, dicts: {}, stateQueues: {}, scalingTargets: {}, secretArns: [],
    }),
  };
}

/** Spawn to the first stderr line containing `marker`; the process is killed then. */
function timeToLine(main: string, env: Record<string, string>, marker: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [main], { env, stdio: ["ignore", "ignore", "pipe"] });
    let seen = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no "${marker}" within 30 s:\n${seen.slice(-2000)}`));
    }, 30_000);
    child.stderr!.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(marker)) {
        const ms = performance.now() - t0;
        clearTimeout(timer);
        child.kill("SIGKILL");
        resolve(ms);
      }
    });
  });
}

async function coldStart(bundle: { main: string; app: string }): Promise<void> {
  // unreachable endpoints: "ready" comes before the first receive, so nothing is contacted
  const env = {
    ...baseEnv(bundle.app, { queueUrl: "http://127.0.0.1:9/000000000000/noop", dlqUrl: "http://127.0.0.1:9/000000000000/noop-dlq", resultsTable: "results", bucket: "payloads" }),
    AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "bench", AWS_SECRET_ACCESS_KEY: "bench",
  };
  const bare: number[] = [];
  const ready: number[] = [];
  await timeToLine(bundle.main, env, "ready: receiving inputs"); // warm the file cache
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ["-e", "0"]);
    bare.push(performance.now() - t0);
    ready.push(await timeToLine(bundle.main, env, "ready: receiving inputs"));
  }
  bare.sort((a, b) => a - b);
  ready.sort((a, b) => a - b);
  const ratio = percentile(ready, 50) / percentile(bare, 50);
  printTable([
    { what: "node -e 0", p50: `${percentile(bare, 50).toFixed(0)} ms`, p90: `${percentile(bare, 90).toFixed(0)} ms` },
    { what: "container entry (bundle) to ready", p50: `${percentile(ready, 50).toFixed(0)} ms`, p90: `${percentile(ready, 90).toFixed(0)} ms` },
  ]);
  console.log(`cold start = ${ratio.toFixed(2)}x node -e 0 (target <= 3x): ${ratio <= 3 ? "ok" : "MISSED"}`);
}

async function throughput(aws: LocalAws, bundle: { main: string; app: string }, maxInputs: number): Promise<number> {
  const name = `noop-${maxInputs}`;
  const { url, dlqUrl } = await aws.createQueue(name, { visibilityTimeout: 60, maxReceiveCount: 5 });
  const invoker = new AwsInvoker({
    config: { queues: { noop: url }, resultsTable: RESULTS_TABLE, bucket: BUCKET, maxMessageBytes: 262_144, resultTtlDays: 7 },
    clients: aws.clients,
  });
  const env = { ...baseEnv(bundle.app, { queueUrl: url, dlqUrl, resultsTable: RESULTS_TABLE, bucket: BUCKET, maxInputs }), ...aws.env };
  return drainQueued(invoker, APP_NAME, bundle.main, env, INPUTS);
}

export async function run(): Promise<void> {
  const bundle = await bundleNoop(APP_NAME);
  let aws: LocalAws | null = null;
  try {
    await coldStart(bundle);
    aws = await startLocalAws();
    const rows = [];
    for (const maxInputs of [1, 32]) {
      rows.push({ "inputs in flight": maxInputs, "inputs/s": (await throughput(aws, bundle, maxInputs)).toFixed(0) });
    }
    printTable(rows);
    console.log(`worker throughput on a no-op function, one container, over the local stand-ins (${INPUTS} inputs each)`);
  } finally {
    await aws?.stop();
    bundle.remove();
  }
}

if (process.argv[1]?.endsWith("runtime-aws.ts")) await run();
