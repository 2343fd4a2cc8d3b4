/**
 * One unit model, every layer: for each concurrency case (plain function, `@concurrent`, `@batched`
 * with and without `@concurrent`, class variants, GPU fallback lists) the local runtime's pool, the
 * AWS plan (scaling target, the worker's slots from the task's environment, task counts) and the
 * cost model derive the same per-unit concurrency as synth/units.ts, written out here by hand.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { AppSpec } from "../../synth/spec.ts";
import { resolveConcurrency, slotsFor, unitFor, unitsOf, type UnitConcurrency } from "../../synth/units.ts";
import { LocalRuntime } from "../../runtime/local/runtime.ts";
import { loadTarget } from "../../runtime/worker/target.ts";
import { containerConfigFromEnv } from "../../runtime/container/config.ts";
import { unitsOf as awsUnitsOf, capacityGroupsOf } from "../../provider/aws/units.ts";
import { costPlan } from "../../policy/cost.ts";
import { pricedUnits } from "../../policy/instances.ts";
import { defaultPrices } from "../../policy/prices.ts";
import { parseUsage } from "../../policy/usage.ts";
import { analyzeApp } from "../../synth/index.ts";
import { brief, FIXTURES } from "./helpers.ts";
import { tempDir } from "../runtime/helpers.ts";
import { planOf, type PlanView } from "../provider/plan-view.ts";

const APP_FILE = join(FIXTURES, "units", "app.ts");

interface Case extends UnitConcurrency { min: number; max: number }

/** What each unit of fixtures/units/app.ts must get, in every layer. */
const EXPECTED: Record<string, Case> = {
  plain: { maxInputs: 1, slots: 1, targetInputs: 1, min: 0, max: 3 },
  train: { maxInputs: 1, slots: 1, targetInputs: 1, min: 0, max: 2 },
  Single: { maxInputs: 1, slots: 1, targetInputs: 1, min: 0, max: 4 },
  'Single[gpu=["H100","A100-80GB"],maxContainers=2]': { maxInputs: 1, slots: 1, targetInputs: 1, min: 0, max: 2 },
  Concurrent: { maxInputs: 8, slots: 8, targetInputs: 6, min: 0, max: 10 },
  // withConcurrency without targetInputs: the target is the new maxInputs
  "Concurrent[maxInputs=12]": { maxInputs: 12, slots: 12, targetInputs: 12, min: 0, max: 10 },
  // a container takes a whole batch, and is scaled on full batches
  Batched: { maxInputs: 1, slots: 16, targetInputs: 16, min: 0, max: 5 },
  "Batched[maxBatchSize=4,waitMs=10]": { maxInputs: 1, slots: 4, targetInputs: 4, min: 0, max: 5 },
  "Batched[maxInputs=24,targetInputs=18]": { maxInputs: 24, slots: 24, targetInputs: 18, min: 0, max: 5 },
  // unbounded: gantry's default bound of 100
  BatchedConcurrent: { maxInputs: 32, slots: 32, targetInputs: 20, min: 0, max: 100 },
};

const concurrencyOf = (c: UnitConcurrency): UnitConcurrency => ({ maxInputs: c.maxInputs, slots: c.slots, targetInputs: c.targetInputs });

let spec: AppSpec;
let view: PlanView;

before(async () => {
  // analysed from the repository root (as `gantry synth` would), so the plan's bundle finds the entry
  const result = analyzeApp(APP_FILE);
  assert.deepEqual(result.diagnostics.filter((d) => d.severity === "error").map(brief), []);
  spec = result.spec!;
  view = await planOf(spec);
});

test("the rule: slots = max(maxInputs, largest batch, 1); the target is the slots without @concurrent", () => {
  const batch = (n: number) => ({ m: { maxBatchSize: n, waitMs: 0 } });
  assert.deepEqual(resolveConcurrency(null, {}), { maxInputs: 1, slots: 1, targetInputs: 1 });
  assert.deepEqual(resolveConcurrency(null, batch(16)), { maxInputs: 1, slots: 16, targetInputs: 16 });
  assert.deepEqual(resolveConcurrency({ maxInputs: 8, targetInputs: 6 }, {}), { maxInputs: 8, slots: 8, targetInputs: 6 });
  assert.deepEqual(resolveConcurrency({ maxInputs: 32, targetInputs: 20 }, batch(16)), { maxInputs: 32, slots: 32, targetInputs: 20 });
  assert.deepEqual(resolveConcurrency({ maxInputs: 4, targetInputs: 4 }, batch(16)), { maxInputs: 4, slots: 16, targetInputs: 4 });
  assert.equal(slotsFor(2, { a: { maxBatchSize: 3, waitMs: 0 }, b: { maxBatchSize: 7, waitMs: 0 } }), 7);
});

