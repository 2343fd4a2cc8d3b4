/**
 * The offline plan: the same program `pulumi up` runs, under Pulumi's mock runtime (no engine, no
 * cloud, no credentials), recording every resource it declares. Byte-identical for the same
 * input: resources sorted by URN, keys sorted, secrets "[secret]", mock values derived from names.
 *
 * Pulumi's mock runtime is process-global: `buildPlan` resets it at the start of every run, so
 * runs one after another in one process are fine (the tests rely on it); two at once are refused.
 */
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import type { AppSpec } from "../../synth/spec.ts";
import { ARTIFACT_KEY } from "../artifact.ts";
import { Plan, PLAN_VERSION, type PlanResource } from "../plan.ts";
import { runGantryProgram, type Deployed } from "../run.ts";
import type { LiveAccount } from "../target.ts";
import { declarationRecords, resetDeclarationRecords, type ResourceOrigin } from "../source.ts";
import { sortKeys } from "../spec-hash.ts";
import { mockCall, mockResource } from "./mock-values.ts";
import { RecordingMonitor, type Registration } from "./monitor.ts";
import * as pulumiState from "@pulumi/pulumi/runtime/state.js";
import { normalize } from "./normalize.ts";
import { readStackConfig, type StackConfig } from "./stack-config.ts";

export interface PlanInputs {
  projectRoot: string;
  stack: string;
  /** the app file relative to the project root (wins over stack config `gantry:app`) */
  app?: string;
  /** the target (wins over stack config `gantry:target`) */
  target?: string;
  /** a spec made elsewhere (tests, benchmarks) instead of analysing `app` */
  spec?: AppSpec;
  secretValues?: Record<string, Record<string, string>>;
  /** default: read from Pulumi.yaml and Pulumi.<stack>.yaml */
  config?: StackConfig;
  /**
   * plan as if the stack had no `gantry:artifact` (build images from the code): for reviewing a
   * change before it reaches a promoted stack, which would otherwise refuse the changed code
   */
  ignoreArtifact?: boolean;
  /**
   * run as `pulumi preview`/`up` would against a live account, with these stand-ins for its
   * clients (tests of deploy-time behaviour); default: offline, no account is read
   */
  live?: LiveAccount;
}

/**
 * A step run on the finished plan, in order, e.g. the cost model's (policy/plan-step.ts), which
 * fills `cost`. The caller passes the steps it wants: the provider knows none of them.
 */
export type PlanStep = (plan: Plan, inputs: PlanInputs) => Plan | Promise<Plan>;

// two folders up from the sources, three from the built dist/provider/plan/
const VERSION = (JSON.parse(readFileSync(new URL(import.meta.url.endsWith(".ts") ? "../../package.json" : "../../../package.json", import.meta.url), "utf8")) as { version: string }).version;
const DEFAULT_REGION = "us-east-1";

let running = false;

function projectName(root: string): string {
  try {
    const text = readFileSync(`${root}/Pulumi.yaml`, "utf8");
    return /^name:\s*(\S+)/m.exec(text)?.[1] ?? "gantry";
  } catch {
    return "gantry";
  }
}

/** Where a resource comes from: its own record, else its nearest component ancestor's. */
function originOf(urn: string, parents: Map<string, string>, records: ReadonlyMap<string, ResourceOrigin>): ResourceOrigin | null {
  for (let u: string | undefined = urn; u; u = parents.get(u)) {
    const ref = records.get(u);
    if (ref) return ref;
  }
  return null;
}

