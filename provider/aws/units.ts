/**
 * The deployable units of an app: every function, every class, every class variant found in code.
 * Each unit becomes one queue + one ECS service + one autoscaling pool. This module is pure (no
 * Pulumi): it decides names, task sizes and which capacity group a unit runs on.
 */
import type {
  AppSpec, BatchingSpec, ConcurrencySpec, DeclarationOptions, GpuShape, ScheduleSpec, SourceLocation, WebSpec,
} from "../../synth/spec.ts";
import { cpuInstanceFor, defaultGpuTaskSize, instancesForShape, schedulableMemoryMiB, type InstanceSize } from "./gpu-table.ts";
import { uniqueSlugs } from "./names.ts";
import { functionPath, methodPath } from "../../runtime/web/routes.ts";

/** When code sets no `maxContainers`, pools are still bounded (a policy may demand an explicit bound). */
export const DEFAULT_MAX_CONTAINERS = 100;
/** CPU task size when code sets no `cpu` / `memory`. */
export const DEFAULT_CPU_UNITS = 512;
export const DEFAULT_MEMORY_MIB = 1024;

export interface Endpoint {
  /** class method name, null for a function endpoint */
  method: string | null;
  web: Extract<WebSpec, { kind: "endpoint" }>;
  /** URL path (runtime/web's scheme): `/health`, `/EmbeddingService/embed` */
  path: string;
  /** whether the function or method takes an argument (a GET endpoint then gets its query) */
  takesArgs: boolean;
}

export interface Unit {
  /** declaration id: function name, class name or variant id (`LlamaInference[gpu=H100]`) */
  id: string;
  kind: "function" | "class";
  /** the function or class name in code */
  name: string;
  variantOf: string | null;
  slug: string;
  source: SourceLocation;
  options: DeclarationOptions;
  concurrency: ConcurrencySpec;
  batching: Record<string, BatchingSpec>;
  schedule: ScheduleSpec | null;
  /** `webApp` / `webServer` (functions only) */
  server: Extract<WebSpec, { kind: "app" | "server" }> | null;
  endpoints: Endpoint[];
  task: { cpuUnits: number; memoryMiB: number; gpus: number };
  capacity: string;
}

export interface CapacityGroup {
  key: string;
  slug: string;
  gpu: GpuShape | null;
  spot: boolean;
  /** preferred first; the Auto Scaling group launches the first one it can get */
  instances: InstanceSize[];
  units: string[];
  /** instances needed when every unit on the group runs `maxContainers` tasks */
  maxInstances: number;
  warmPool: boolean;
}

function shapeKey(shape: GpuShape): string {
  return `${shape.type.toLowerCase()}x${shape.count}`;
}

function gpuInstances(gpu: NonNullable<DeclarationOptions["gpu"]>): InstanceSize[] {
  const seen = new Set<string>();
  const out: InstanceSize[] = [];
  for (const shape of [gpu, ...gpu.fallbacks]) {
    for (const size of instancesForShape(shape)) {
      if (!seen.has(size.instanceType)) {
        seen.add(size.instanceType);
        out.push(size);
      }
    }
  }
  return out;
}

function taskSize(options: DeclarationOptions): { cpuUnits: number; memoryMiB: number; gpus: number } {
  if (options.gpu) {
    const instances = gpuInstances(options.gpu);
    // the task must place on every instance type of the list, so size it for the smallest
    const smallest = instances.reduce((a, b) => (schedulableMemoryMiB(a) <= schedulableMemoryMiB(b) ? a : b));
    const counts = [options.gpu, ...options.gpu.fallbacks].map((s) => s.count);
    const gpus = Math.min(...counts);
    const defaults = defaultGpuTaskSize(smallest, gpus);
    return {
      cpuUnits: options.cpu ? Math.round(options.cpu * 1024) : defaults.cpuUnits,
      memoryMiB: options.memory ?? defaults.memoryMiB,
      gpus,
    };
  }
  return {
    cpuUnits: options.cpu ? Math.round(options.cpu * 1024) : DEFAULT_CPU_UNITS,
    memoryMiB: options.memory ?? DEFAULT_MEMORY_MIB,
    gpus: 0,
  };
}

function capacityKey(options: DeclarationOptions): string {
  const spot = options.spot ? "-spot" : "";
  if (!options.gpu) return `cpu${spot}`;
  return `gpu-${[options.gpu, ...options.gpu.fallbacks].map(shapeKey).join("-")}${spot}`;
}


