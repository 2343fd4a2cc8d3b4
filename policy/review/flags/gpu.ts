/**
 * "GPU spend broadened": a new GPU pool, a GPU type or instance that costs more, more GPUs per
 * container, a higher (or removed) maxContainers, a warm pool where there was none or a bigger one,
 * new fallback types, spot turned off, a longer scale-down window. From the specs when both sides
 * have one; from the resources (launch templates, autoscaling targets) for a bare preview.
 */
import type { AppSpec, GpuShape } from "../../../synth/spec.ts";
import { priceOfShape } from "../../instances.ts";
import { defaultPrices, hourlyPrice, type PriceTable } from "../../prices.ts";
import { poolsOf, type Pool } from "../../pools.ts";
import type { Flag, NormalResource, ResourceChange, Side } from "../model.ts";
import { asJsonDocument } from "../properties.ts";
import { tagValue } from "../../../provider/aws/names.ts";

export function gpuFlagsFromSpecs(base: AppSpec, head: AppSpec, prices: PriceTable = defaultPrices()): Flag[] {
  const before = new Map(poolsOf(base).map((p) => [p.id, p]));
  const baseTypes = new Set(poolsOf(base).flatMap((p) => shapes(p).map((s) => s.type)));
  const flags: Flag[] = [];
  for (const pool of poolsOf(head)) {
    if (!pool.options.gpu) continue;
    const details = broadening(before.get(pool.id), pool, baseTypes, prices);
    if (details.length) flags.push({ kind: "gpu-spend-broadened", declaration: pool.id, source: pool.source, details });
  }
  return flags;
}

function broadening(old: Pool | undefined, pool: Pool, baseTypes: Set<string>, prices: PriceTable): string[] {
  const o = pool.options;
  const g = o.gpu!;
  if (!old || !old.options.gpu) {
    const what = `${g.type}${g.count > 1 ? ` x${g.count}` : ""}`;
    return [`${old ? "now runs on" : "new GPU pool:"} ${what}, maxContainers ${o.maxContainers ?? "unbounded"}${o.minContainers ? `, minContainers ${o.minContainers}` : ""}`];
  }
  const p = old.options;
  const pg = p.gpu!;
  const out: string[] = [];
  if (g.type !== pg.type) {
    const a = priceOfShape(prices, pg, p.spot);
    const b = priceOfShape(prices, g, o.spot);
    const costlier = !a || !b || b.hourly / b.tasksPerInstance > a.hourly / a.tasksPerInstance;
    const novel = !baseTypes.has(g.type);
    if (costlier || novel) {
      const price = a && b ? ` (${a.instanceType} $${a.hourly}/h -> ${b.instanceType} $${b.hourly}/h)` : "";
      out.push(`GPU ${pg.type} -> ${g.type}${novel ? ", new to the app" : ""}${price}`);
    }
  } else if (g.count > pg.count) {
    out.push(`GPUs per container ${pg.count} -> ${g.count}`);
  }
  const oldTypes = new Set(shapes(old).map((s) => s.type));
  const newFallbacks = g.fallbacks.map((s) => s.type).filter((t) => !oldTypes.has(t));
  if (newFallbacks.length) out.push(`new fallback GPU ${[...new Set(newFallbacks)].join(", ")}`);
  if (o.maxContainers === null && p.maxContainers !== null) out.push(`maxContainers ${p.maxContainers} -> unbounded`);
  else if (o.maxContainers !== null && p.maxContainers !== null && o.maxContainers > p.maxContainers) out.push(`maxContainers ${p.maxContainers} -> ${o.maxContainers}`);
  if (o.minContainers > p.minContainers) out.push(`minContainers ${p.minContainers} -> ${o.minContainers}${p.minContainers === 0 ? " (no longer scales to zero)" : ""}`);
  if (o.bufferContainers > p.bufferContainers) out.push(`bufferContainers ${p.bufferContainers} -> ${o.bufferContainers}`);
  if (p.spot && !o.spot) out.push("spot -> on-demand");
  if (o.scaledownWindow > p.scaledownWindow) out.push(`scaledownWindow ${p.scaledownWindow} s -> ${o.scaledownWindow} s`);
  return out;
}

