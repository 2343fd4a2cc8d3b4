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

/** Without specs: GPU launch templates and the capacity of GPU services, read from the resources. */
export function gpuFlagsFromResources(base: Side, head: Side, changes: readonly ResourceChange[], prices: PriceTable = defaultPrices()): Flag[] {
  const flags: Flag[] = [];
  const gpuDeclarations = new Set([...head.resources.values()].filter(isGpuTaskDefinition).map((r) => r.declaration).filter((d): d is string => !!d));
  for (const c of changes) {
    if (c.op === "delete") continue;
    const after = head.resources.get(c.urn);
    const before = base.resources.get(c.urn);
    if (!after) continue;
    const details: string[] = [];
    if (after.type === "aws:ec2/launchTemplate:LaunchTemplate") {
      const t = after.inputs.instanceType;
      const entry = typeof t === "string" ? prices.instances[t] : undefined;
      if (entry && entry.gpus > 0) {
        const was = before?.inputs.instanceType;
        const newPrice = hourlyPrice(prices, t as string, false) ?? 0;
        const oldPrice = typeof was === "string" ? hourlyPrice(prices, was, false) ?? 0 : 0;
        if (typeof was !== "string") details.push(`new GPU instance type ${t} ($${newPrice}/h)`);
        else if (was !== t && newPrice > oldPrice) details.push(`instance ${was} -> ${t} ($${oldPrice}/h -> $${newPrice}/h)`);
      }
    }
    if (after.type === "aws:appautoscaling/target:Target" && after.declaration && gpuDeclarations.has(after.declaration)) {
      for (const key of ["maxCapacity", "minCapacity"] as const) {
        const a = before?.inputs[key];
        const b = after.inputs[key];
        if (typeof b === "number" && (typeof a !== "number" || b > a)) details.push(`${key} ${typeof a === "number" ? a : "none"} -> ${b}`);
      }
    }
    if (details.length) flags.push({ kind: "gpu-spend-broadened", declaration: after.declaration, source: after.source, details });
  }
  return flags;
}

function isGpuTaskDefinition(r: NormalResource): boolean {
  if (r.type !== "aws:ecs/taskDefinition:TaskDefinition") return false;
  const defs = asJsonDocument(r.inputs.containerDefinitions) ?? r.inputs.containerDefinitions;
  return Array.isArray(defs) && defs.some((d) => Array.isArray((d as { resourceRequirements?: unknown }).resourceRequirements) &&
    ((d as { resourceRequirements: { type?: string }[] }).resourceRequirements).some((q) => q.type === "GPU"));
}