/** Every unit of the app, sorted by id. */
export function unitsOf(spec: AppSpec): Unit[] {
  const raw: Array<Omit<Unit, "slug" | "task" | "capacity">> = [];
  for (const fn of spec.functions) {
    const web = fn.web;
    raw.push({
      id: fn.name, kind: "function", name: fn.name, variantOf: null, source: fn.source, options: fn.options,
      concurrency: { maxInputs: 1, targetInputs: 1 }, batching: {}, schedule: fn.schedule,
      server: web && web.kind !== "endpoint" ? web : null,
      endpoints: web && web.kind === "endpoint" ? [{ method: null, web, path: functionPath(fn.name), takesArgs: fn.params.length > 0 }] : [],
    });
  }
  for (const cls of spec.classes) {
    const batching: Record<string, BatchingSpec> = {};
    for (const m of cls.methods) if (m.batched) batching[m.name] = m.batched;
    const concurrency = cls.concurrency ?? { maxInputs: 1, targetInputs: 1 };
    const endpoints: Endpoint[] = [];
    for (const m of cls.methods) {
      if (m.web?.kind === "endpoint") endpoints.push({ method: m.name, web: m.web, path: methodPath(cls.name, m.name), takesArgs: m.params.length > 0 });
    }
    raw.push({
      id: cls.name, kind: "class", name: cls.name, variantOf: null, source: cls.source, options: cls.options,
      concurrency, batching, schedule: null, server: null, endpoints,
    });
    for (const v of cls.variants) {
      raw.push({
        id: v.id, kind: "class", name: cls.name, variantOf: cls.name, source: v.source, options: v.options,
        concurrency: v.concurrency ?? concurrency, batching: { ...batching, ...v.batching },
        schedule: null, server: null, endpoints: [],
      });
    }
  }
  raw.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const slugs = uniqueSlugs(raw.map((u) => u.id));
  return raw.map((u) => ({ ...u, slug: slugs.get(u.id)!, task: taskSize(u.options), capacity: capacityKey(u.options) }));
}

/** `maxContainers`, or gantry's bound when code sets none. */
export function maxContainersOf(unit: Unit): number {
  const max = unit.options.maxContainers ?? DEFAULT_MAX_CONTAINERS;
  // a web server behind a load balancer never scales to zero
  return Math.max(max, minContainersOf(unit));
}

export function minContainersOf(unit: Unit): number {
  return unit.server ? Math.max(1, unit.options.minContainers) : unit.options.minContainers;
}

/** One Auto Scaling group (and ECS capacity provider) per GPU shape, plus CPU groups. */
export function capacityGroupsOf(units: Unit[]): CapacityGroup[] {
  const groups = new Map<string, CapacityGroup>();
  for (const unit of units) {
    let group = groups.get(unit.capacity);
    if (!group) {
      const gpu = unit.options.gpu;
      group = {
        key: unit.capacity,
        slug: unit.capacity,
        gpu: gpu ? { type: gpu.type, count: gpu.count, memoryGb: gpu.memoryGb } : null,
        spot: unit.options.spot,
        instances: gpu ? gpuInstances(gpu) : [],
        units: [],
        maxInstances: 0,
        warmPool: false,
      };
      groups.set(unit.capacity, group);
    }
    group.units.push(unit.id);
    group.warmPool ||= unit.options.enableMemorySnapshot;
  }
  for (const group of groups.values()) {
    const members = units.filter((u) => group.units.includes(u.id));
    if (!group.gpu) {
      // one general-purpose size that fits the biggest CPU task of the group
      const cpu = Math.max(...members.map((u) => u.task.cpuUnits));
      const mem = Math.max(...members.map((u) => u.task.memoryMiB));
      group.instances = [cpuInstanceFor(cpu, mem)];
    }
    const first = group.instances[0];
    let instances = 0;
    for (const u of members) {
      const perInstance = group.gpu
        ? Math.max(1, Math.floor(first.gpus / Math.max(1, u.task.gpus)))
        : Math.max(1, Math.min(Math.floor((first.vcpus * 1024) / u.task.cpuUnits), Math.floor(schedulableMemoryMiB(first) / u.task.memoryMiB)));
      instances += Math.ceil(maxContainersOf(u) / perInstance);
    }
    group.maxInstances = instances;
  }
  return [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}