describe("one unit model (synth/units.ts)", () => {
  test("every function, class and variant is a unit, sorted by id", () => {
    assert.deepEqual(unitsOf(spec).map((u) => u.id), Object.keys(EXPECTED).sort());
  });

  test("resolved concurrency and scaling bounds", () => {
    for (const u of unitsOf(spec)) {
      const { min, max, ...concurrency } = EXPECTED[u.id];
      assert.deepEqual(u.concurrency, concurrency, u.id);
      assert.deepEqual([u.scaling.minContainers, u.scaling.maxContainers], [min, max], u.id);
    }
  });

  test("a variant keeps its class's name and batching, with its overrides applied", () => {
    const v = unitsOf(spec).find((u) => u.id === "Batched[maxBatchSize=4,waitMs=10]")!;
    assert.deepEqual([v.kind, v.name, v.variantOf], ["class", "Batched", "Batched"]);
    assert.deepEqual(v.batching, { embed: { maxBatchSize: 4, waitMs: 10 } });
    assert.equal(v.options.gpu?.type, "T4");
  });

  test("looking a unit up by call target: variants, methods, and errors that list what exists", () => {
    const app = "units-matrix";
    assert.equal(unitFor(spec, { app, name: "Batched", variant: "Batched[maxInputs=24,targetInputs=18]" }).concurrency.targetInputs, 18);
    assert.equal(unitFor(spec, { app, name: "Batched", variant: "Batched", method: "embed" }).id, "Batched");
    assert.throws(() => unitFor(spec, { app, name: "Batched", variant: "Batched[gpu=H100]" }),
      /Batched: the variant Batched\[gpu=H100\] was not deployed \(deployed: Batched, Batched\[maxBatchSize=4,waitMs=10\], Batched\[maxInputs=24,targetInputs=18\]\)/);
    assert.throws(() => unitFor(spec, { app, name: "nope" }), /app "units-matrix" has no function or class "nope" in its spec \(declared: plain, train, Batched, BatchedConcurrent, Concurrent, Single\)/);
    assert.throws(() => unitFor(spec, { app: "other", name: "plain" }), /app "other" is not part of this run/);
    assert.throws(() => unitFor(spec, { app, name: "Single", method: "walk" }), /Single has no method "walk" \(methods: run\)/);
  });
});

