/**
 * `gantry:kubernetes` stack config (every problem with its key path) and what the cluster cannot
 * run (a synth error at the declaration's file:line:col), through the program as `gantry synth`
 * and `pulumi up` run it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, SynthError } from "../../../provider/errors.ts";
import { buildPlan } from "../../../provider/plan/build.ts";
import type { FunctionSpec } from "../../../synth/spec.ts";
import { app, ENTRY, fn, gpu } from "../fixtures/specs.ts";
import { PlanView, stackConfig } from "../plan-view.ts";

function build(kubernetes: unknown, functions: FunctionSpec[] = [fn("square", 1)]) {
  return buildPlan({ projectRoot: process.cwd(), stack: "dev", spec: app({ functions }), target: "kubernetes", config: stackConfig({ "gantry:kubernetes": kubernetes }) });
}

async function problems(kubernetes: unknown, functions?: FunctionSpec[]): Promise<{ kind: string; problems: string[] }> {
  try {
    await build(kubernetes, functions);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SynthError) return { kind: err.constructor.name, problems: err.problems };
    throw err;
  }
  assert.fail("the plan was built");
}

describe("gantry:kubernetes config", () => {
  it("every field has a default: an empty stack synthesizes (Redis deployed, karpenter labels, namespace gantry-<app>-<stack>)", async () => {
    const view = new PlanView(await build({}));
    assert.equal(view.inputs("kubernetes:core/v1:Namespace").metadata.name, "gantry-llm-demo-dev");
    assert.equal(view.resources("kubernetes:apps/v1:StatefulSet").length, 1);
    assert.deepEqual(view.plan.outputs.redis, { keyNamespace: "llm-demo.dev", mode: "deploy", url: "redis://redis.gantry-llm-demo-dev.svc:6379", callerUser: "gantry-caller", callerSecret: "redis-user-caller" });
  });

  it("names the key path of each problem, all of them in one run", async () => {
    assert.deepEqual(await problems({ gpuLabels: "aks", namespace: "Bad_NS", bogus: 1, redis: { url: "redis://user:pw@redis:6379", credentialsSecret: "admin" } }), {
      kind: "ConfigError",
      problems: [
        "Pulumi.dev.yaml: gantry:kubernetes.namespace: a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters",
        "Pulumi.dev.yaml: gantry:kubernetes.gpuLabels: Invalid option: expected one of \"karpenter\"|\"gke\"|\"gfd\"",
        "Pulumi.dev.yaml: gantry:kubernetes: Unrecognized key: \"bogus\"",
        "Pulumi.dev.yaml: gantry:kubernetes.redis.url: a redis:// or rediss:// URL with host[:port] and no credentials",
      ],
    });
  });

  it("redis: the form is told by its keys, and a half-written one says what is missing", async () => {
    assert.deepEqual((await problems({ redis: { url: "redis://redis.platform:6379" } })).problems, ["Pulumi.dev.yaml: gantry:kubernetes.redis.credentialsSecret: Invalid input: expected string, received undefined"]);
    assert.deepEqual((await problems({ redis: { deploy: { storage: "ten" } } })).problems, ["Pulumi.dev.yaml: gantry:kubernetes.redis.deploy.storage: a Kubernetes quantity such as 10Gi"]);
    assert.match((await problems({ redis: "redis://x" })).problems[0], /^Pulumi\.dev\.yaml: gantry:kubernetes\.redis: expected \{ url: redis:\/\/host:port, credentialsSecret/);
  });

  it("an existing Redis: no StatefulSet; a Job applies the users with the admin credentials from their Secret", async () => {
    const view = new PlanView(await build({ redis: { url: "rediss://redis.platform.svc:6380", credentialsSecret: "redis-admin" } }));
    assert.equal(view.resources("kubernetes:apps/v1:StatefulSet").length, 0);
    const job = view.inputs("kubernetes:batch/v1:Job").spec.template.spec.containers[0];
    assert.deepEqual(job.env.find((e: any) => e.name === "REDISCLI_AUTH").valueFrom, { secretKeyRef: { name: "redis-admin", key: "password" } });
    assert.match(job.command[2], /--tls/);
    const so = view.inputs("kubernetes:keda.sh/v1alpha1:ScaledObject").spec.triggers[0].metadata;
    assert.deepEqual([so.address, so.enableTLS], ["redis.platform.svc:6380", "true"]);
  });

  it("Karpenter node pools need Karpenter's labels", async () => {
    assert.deepEqual((await problems({ nodePools: "karpenter", gpuLabels: "gke" })).problems, [
      "Pulumi.dev.yaml: gantry:kubernetes.nodePools: karpenter node pools select GPUs by Karpenter's own labels: set gpuLabels: karpenter (it is gke)",
    ]);
  });
});

describe("what the cluster cannot run: a synth error at the declaration", () => {
  it("a GPU type the label profile cannot name (GKE has no A10G or L40S), each one", async () => {
    const embed = fn("embed", 7, { gpu: gpu("A10G", 1, [{ type: "L40S", count: 1, memoryGb: 48 }, { type: "L4", count: 1, memoryGb: 24 }]) });
    const gke = "GKE's cloud.google.com/gke-accelerator names T4, L4, A100-40GB, A100-80GB, H100, H200";
    assert.deepEqual(await problems({ gpuLabels: "gke" }, [embed]), {
      kind: "SynthError",
      problems: [
        `${ENTRY}:7:1: embed: gpu "A10G" cannot be selected with gantry:kubernetes.gpuLabels: gke (${gke}); choose one of those, or the label profile of a cluster that has A10G nodes`,
        `${ENTRY}:7:1: embed: gpu "L40S" cannot be selected with gantry:kubernetes.gpuLabels: gke (${gke}); choose one of those, or the label profile of a cluster that has L40S nodes`,
      ],
    });
  });

  it("GKE names what it has: nvidia-l4, and spot as gke-spot", async () => {
    const view = new PlanView(await build({ gpuLabels: "gke" }, [fn("embed", 7, { gpu: gpu("L4"), spot: true })]));
    assert.deepEqual(view.inputs("kubernetes:apps/v1:Deployment").spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms, [
      { matchExpressions: [{ key: "cloud.google.com/gke-accelerator", operator: "In", values: ["nvidia-l4"] }, { key: "cloud.google.com/gke-spot", operator: "In", values: ["true"] }] },
    ]);
  });

  it("GPU Feature Discovery labels: every product name of the type; spot cannot be expressed", async () => {
    const view = new PlanView(await build({ gpuLabels: "gfd" }, [fn("embed", 7, { gpu: gpu("H100") })]));
    assert.deepEqual(view.inputs("kubernetes:apps/v1:Deployment").spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms, [
      { matchExpressions: [{ key: "nvidia.com/gpu.product", operator: "In", values: ["NVIDIA-H100-80GB-HBM3", "NVIDIA-H100-PCIe"] }] },
    ]);
    assert.deepEqual((await problems({ gpuLabels: "gfd" }, [fn("embed", 7, { gpu: gpu("T4"), spot: true })])).problems, [
      `${ENTRY}:7:1: embed: spot: true cannot be expressed with gantry:kubernetes.gpuLabels: gfd (GPU Feature Discovery labels no capacity type, and fixed node pools are what they are); drop spot, or use gpuLabels karpenter or gke`,
    ]);
  });

  it("a Period no CronJob expresses, at the Period(...)", async () => {
    const tick = fn("tick", 9, {}, { schedule: { kind: "period", seconds: 420, source: { file: ENTRY, line: 9, column: 30 } } });
    const { kind, problems: p } = await problems({}, [tick]);
    assert.equal(kind, "SynthError");
    assert.deepEqual(p.length, 1);
    assert.match(p[0], new RegExp(`^${ENTRY.replace(/\./g, "\\.")}:9:30: tick: Period of 420s has no Kubernetes CronJob form: the CronJob controller ticks on minutes of the clock`));
  });

  it("Periods that divide the clock, and a Cron with 7 for Sunday (the CronJob parser reads 0-6)", async () => {
    const at = { file: ENTRY, line: 9, column: 30 };
    const view = new PlanView(await build({}, [
      fn("every15", 9, {}, { schedule: { kind: "period", seconds: 900, source: at } }),
      fn("sixHourly", 10, {}, { schedule: { kind: "period", seconds: 21600, source: at } }),
      fn("weekly", 11, {}, { schedule: { kind: "cron", expression: "0 9 * * 7", timezone: "America/New_York", source: at } }),
    ]));
    const cron = (d: string) => { const s = view.inputs("kubernetes:batch/v1:CronJob", { declaration: d }).spec; return [s.schedule, s.timeZone]; };
    assert.deepEqual(cron("every15"), ["*/15 * * * *", "UTC"]);
    assert.deepEqual(cron("sixHourly"), ["0 */6 * * *", "UTC"]);
    assert.deepEqual(cron("weekly"), ["0 9 * * 0", "America/New_York"]);
  });
});
