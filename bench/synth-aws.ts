/**
 * The offline AWS plan for apps of 10 and 100 GPU functions, against a bare Pulumi mock program
 * that registers as many resources (one SQS queue each, stock mocks): the ratio is what gantry's
 * components, bundling and plan recording cost over Pulumi's own registration machinery.
 * Both run in this process, warmed up; medians of a few runs.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildPlan } from "../provider/plan/build.ts";
import { AppSpec, DEFAULTS, GPU_MEMORY_GB, type FunctionSpec } from "../synth/spec.ts";
import { median, printTable, timeRuns } from "./stats.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const GPUS = ["T4", "L4", "A10G", "L40S", "H100"] as const;
const IMAGE = "img-000000000000";

/** An AppSpec of `n` GPU functions (as the analysis would give it), with its app file. */
export function gpuAppSpec(n: number): AppSpec {
  const dir = join(root, "bench", ".generated", "synth-aws");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "app.ts"), `import { App } from "gantry";\nexport const app = new App("bench-synth-${n}");\n`);
  const entry = "bench/.generated/synth-aws/app.ts";
  const functions: FunctionSpec[] = Array.from({ length: n }, (_, i) => {
    const type = GPUS[i % GPUS.length];
    return {
      kind: "function", name: `f${String(i).padStart(3, "0")}`, source: { file: entry, line: 3 + i, column: 14 },
      options: {
        image: IMAGE, gpu: { type, count: 1, memoryGb: GPU_MEMORY_GB[type], fallbacks: [] }, cpu: null, memory: null,
        timeout: 120 + (i % 7), retries: { ...DEFAULTS.retries }, secrets: [], volumes: [], minContainers: 0,
        maxContainers: 1 + (i % 4), bufferContainers: 0, scaledownWindow: 60, enableMemorySnapshot: false, spot: false, env: {},
      },
      schedule: i % 10 === 0 ? { kind: "cron", expression: `${i % 60} 2 * * *`, timezone: "UTC", source: { file: entry, line: 3 + i, column: 40 } } : null,
      web: null, params: [{ name: "x", type: "number" }], returns: "Promise<number>",
    };
  });
  return AppSpec.parse({
    specVersion: 1, app: { name: `bench-synth-${n}`, source: { file: entry, line: 2, column: 14 } }, entry, functions, classes: [], entrypoints: [],
    images: [{ id: IMAGE, base: { kind: "debianSlim", node: "20", python: null }, layers: [], source: null }],
    volumes: [], secrets: [], dicts: [], queues: [],
  });
}

async function gantryPlan(spec: AppSpec): Promise<number> {
  const plan = await buildPlan({ projectRoot: root, stack: "bench", spec, config: { values: {}, secretKeys: [], files: [] } });
  return plan.resources.length;
}

/** The baseline: stock `setMocks`, `count` resources registered, wait for every registration. */
async function bareMockProgram(count: number): Promise<void> {
  await pulumi.runtime.setMocks({
    newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, arn: `arn:${args.name}` } }),
    call: () => ({}),
  }, "bench", "bench", false);
  for (let i = 0; i < count; i++) new aws.sqs.Queue(`q${i}`, { visibilityTimeoutSeconds: 60, tags: { i: String(i) } });
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

export async function run(): Promise<void> {
  const rows: Array<Record<string, string | number>> = [];
  for (const n of [10, 100]) {
    const spec = gpuAppSpec(n);
    const resources = await gantryPlan(spec); // also warms up
    const gantry = median(await timeRuns(() => gantryPlan(spec), 3, 0));
    const bare = median(await timeRuns(() => bareMockProgram(resources), 3, 1));
    rows.push({
      "GPU functions": n,
      resources,
      "gantry plan (ms)": Math.round(gantry),
      "bare mock program (ms)": Math.round(bare),
      ratio: `${(gantry / bare).toFixed(2)}x`,
    });
  }
  console.log("offline AWS plan vs a bare Pulumi mock program registering the same number of resources");
  printTable(rows);
}
