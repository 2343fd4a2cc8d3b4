/**
 * The Kubernetes plan for people: per declaration the pod it runs (GPU and the nodes it may land
 * on, cpu/memory), how KEDA scales it, its schedule, endpoints and web route; then what the stack
 * shares (namespace, Redis, node pools, state).
 */
import { webAccess } from "../../synth/units.ts";
import type { Plan } from "../plan.ts";
import { formatSource } from "./component.ts";
import { unitKeys } from "../../runtime/redis/keys.ts";
import { scalingFormula } from "./scaling.ts";
import { cronScheduleOf } from "./schedule.ts";
import { unitsOf, type Unit } from "./units.ts";

function row(label: string, value: string): string {
  return `    ${label.padEnd(11)} ${value}`;
}

function gpuText(unit: Unit): string {
  if (!unit.shapes.length) return "none (CPU)";
  const shapes = unit.shapes.map((s) => `${s.type}${s.count > 1 ? ` x${s.count}` : ""}`);
  return shapes.length > 1 ? `${shapes[0]} (then ${shapes.slice(1).join(", then ")})` : shapes[0];
}

type Inputs = Record<string, any>;

/** The node requirements a Deployment's pods carry, as `key in (a, b)` per term. */
function nodesText(deployment: Inputs | undefined): string {
  const terms = deployment?.spec?.template?.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms as Array<{ matchExpressions: Array<{ key: string; values: string[] }> }> | undefined;
  if (!terms?.length) return "any Linux amd64 node";
  return terms.map((t) => t.matchExpressions.map((e) => `${e.key}=${e.values.join("|")}`).join(", ")).join("  or  ");
}