describe("every layer derives the same per-unit concurrency", () => {
  let runtime: LocalRuntime;
  let stateDir: string;
  before(() => {
    stateDir = tempDir("gantry-units-");
    runtime = new LocalRuntime({ spec, appFile: APP_FILE, stateDir, gantryHome: stateDir });
  });
  after(async () => {
    await runtime.shutdown();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const targetOf = (id: string) => {
    const u = unitsOf(spec).find((x) => x.id === id)!;
    return { app: "units-matrix", name: u.name, ...(u.variantOf ? { variant: u.id } : {}) };
  };

  test("gantry run: the local pool's slots and target, and the slots its worker computes", async () => {
    for (const [id, { min: _min, max: _max, ...expected }] of Object.entries(EXPECTED)) {
      const config = runtime.poolConfigFor(targetOf(id));
      assert.deepEqual({ maxInputs: config.boot.maxInputs, slots: config.slots, targetInputs: config.targetInputs }, expected, id);
      const worker = await loadTarget(config.boot);
      assert.equal(worker.slots, expected.slots, `${id}: the local worker's slots`);
    }
  });

  test("AWS plan: the backlog target is targetInputs, buffer headroom in inputs, bounds on the scalable target", () => {
    for (const [id, e] of Object.entries(EXPECTED)) {
      const policy = view.inputs("aws:appautoscaling/policy:Policy", { declaration: id, name: /-backlog$/ }).targetTrackingScalingPolicyConfiguration;
      assert.equal(policy.targetValue, e.targetInputs, `${id}: backlog per task target`);
      const expression = policy.customizedMetricSpecification.metrics.find((m: { id: string }) => m.id === "backlog").expression;
      const buffer = unitsOf(spec).find((u) => u.id === id)!.options.bufferContainers * e.targetInputs;
      assert.equal(expression, buffer > 0 ? `(visible + inflight + IF((visible + inflight) > 0, ${buffer}, 0)) / running` : "(visible + inflight) / running", id);
      const target = view.inputs("aws:appautoscaling/target:Target", { declaration: id });
      assert.deepEqual([target.minCapacity, target.maxCapacity], [e.min, e.max], `${id}: scalable target bounds`);
      assert.equal(view.inputs("aws:ecs/service:Service", { declaration: id }).desiredCount, e.min, `${id}: service desired count`);
    }
    // the headroom of one buffer container is a full batch, not one input
    assert.match(JSON.stringify(view.inputs("aws:appautoscaling/policy:Policy", { declaration: "Batched", name: /-backlog$/ })), /\(visible \+ inflight \+ IF\(\(visible \+ inflight\) > 0, 16, 0\)\) \/ running/);
  });

  test("AWS plan: the worker's slots, decoded from the task definition's environment", async () => {
    for (const [id, e] of Object.entries(EXPECTED)) {
      const [container] = view.json("aws:ecs/taskDefinition:TaskDefinition", { declaration: id }, "containerDefinitions");
      const env = Object.fromEntries(container.environment.map((v: { name: string; value: string }) => [v.name, v.value]));
      const cfg = containerConfigFromEnv(env);
      assert.equal(cfg.maxInputs, e.maxInputs, `${id}: maxInputs the container is told`);
      const worker = await loadTarget({ appFile: APP_FILE, appName: cfg.appName, kind: cfg.kind, name: cfg.name, params: cfg.params ?? {}, maxInputs: cfg.maxInputs, batching: cfg.batching });
      assert.equal(worker.slots, e.slots, `${id}: the AWS worker's slots`);
    }
  });

  test("cost model: calls x duration are divided by the same targetInputs", () => {
    const seconds = 36;
    const priced = new Map(pricedUnits(spec, defaultPrices()).map((p) => [p.unit.id, p]));
    const bounds = new Map(costPlan(spec, view.plan.resources).declarations.map((d) => [d.declaration, d.cost]));
    // per unit, the calls that cost halfway between floor and ceiling if the model divides by `targetInputs`
    const callsOf = (id: string) => {
      const { floor, ceiling } = bounds.get(id)!;
      const fit = priced.get(id)!.fits[0];
      const containerHours = ((floor + ceiling) / 2) * fit.tasksPerInstance / fit.hourly;
      return (containerHours * EXPECTED[id].targetInputs * 3600) / seconds;
    };
    const usage = parseUsage({ declarations: Object.fromEntries(Object.keys(EXPECTED).map((id) => [id, { callsPerMonth: callsOf(id), secondsPerCall: seconds }])) });
    const cost = costPlan(spec, view.plan.resources, { usage });
    for (const [id, e] of Object.entries(EXPECTED)) {
      const line = cost.declarations.find((d) => d.declaration === id)!;
      const fit = priced.get(id)!.fits[0];
      assert.ok(line.cost.floor < line.cost.expected && line.cost.expected < line.cost.ceiling, `${id}: not clamped (${JSON.stringify(line.cost)})`);
      // what the cost model divided the busy container-hours by
      const perContainer = ((callsOf(id) * seconds) / 3600) * fit.hourly / fit.tasksPerInstance / line.cost.expected;
      assert.equal(Math.round(perContainer), e.targetInputs, `${id}: inputs per container in the cost model (${perContainer})`);
    }
  });

  test("task counts: each capacity group's size is what the cost model's packing says maxContainers need", () => {
    const priced = pricedUnits(spec, defaultPrices());
    for (const group of capacityGroupsOf(awsUnitsOf(spec))) {
      const asg = view.inputs("aws:autoscaling/group:Group", { name: `gantry-capacity-${group.slug}` });
      const needed = group.units.reduce((sum, id) => {
        const p = priced.find((x) => x.unit.id === id)!;
        return sum + Math.ceil(EXPECTED[id].max / p.fits[0].tasksPerInstance);
      }, 0);
      assert.equal(asg.maxSize, needed, `group ${group.key}`);
      assert.deepEqual(asg.mixedInstancesPolicy.launchTemplate.overrides.map((o: { instanceType: string }) => o.instanceType), group.instances.map((i) => i.instanceType));
    }
    // the GPU fallback lists: one group each, instance types in preference order
    assert.deepEqual(view.inputs("aws:autoscaling/group:Group", { name: "gantry-capacity-gpu-a10gx1-l4x1" }).mixedInstancesPolicy.launchTemplate.overrides, [{ instanceType: "g5.xlarge" }, { instanceType: "g6.xlarge" }]);
    assert.deepEqual(view.inputs("aws:autoscaling/group:Group", { name: "gantry-capacity-gpu-h100x1-a100-80gbx1" }).mixedInstancesPolicy.launchTemplate.overrides, [{ instanceType: "p5.4xlarge" }, { instanceType: "p4de.24xlarge" }]);
  });
});