function toResources(registrations: Registration[], root: string): PlanResource[] {
  const kept = registrations.filter((r) => !r.type.startsWith("pulumi:providers:") && r.type !== "pulumi:pulumi:Stack");
  const urns = new Set(kept.map((r) => r.urn));
  const parents = new Map(kept.map((r) => [r.urn, r.parent]));
  const records = declarationRecords();
  const seen = new Set<string>();
  const out: PlanResource[] = [];
  for (const r of kept) {
    if (seen.has(r.urn)) throw new Error(`two resources share the URN ${r.urn}`);
    seen.add(r.urn);
    const origin = originOf(r.urn, parents, records);
    out.push({
      urn: r.urn,
      type: r.type,
      name: r.name,
      parent: urns.has(r.parent) ? r.parent : null,
      inputs: r.custom ? (normalize(r.object, root) as Record<string, unknown>) : {},
      dependsOn: [...new Set(r.dependsOn.filter((u) => urns.has(u)))].sort(),
      source: origin ? { ...origin.source } : null,
      declaration: origin ? origin.declaration : null,
      ...(origin?.serves ? { serves: [...origin.serves] } : {}),
      ...(r.importId ? { import: r.importId } : {}),
      ...(r.ignoreChanges.length ? { ignoreChanges: [...r.ignoreChanges].sort() } : {}),
    });
  }
  return out.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
}

function resolveOutputs(outputs: unknown): { value: () => unknown } {
  let resolved: { v: unknown } | null = null;
  (pulumi.output(outputs as Record<string, unknown>) as pulumi.Output<unknown>).apply((v: unknown) => {
    resolved = { v };
    return v;
  });
  return {
    value: () => {
      if (!resolved) throw new Error("the stack outputs did not resolve (an output depends on a value the mocks do not provide)");
      return (resolved as { v: unknown }).v;
    },
  };
}

export async function buildPlan(inputs: PlanInputs, steps: readonly PlanStep[] = []): Promise<Plan> {
  if (running) throw new Error("buildPlan is already running in this process: Pulumi's mock runtime is process-global (await one plan before the next)");
  running = true;
  const failures: unknown[] = [];
  const onRejection = (reason: unknown) => failures.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    const config = structuredClone(inputs.config ?? readStackConfig(inputs.projectRoot, inputs.stack));
    if (inputs.app) config.values["gantry:app"] = inputs.app;
    if (inputs.target) config.values["gantry:target"] = inputs.target;
    if (inputs.ignoreArtifact) delete config.values[ARTIFACT_KEY];
    const region = config.values["aws:region"] ?? DEFAULT_REGION;
    const project = projectName(inputs.projectRoot);
    const monitor = new RecordingMonitor({
      newResource: (args) => mockResource(args, region),
      call: (args) => mockCall(args, region),
    });
    // setMocks turns on the features a mock engine supports (secrets among them), then our
    // monitor takes the place of the stock one it installed
    await pulumi.runtime.setMocks(monitor.mocks, project, inputs.stack, false);
    (pulumiState as unknown as { getStore(): { settings: { monitor: unknown } } }).getStore().settings.monitor = monitor;
    pulumi.runtime.setAllConfig(config.values, config.secretKeys);
    resetDeclarationRecords();

    let deployed: Deployed | null = null;
    const outputs = await runGantryProgram({
      projectRoot: inputs.projectRoot,
      spec: inputs.spec,
      secretValues: inputs.secretValues,
      observe: (d) => { deployed = d; },
      live: inputs.live ?? null,
    });
    const resolved = resolveOutputs(outputs);
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    if (failures.length) throw failures[0];
    const { spec, specHash, target } = deployed as unknown as Deployed;
    let plan: Plan = {
      gantry: { planVersion: PLAN_VERSION, version: VERSION },
      app: spec.app.name,
      stack: inputs.stack,
      target,
      specHash,
      spec,
      resources: toResources(monitor.registrations, inputs.projectRoot),
      outputs: sortKeys(resolved.value()) as Record<string, unknown>,
      cost: null,
    };
    for (const step of steps) plan = await step(plan, inputs);
    return Plan.parse(plan);
  } finally {
    process.off("unhandledRejection", onRejection);
    running = false;
  }
}

/** The plan as `gantry synth --json` writes it: keys sorted at every level, two-space indent. */
export function serializePlan(plan: Plan): string {
  return `${JSON.stringify(sortKeys(plan), null, 2)}\n`;
}
