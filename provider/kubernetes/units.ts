/**
 * The Kubernetes side of the deployable units (synth/units.ts says what a unit is): each unit is
 * one Deployment scaled by one KEDA ScaledObject. Pure (no Pulumi): the object name, the pod's
 * resources, its GPU node requirements from the stack's label profile, the drain budget and the
 * probes; and the node pool a GPU unit lands in (one per GPU shape list and capacity type).
 */
import type { AppSpec, GpuShape } from "../../synth/spec.ts";
import { unitsOf as neutralUnitsOf, type Unit as NeutralUnit, type UnitEndpoint } from "../../synth/units.ts";
import { setupTimeoutSeconds } from "../../runtime/delivery.ts";
import { functionPath, methodPath } from "../../runtime/web/routes.ts";
import { gpuRequirements, type GpuLabelProfile, type LabelRequirement } from "./gpu-labels.ts";
import { uniqueSlugs } from "./names.ts";

/** CPU pods when code sets no `cpu` / `memory` (as on AWS: provider/aws/units.ts). */
export const DEFAULT_CPU = 0.5;
export const DEFAULT_MEMORY_MIB = 1024;
/**
 * GPU pods per GPU when code sets none: what the smallest one-GPU nodes of each cloud (g4dn/g5
 * .xlarge, GKE g2-standard-4 / n1-standard-4 + T4) still have allocatable after the kubelet's
 * reservation and the usual DaemonSets.
 */
export const GPU_DEFAULT_CPU = 3;
export const GPU_DEFAULT_MEMORY_MIB = 12 * 1024;

/** Where the runtime serves a web unit (with /livez, /readyz) and a worker's health checks. */
export const HTTP_PORT = 8000;
export const HEALTH_PORT = 8081;
/**
 * In-flight inputs get at most this long after SIGTERM (scale-in, a rollout, a node drain): the
 * unit's timeout up to 15 minutes; longer inputs are handed back and run again elsewhere.
 */
export const MAX_DRAIN_SECONDS = 900;
/** After the drain: handing unfinished inputs back and `@exit` hooks. */
export const EXIT_SECONDS = 30;

export interface Endpoint extends UnitEndpoint {
  path: string;
}

export interface PodResources {
  /** cores */
  cpu: number;
  memoryMiB: number;
  gpus: number;
}

export interface Probe {
  path: "/livez" | "/readyz";
  port: number;
  periodSeconds: number;
  failureThreshold: number;
  timeoutSeconds: number;
}

export interface Unit extends NeutralUnit {
  /** DNS-1123 label, unique in the stack: the Deployment, ServiceAccount and ScaledObject name */
  slug: string;
  endpoints: Endpoint[];
  resources: PodResources;
  /** GPU shapes in preference order (preferred first), empty for CPU units */
  shapes: GpuShape[];
  /** the node pool key (`gpu-a10gx1-spot`), null for CPU units */
  pool: string | null;
  /** seconds in-flight inputs get after SIGTERM */
  drainSeconds: number;
  /** seconds between SIGTERM and SIGKILL: the pod's terminationGracePeriodSeconds */
  stopSeconds: number;
}

function shapeKey(shape: GpuShape): string {
  return `${shape.type.toLowerCase()}x${shape.count}`;
}

function resourcesOf(u: NeutralUnit): PodResources {
  const gpu = u.options.gpu;
  // one limit for every shape of the list: the smallest count (as on AWS)
  const gpus = gpu ? Math.min(...[gpu, ...gpu.fallbacks].map((s) => s.count)) : 0;
  return {
    cpu: u.options.cpu ?? (gpus ? GPU_DEFAULT_CPU * gpus : DEFAULT_CPU),
    memoryMiB: u.options.memory ?? (gpus ? GPU_DEFAULT_MEMORY_MIB * gpus : DEFAULT_MEMORY_MIB),
    gpus,
  };
}

