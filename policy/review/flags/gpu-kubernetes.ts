/**
 * GPU spend from Kubernetes resources (the design in shared/KUBERNETES.md): a workload's
 * `resources.limits["nvidia.com/gpu"]` per pod, the GPU type its node affinity asks for, the
 * replica bound KEDA may scale it to, and a Karpenter NodePool's `limits["nvidia.com/gpu"]` (the
 * bound on GPU nodes) and capacity type. Facts only where the change raises what can be spent.
 */
import type { NormalResource } from "../model.ts";

const GPU = "nvidia.com/gpu";
/** node labels that name a GPU type (KUBERNETES.md's label profiles: karpenter, gke, gfd) */
const GPU_LABELS = ["karpenter.k8s.aws/instance-gpu-name", "cloud.google.com/gke-accelerator", "nvidia.com/gpu.product"];

type Obj = Record<string, unknown>;

export function kubernetesGpuFacts(after: NormalResource, before: NormalResource | undefined, gpuWorkloads: ReadonlySet<string>): string[] {
  const kind = after.type.split(":").pop() ?? "";
  if (!after.type.startsWith("kubernetes:")) return [];
  if (kind === "NodePool") return nodePoolFacts(after, before);
  if (kind === "ScaledObject") return scaledObjectFacts(after, before, gpuWorkloads);
  const spec = podSpec(after.inputs, kind);
  if (!spec) return [];
  const out: string[] = [];
  const what = `${kind} ${after.name}`;
  const now = gpusPerPod(spec);
  const was = before ? gpusPerPod(podSpec(before.inputs, kind)) : null;
  if (now > 0 && was === null) out.push(`new GPU ${what} (${now} GPU${now > 1 ? "s" : ""} per pod)`);
  else if (now > 0 && was !== null && now > was) out.push(`${what} GPUs per pod ${was} -> ${now}`);
  if (now > 0 && before) {
    const t0 = gpuTypes(podSpec(before.inputs, kind));
    const t1 = gpuTypes(spec);
    const added = t1.filter((t) => !t0.includes(t));
    if (added.length) out.push(`${what} GPU ${t0.join("/") || "any"} -> ${t1.join("/")}`);
    const r0 = num((before.inputs.spec as Obj | undefined)?.replicas);
    const r1 = num((after.inputs.spec as Obj | undefined)?.replicas);
    if (r0 !== null && r1 !== null && r1 > r0) out.push(`${what} replicas ${r0} -> ${r1}`);
  }
  return out;
}

/** Names of the workloads that ask for GPUs, for KEDA's scale targets. */
export function kubernetesGpuWorkloads(resources: Iterable<NormalResource>): Set<string> {
  const out = new Set<string>();
  for (const r of resources) {
    if (!r.type.startsWith("kubernetes:")) continue;
    const kind = r.type.split(":").pop() ?? "";
    const spec = podSpec(r.inputs, kind);
    const name = ((r.inputs.metadata as Obj | undefined)?.name as string | undefined) ?? r.name;
    if (spec && gpusPerPod(spec) > 0) out.add(`${kind}/${name}`);
  }
  return out;
}

function podSpec(inputs: Obj, kind: string): Obj | null {
  const spec = inputs.spec as Obj | undefined;
  if (!spec || typeof spec !== "object") return null;
  const template = (s: Obj | undefined) => ((s?.template as Obj | undefined)?.spec as Obj | undefined) ?? null;
  switch (kind) {
    case "Pod":
      return spec;
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "Job":
      return template(spec);
    case "CronJob":
      return template((spec.jobTemplate as Obj | undefined)?.spec as Obj | undefined);
    default:
      return null;
  }
}

function gpusPerPod(spec: Obj | null): number {
  if (!spec) return 0;
  let total = 0;
  for (const c of [...list(spec.containers), ...list(spec.initContainers)]) {
    const res = (c as Obj).resources as Obj | undefined;
    total += num((res?.limits as Obj | undefined)?.[GPU]) ?? num((res?.requests as Obj | undefined)?.[GPU]) ?? 0;
  }
  return total;
}