function shapes(pool: Pool): GpuShape[] {
  const g = pool.options.gpu;
  return g ? [g, ...g.fallbacks] : [];
}

/**
 * Without both specs (a bare preview): read the resources gantry creates for GPU capacity. A GPU
 * change on an existing pool touches no launch template: `gpu: "A10G"` -> `"H100"` moves the ECS
 * service onto the H100 group's capacity provider and raises that group's `maxSize`, so each of
 * these is read: Auto Scaling groups (instance types in the mixed instances policy, bounds, warm
 * pool), launch templates, capacity providers, services' capacity provider strategies, task
 * definitions' GPU counts, and scaling targets of GPU declarations. Facts are grouped per
 * declaration (or per shared pool).
 */
export function gpuFlagsFromResources(base: Side, head: Side, changes: readonly ResourceChange[], prices: PriceTable = defaultPrices()): Flag[] {
  const pools = new Map([...gpuPools(base, prices), ...gpuPools(head, prices)]);
  const gpuDeclarations = gpuDeclarationsOf([...base.resources.values(), ...head.resources.values()], pools, prices);
  for (const spec of [base.spec, head.spec]) for (const p of spec ? poolsOf(spec) : []) if (p.options.gpu) gpuDeclarations.add(p.id);
  const found = new Map<string, Flag>();
  const add = (r: NormalResource, detail: string) => {
    const key = `${r.declaration ?? ""}\u0000${r.declaration ? "" : JSON.stringify(r.source)}`;
    const flag = found.get(key) ?? { kind: "gpu-spend-broadened" as const, declaration: r.declaration, source: r.source, details: [] };
    if (!flag.source && r.source) flag.source = r.source;
    if (!flag.details.includes(detail)) flag.details.push(detail);
    found.set(key, flag);
  };
  for (const c of changes) {
    if (c.op === "delete") continue;
    const after = head.resources.get(c.urn);
    const before = base.resources.get(c.urn);
    if (!after) continue;
    for (const detail of broadenedBy(after, before, pools, gpuDeclarations, prices)) add(after, detail);
  }
  return [...found.values()];
}

interface GpuPool {
  /** the group's resource name: `gantry-capacity-gpu-h100x1` (ASG, launch template and capacity provider share it) */
  name: string;
  types: string[];
  gpus: string[];
  /** sanitised declaration names from the `gantry:serves` tag */
  serves: string[];
}

const ASG = "aws:autoscaling/group:Group";
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const CAPACITY_PROVIDER = "aws:ecs/capacityProvider:CapacityProvider";
const SERVICE = "aws:ecs/service:Service";
const TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition";
const SCALING_TARGET = "aws:appautoscaling/target:Target";