/** Every unit of the app, sorted by id, with what Kubernetes adds. */
export function unitsOf(spec: AppSpec): Unit[] {
  const units = neutralUnitsOf(spec);
  const slugs = uniqueSlugs(units.map((u) => u.id));
  return units.map((u) => {
    const gpu = u.options.gpu;
    const shapes = gpu ? [{ type: gpu.type, count: gpu.count, memoryGb: gpu.memoryGb }, ...gpu.fallbacks] : [];
    const drainSeconds = Math.min(u.options.timeout, MAX_DRAIN_SECONDS);
    return {
      ...u,
      slug: slugs.get(u.id)!,
      endpoints: u.endpoints.map((e) => ({ ...e, path: e.method === null ? functionPath(u.name) : methodPath(u.name, e.method) })),
      resources: resourcesOf(u),
      shapes,
      pool: gpu ? `gpu-${shapes.map(shapeKey).join("-")}${u.options.spot ? "-spot" : ""}` : null,
      drainSeconds,
      stopSeconds: drainSeconds + EXIT_SECONDS,
    };
  });
}

/** Node affinity terms of a GPU unit: one required term per shape (ORed), preferred in order. */
export interface GpuAffinity {
  required: LabelRequirement[][];
  /** weight 1..100, the first shape heaviest */
  preferred: Array<{ weight: number; requirements: LabelRequirement[] }>;
}

/** The unit's GPU affinity under a label profile; `unsupported` lists the types the profile cannot name. */
export function gpuAffinityOf(unit: Pick<Unit, "shapes" | "options">, profile: GpuLabelProfile): { affinity: GpuAffinity | null; unsupported: string[] } {
  const capacity = spotRequirement(unit.options.spot, profile);
  if (!unit.shapes.length) {
    // a CPU unit only asks for a capacity type when it asks for spot
    return { affinity: unit.options.spot && capacity ? { required: [[capacity]], preferred: [] } : null, unsupported: [] };
  }
  const unsupported: string[] = [];
  const terms: LabelRequirement[][] = [];
  for (const shape of unit.shapes) {
    const req = gpuRequirements(profile, shape);
    if (!req) unsupported.push(shape.type);
    else terms.push([...req, ...(capacity ? [capacity] : [])]);
  }
  if (unsupported.length) return { affinity: null, unsupported };
  // identical terms (A100 x1 then A100 x2) select the same nodes: keep the first
  const unique = terms.filter((t, i) => terms.findIndex((o) => JSON.stringify(o) === JSON.stringify(t)) === i);
  const preferred = unique.length > 1 ? unique.map((requirements, i) => ({ weight: Math.max(1, 100 - i * Math.floor(99 / (unique.length - 1))), requirements })) : [];
  return { affinity: { required: unique, preferred }, unsupported };
}

/** Spot or on-demand nodes, by the profile's capacity label; null: the profile has none (gfd). */
export function spotRequirement(spot: boolean, profile: GpuLabelProfile): LabelRequirement | null {
  switch (profile) {
    case "karpenter": return { key: "karpenter.sh/capacity-type", operator: "In", values: [spot ? "spot" : "on-demand"] };
    case "gke": return spot ? { key: "cloud.google.com/gke-spot", operator: "In", values: ["true"] } : null;
    case "gfd": return null;
  }
}

/**
 * Probes on the runtime's `/livez` and `/readyz` (served on the web port by a web unit, on the
 * health port by a worker). The startup probe covers what runs before `/livez` can answer (node
 * and the runtime: 60 s; a webServer's own `startupTimeout` on top); the liveness probe tolerates
 * a loop blocked for the setup budget (a synchronous `@enter`, runtime/delivery.ts), 60 s for web
 * units, which must keep answering requests. Readiness follows `/readyz` (ready after `@enter`,
 * 503 while draining).
 */
export function probesOf(unit: Pick<Unit, "server" | "options">): { startup: Probe; liveness: Probe; readiness: Probe } {
  const port = unit.server ? HTTP_PORT : HEALTH_PORT;
  const firstAnswer = unit.server?.kind === "server" ? Math.ceil(unit.server.startupTimeout) + 60 : 60;
  const busy = unit.server ? 60 : setupTimeoutSeconds(unit.options);
  const period = Math.min(60, Math.max(10, Math.ceil(busy / 10 / 5) * 5));
  return {
    startup: { path: "/livez", port, periodSeconds: 5, failureThreshold: Math.ceil(firstAnswer / 5), timeoutSeconds: 5 },
    liveness: { path: "/livez", port, periodSeconds: period, failureThreshold: Math.ceil(busy / period) + 1, timeoutSeconds: 10 },
    readiness: { path: "/readyz", port, periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 5 },
  };
}