/** GPU types a pod may land on: node selector and required node affinity on a GPU label. */
function gpuTypes(spec: Obj | null): string[] {
  if (!spec) return [];
  const out = new Set<string>();
  const selector = (spec.nodeSelector ?? {}) as Obj;
  for (const l of GPU_LABELS) if (typeof selector[l] === "string") out.add(selector[l] as string);
  const required = (((spec.affinity as Obj | undefined)?.nodeAffinity as Obj | undefined)?.requiredDuringSchedulingIgnoredDuringExecution ?? {}) as Obj;
  for (const term of list(required.nodeSelectorTerms)) {
    for (const e of list((term as Obj).matchExpressions)) {
      const x = e as Obj;
      if (GPU_LABELS.includes(String(x.key)) && x.operator === "In") for (const v of list(x.values)) out.add(String(v));
    }
  }
  return [...out].sort();
}

function nodePoolFacts(after: NormalResource, before: NormalResource | undefined): string[] {
  const what = `NodePool ${after.name}`;
  const limit = (r: NormalResource) => (((r.inputs.spec as Obj | undefined)?.limits as Obj | undefined) ?? null);
  const types = (r: NormalResource) => requirement(r, GPU_LABELS);
  const capacity = (r: NormalResource) => requirement(r, ["karpenter.sh/capacity-type"]);
  const gpuPool = types(after).length > 0 || limit(after)?.[GPU] !== undefined;
  if (!gpuPool) return [];
  const now = limit(after);
  if (!before) return [`new GPU ${what} (${types(after).join("/") || "any GPU"}, ${now?.[GPU] !== undefined ? `limit ${now[GPU]} GPUs` : "no GPU limit"})`];
  const out: string[] = [];
  const was = limit(before);
  const g0 = num(was?.[GPU]);
  const g1 = num(now?.[GPU]);
  if (g0 !== null && g1 === null) out.push(`${what} GPU limit ${g0} -> none`);
  else if (g0 !== null && g1 !== null && g1 > g0) out.push(`${what} GPU limit ${g0} -> ${g1}`);
  const added = types(after).filter((t) => !types(before).includes(t));
  if (added.length) out.push(`${what} adds GPU ${added.join(", ")}`);
  if (capacity(after).includes("on-demand") && !capacity(before).includes("on-demand") && capacity(before).length) out.push(`${what} spot -> on-demand`);
  return out;
}

function requirement(r: NormalResource, keys: string[]): string[] {
  const reqs = ((((r.inputs.spec as Obj | undefined)?.template as Obj | undefined)?.spec as Obj | undefined)?.requirements ?? []) as unknown;
  const out: string[] = [];
  for (const q of list(reqs)) {
    const x = q as Obj;
    if (keys.includes(String(x.key)) && x.operator === "In") out.push(...list(x.values).map(String));
  }
  return out.sort();
}

/** KEDA `ScaledObject`: a higher `maxReplicaCount` on a GPU workload. */
function scaledObjectFacts(after: NormalResource, before: NormalResource | undefined, gpuWorkloads: ReadonlySet<string>): string[] {
  const spec = (after.inputs.spec ?? {}) as Obj;
  const target = (spec.scaleTargetRef ?? {}) as Obj;
  const key = `${String(target.kind ?? "Deployment")}/${String(target.name)}`;
  if (!gpuWorkloads.has(key)) return [];
  const m1 = num(spec.maxReplicaCount);
  const m0 = before ? num(((before.inputs.spec ?? {}) as Obj).maxReplicaCount) : null;
  if (!before) return [`new autoscaling of GPU ${key} up to ${m1 ?? 100} replicas`];
  return m0 !== null && m1 !== null && m1 > m0 ? [`GPU ${key} maxReplicaCount ${m0} -> ${m1}`] : [];
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function num(v: unknown): number | null {
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}