function broadenedBy(after: NormalResource, before: NormalResource | undefined, pools: Map<string, GpuPool>, gpuDeclarations: Set<string>, prices: PriceTable): string[] {
  const out: string[] = [];
  const a = after.inputs;
  const b = before?.inputs;
  switch (after.type) {
    case LAUNCH_TEMPLATE: {
      const t = a.instanceType;
      if (typeof t !== "string" || !(prices.instances[t]?.gpus > 0)) break;
      const was = b?.instanceType;
      const newPrice = hourlyPrice(prices, t, false) ?? 0;
      const oldPrice = typeof was === "string" ? hourlyPrice(prices, was, false) ?? 0 : 0;
      if (typeof was !== "string") out.push(`new GPU instance type ${t} ($${newPrice}/h)`);
      else if (was !== t && newPrice > oldPrice) out.push(`instance ${was} -> ${t} ($${oldPrice}/h -> $${newPrice}/h)`);
      break;
    }
    case ASG: {
      const pool = pools.get(after.name);
      if (!pool) break;
      const label = `GPU pool ${pool.name} (${describe(pool, prices)})`;
      if (!before) {
        out.push(`new ${label}, maxSize ${num(a.maxSize) ?? "unbounded"}`);
        break;
      }
      const oldTypes = new Set(instanceTypesOf(before));
      const added = pool.types.filter((t) => !oldTypes.has(t));
      if (added.length) out.push(`${label} adds ${added.map((t) => `${t} ($${hourlyPrice(prices, t, false) ?? "?"}/h)`).join(", ")}`);
      more(out, `${label} maxSize`, num(b!.maxSize), num(a.maxSize));
      more(out, `${label} minSize`, num(b!.minSize), num(a.minSize), num(b!.minSize) === 0 ? " (no longer scales to zero)" : "");
      const warm = (x: Record<string, unknown> | undefined) => (x?.warmPool && typeof x.warmPool === "object" ? num((x.warmPool as Record<string, unknown>).maxGroupPreparedCapacity) ?? -1 : null);
      const wasWarm = warm(b);
      const nowWarm = warm(a);
      if (nowWarm !== null && wasWarm === null) out.push(`${label} gets a warm pool${nowWarm >= 0 ? ` of up to ${nowWarm} instances` : ""}`);
      else if (nowWarm !== null && wasWarm !== null) more(out, `${label} warm pool`, wasWarm, nowWarm);
      if (isOnDemand(a) && b && !isOnDemand(b)) out.push(`${label} spot -> on-demand`);
      break;
    }
    case CAPACITY_PROVIDER: {
      const pool = poolOfProvider(after, pools);
      if (!pool) break;
      const label = `GPU capacity provider ${after.name} (${describe(pool, prices)})`;
      if (!before) {
        out.push(`new ${label}`);
        break;
      }
      const scaling = (x: Record<string, unknown>) => ((x.autoScalingGroupProvider as Record<string, unknown> | undefined)?.managedScaling ?? {}) as Record<string, unknown>;
      more(out, `${label} maximumScalingStepSize`, num(scaling(b!).maximumScalingStepSize), num(scaling(a).maximumScalingStepSize));
      const t0 = num(scaling(b!).targetCapacity);
      const t1 = num(scaling(a).targetCapacity);
      if (t0 !== null && t1 !== null && t1 < t0) out.push(`${label} targetCapacity ${t0} -> ${t1} (more idle GPU instances)`);
      break;
    }
    case SERVICE: {
      const now = providersOf(a).filter((p) => pools.has(p) || gpuOfName(p, prices));
      const was = b ? providersOf(b) : [];
      const moved = now.filter((p) => !was.includes(p));
      if (moved.length === 0) break;
      const gpuOf = (p: string) => pools.get(p)?.gpus.join("/") ?? gpuOfName(p, prices) ?? "GPU";
      const from = was.filter((p) => !now.includes(p));
      if (from.length) out.push(`GPU ${[...new Set(from.map(gpuOf))].join("/")} -> ${[...new Set(moved.map(gpuOf))].join("/")} (capacity provider ${from.join(", ")} -> ${moved.join(", ")})`);
      else out.push(`now runs on GPU capacity provider ${moved.join(", ")} (${[...new Set(moved.map(gpuOf))].join("/")})`);
      break;
    }
    case TASK_DEFINITION: {
      const g1 = gpusOfTask(after);
      if (g1 === 0) break;
      const g0 = before ? gpusOfTask(before) : null;
      if (g0 === null) out.push(`new GPU task definition (${g1} GPU${g1 > 1 ? "s" : ""} per container)`);
      else if (g1 > g0) out.push(`GPUs per container ${g0} -> ${g1}`);
      break;
    }
    case SCALING_TARGET: {
      if (!after.declaration || !gpuDeclarations.has(after.declaration)) break;
      for (const key of ["maxCapacity", "minCapacity"] as const) {
        const x = num(b?.[key]);
        const y = num(a[key]);
        if (y !== null && (x === null || y > x)) out.push(`${key} ${x ?? "none"} -> ${y}`);
      }
      break;
    }
  }
  return out;
}

function more(out: string[], what: string, was: number | null, now: number | null, note = ""): void {
  if (now !== null && was !== null && now > was) out.push(`${what} ${was} -> ${now}${note}`);
}

function num(v: unknown): number | null {
  return typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : null;
}

function describe(pool: GpuPool, prices: PriceTable): string {
  return pool.types.map((t) => `${t} ${prices.instances[t]?.gpu ?? "GPU"} $${hourlyPrice(prices, t, false) ?? "?"}/h`).join(", ");
}