export function summarizeKubernetesPlan(plan: Plan): string[] {
  const units = unitsOf(plan.spec);
  const out = plan.outputs as Inputs;
  const namespace = String(out.namespace ?? "");
  const keyNs = String(out.redis?.keyNamespace ?? "");
  const endpoints = (out.endpoints ?? {}) as Record<string, string>;
  const count = new Map<string, number>();
  for (const r of plan.resources) if (r.declaration && !r.type.startsWith("gantry:")) count.set(r.declaration, (count.get(r.declaration) ?? 0) + 1);
  const byType = (type: string, declaration: string | null) => plan.resources.find((r) => r.type === type && r.declaration === declaration)?.inputs as Inputs | undefined;
  const lines: string[] = [];
  for (const unit of units) {
    const deployment = byType("kubernetes:apps/v1:Deployment", unit.id);
    const kind = unit.variantOf ? `variant of ${unit.variantOf}` : unit.kind;
    lines.push(`  ${unit.id}  (${kind}, ${formatSource(unit.source)})`);
    lines.push(row("GPU", gpuText(unit)));
    lines.push(row("nodes", nodesText(deployment)));
    const r = unit.resources;
    lines.push(row("pod", `deployment ${namespace}/${unit.slug}: ${r.cpu} CPU, ${r.memoryMiB} MiB${r.gpus ? `, nvidia.com/gpu ${r.gpus}` : ""}, timeout ${unit.options.timeout}s, drain ${unit.drainSeconds}s`));
    const max = unit.scaling.bounded ? String(unit.scaling.maxContainers) : `${unit.scaling.maxContainers} (maxContainers not set; gantry's cap)`;
    const scaling = unit.server
      ? `${unit.scaling.minContainers}..${max} pods on CPU utilization (KEDA)`
      : `${unit.scaling.minContainers}..${max} pods on ${scalingFormula(unit)} = ${unit.concurrency.targetInputs} per pod (KEDA, stream ${unitKeys(keyNs || "x", unit.id).work})`;
    lines.push(row("scaling", `${scaling}; ${unit.concurrency.maxInputs} input${unit.concurrency.maxInputs === 1 ? "" : "s"} per pod; scale-in after ${unit.options.scaledownWindow}s`));
    lines.push(row("calls", `retries ${unit.options.retries.maxRetries}, then dead-letter; claimed from a silent pod after ${unit.options.timeout + 60}s`));
    if (unit.options.volumes.length) lines.push(row("volumes", unit.options.volumes.map((v) => `${v.mountPath} <- ${v.volume} (PVC, ReadWriteMany)`).join(", ")));
    if (unit.options.secrets.length) {
      lines.push(row("secrets", unit.options.secrets.map((id) => {
        const s = plan.spec.secrets.find((x) => x.id === id);
        if (!s) return id;
        const keys = s.kind === "named" ? s.requiredKeys : s.keys;
        return `${s.kind === "named" ? s.name : id}${keys.length ? ` (${keys.join(", ")})` : ""}`;
      }).join(", ")));
    }
    if (unit.schedule) {
      const cron = cronScheduleOf(unit.schedule);
      lines.push(row("schedule", `CronJob "${cron.schedule}" ${cron.timeZone}${cron.note ? ` (${cron.note})` : ""}`));
    }
    for (const e of unit.endpoints) {
      const key = `${e.web.method} ${e.path}`;
      lines.push(row("endpoint", `${key}  ${webAccess(e.web)}${e.web.docs ? ", docs" : ""}  via the gateway${endpoints[key] ? `  ${endpoints[key]}` : ""}`));
    }
    if (unit.server) lines.push(row("web", `${unit.server.kind === "server" ? `webServer :${unit.server.port}` : "webApp"} ${webAccess(unit.server)}  HTTPRoute ${namespace}/${unit.slug}`));
    lines.push(row("resources", String(count.get(unit.id) ?? 0)));
    lines.push("");
  }
  const shared = plan.resources.filter((r) => r.declaration === null && !r.type.startsWith("gantry:")).length;
  const others = plan.resources.filter((r) => r.declaration !== null && !units.some((u) => u.id === r.declaration) && !r.type.startsWith("gantry:")).length;
  const pools = plan.resources.filter((r) => r.type === "kubernetes:karpenter.sh/v1:NodePool");
  lines.push("  shared");
  lines.push(row("namespace", namespace));
  lines.push(row("redis", `${out.redis?.mode === "deploy" ? "a StatefulSet the stack runs" : "an existing server"} at ${out.redis?.url ?? "?"}, keys gantry:{${keyNs}:*}`));
  if (pools.length) {
    lines.push(row("node pools", pools.map((p) => {
      const i = p.inputs as Inputs;
      return `${i.metadata?.name}: ${(i.spec?.template?.spec?.requirements?.[0]?.values ?? []).join("|")} ${i.spec?.template?.spec?.requirements?.[1]?.values?.[0]}, at most ${i.spec?.limits?.["nvidia.com/gpu"]} GPUs`;
    }).join("; ")));
  } else lines.push(row("node pools", "none (the cluster's own GPU nodes; gantry:kubernetes.nodePools: karpenter to declare them)"));
  lines.push(row("state", [
    ...plan.spec.volumes.map((v) => `volume ${v.name}`),
    ...plan.spec.secrets.map((s) => `secret ${s.kind === "named" ? s.name : s.id}`),
    ...plan.spec.dicts.map((d) => `dict ${d.name}`),
    ...plan.spec.queues.map((q) => `queue ${q.name}`),
  ].join(", ") || "none"));
  const artifact = out.artifact as { fromStack: string } | undefined;
  if (artifact) {
    const refs = Object.entries((out.images ?? {}) as Record<string, string>).map(([id, ref]) => `${id} = ${ref}`);
    lines.push(row("images", `promoted from stack ${artifact.fromStack}, not built: ${refs.join(", ")}`));
  }
  lines.push(row("resources", `${shared} shared (namespace, Redis, gateway, access) + ${others} for volumes, secrets, images, node pools`));
  lines.push("");
  return lines;
}