/** Instance types of an Auto Scaling group: its mixed instances policy's overrides, or its launch template's. */
function instanceTypesOf(r: NormalResource): string[] {
  const mip = r.inputs.mixedInstancesPolicy as { launchTemplate?: { overrides?: { instanceType?: unknown }[] } } | undefined;
  const types = (mip?.launchTemplate?.overrides ?? []).map((o) => o?.instanceType).filter((t): t is string => typeof t === "string");
  return [...new Set(types)];
}

function isOnDemand(inputs: Record<string, unknown>): boolean {
  const d = (inputs.mixedInstancesPolicy as { instancesDistribution?: { onDemandPercentageAboveBaseCapacity?: unknown } } | undefined)?.instancesDistribution;
  return d?.onDemandPercentageAboveBaseCapacity === undefined || d.onDemandPercentageAboveBaseCapacity === 100;
}

function gpuPools(side: Side, prices: PriceTable): Map<string, GpuPool> {
  const out = new Map<string, GpuPool>();
  for (const r of side.resources.values()) {
    if (r.type !== ASG) continue;
    const types = instanceTypesOf(r).filter((t) => (prices.instances[t]?.gpus ?? 0) > 0);
    if (types.length === 0) continue;
    const tags = Array.isArray(r.inputs.tags) ? (r.inputs.tags as { key?: unknown; value?: unknown }[]) : [];
    const serves = String(tags.find((t) => t?.key === "gantry:serves")?.value ?? "").split(" ").filter(Boolean);
    out.set(r.name, { name: r.name, types, gpus: [...new Set(types.map((t) => prices.instances[t].gpu ?? "GPU"))], serves });
  }
  return out;
}

/** A capacity provider's pool: gantry names it as its group, and its ARN names the group. */
function poolOfProvider(r: NormalResource, pools: Map<string, GpuPool>): GpuPool | undefined {
  if (pools.has(r.name)) return pools.get(r.name);
  const arn = (r.inputs.autoScalingGroupProvider as { autoScalingGroupArn?: unknown } | undefined)?.autoScalingGroupArn;
  const m = typeof arn === "string" ? /autoScalingGroupName\/(.+)$/.exec(arn) : null;
  return m ? pools.get(m[1]) : undefined;
}

function providersOf(inputs: Record<string, unknown>): string[] {
  const s = inputs.capacityProviderStrategies;
  return Array.isArray(s) ? s.map((x) => (x as { capacityProvider?: unknown }).capacityProvider).filter((p): p is string => typeof p === "string") : [];
}

/** `gantry-capacity-gpu-h100x1-spot` -> "H100" (provider/aws/units.ts names groups by GPU shape), when no ASG says more. */
function gpuOfName(name: string, prices: PriceTable): string | null {
  const m = /-gpu-([a-z0-9]+?)x\d+/.exec(name);
  if (!m) return null;
  const gpu = Object.values(prices.instances).map((i) => i.gpu).find((g) => typeof g === "string" && g.toLowerCase() === m[1]);
  return gpu ?? m[1].toUpperCase();
}

function gpuDeclarationsOf(resources: NormalResource[], pools: Map<string, GpuPool>, prices: PriceTable): Set<string> {
  const out = new Set<string>();
  const served = new Set([...pools.values()].flatMap((p) => p.serves));
  for (const r of resources) {
    if (!r.declaration) continue;
    if (r.type === TASK_DEFINITION && gpusOfTask(r) > 0) out.add(r.declaration);
    if (r.type === SERVICE && providersOf(r.inputs).some((p) => pools.has(p) || gpuOfName(p, prices))) out.add(r.declaration);
    if (served.has(tagValue(r.declaration))) out.add(r.declaration);
  }
  return out;
}

function gpusOfTask(r: NormalResource): number {
  if (r.type !== TASK_DEFINITION) return 0;
  const defs = asJsonDocument(r.inputs.containerDefinitions) ?? r.inputs.containerDefinitions;
  if (!Array.isArray(defs)) return 0;
  let most = 0;
  for (const d of defs as { resourceRequirements?: { type?: string; value?: unknown }[] }[]) {
    for (const q of Array.isArray(d?.resourceRequirements) ? d.resourceRequirements : []) if (q.type === "GPU") most = Math.max(most, Number(q.value) || 0);
  }
  return most;
}
