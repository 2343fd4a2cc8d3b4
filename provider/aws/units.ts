/**
 * The AWS side of the deployable units (synth/units.ts says what a unit is, for every target):
 * each unit becomes one queue + one ECS service + one autoscaling pool. This module is pure (no
 * Pulumi): it adds what AWS needs on top of the neutral unit (a resource slug, the ECS task size
 * from the instance table, the capacity group it runs on) and owns the one packing rule (how many
 * of a unit's tasks ECS places on one instance) that capacity planning and the cost model share.
 */
import type { AppSpec, DeclarationOptions, GpuShape } from "../../synth/spec.ts";
import { DEFAULT_MAX_CONTAINERS, unitsOf as neutralUnitsOf, type Unit as NeutralUnit, type UnitEndpoint } from "../../synth/units.ts";
import { cpuInstanceFor, defaultGpuTaskSize, instancesForShape, schedulableMemoryMiB, type InstanceSize } from "./gpu-table.ts";
import { uniqueSlugs } from "./names.ts";
import { functionPath, methodPath } from "../../runtime/web/routes.ts";

export { DEFAULT_MAX_CONTAINERS };
/** CPU task size when code sets no `cpu` / `memory`. */
export const DEFAULT_CPU_UNITS = 512;
export const DEFAULT_MEMORY_MIB = 1024;

export interface Endpoint extends UnitEndpoint {
  /** URL path (runtime/web's scheme): `/health`, `/EmbeddingService/embed` */
  path: string;
}

/** An ECS task's reservation: CPU units (1024 a vCPU), MiB, GPUs. */
export interface TaskSize {
  cpuUnits: number;
  memoryMiB: number;
  gpus: number;
}

export interface Unit extends NeutralUnit {
  slug: string;
  endpoints: Endpoint[];
  task: TaskSize;
  /** key of its CapacityGroup */
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
  /**
   * With a warm pool: the most instances it keeps prepared (warm or in service), AWS's
   * `maxGroupPreparedCapacity`; without it the pool holds max - desired stopped instances, each
   * launched at deploy time. Enough for the snapshot units' minContainers + bufferContainers, at
   * least one.
   */
  preparedInstances: number;
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

function taskSize(options: DeclarationOptions): TaskSize {
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


/** Every unit of the app, sorted by id, with what AWS adds. */
export function unitsOf(spec: AppSpec): Unit[] {
  const units = neutralUnitsOf(spec);
  const slugs = uniqueSlugs(units.map((u) => u.id));
  return units.map((u) => ({
    ...u,
    slug: slugs.get(u.id)!,
    endpoints: u.endpoints.map((e) => ({ ...e, path: e.method === null ? functionPath(u.name) : methodPath(u.name, e.method) })),
    task: taskSize(u.options),
    capacity: capacityKey(u.options),
  }));
}

/** `maxContainers`, or gantry's bound when code sets none (the neutral unit's scaling). */
export function maxContainersOf(unit: NeutralUnit): number {
  return unit.scaling.maxContainers;
}

export function minContainersOf(unit: NeutralUnit): number {
  return unit.scaling.minContainers;
}

/**
 * How many of a task ECS places on one instance: bounded by GPUs, CPU units, schedulable memory
 * and network interfaces (each awsvpc task takes one ENI; the instance's primary ENI is not
 * available to tasks). The capacity groups' sizes and the cost model both use this one rule.
 */
export function tasksPerInstance(size: InstanceSize, task: TaskSize): number {
  const fits = [
    Math.floor((size.vcpus * 1024) / task.cpuUnits),
    Math.floor(schedulableMemoryMiB(size) / task.memoryMiB),
    size.maxNetworkInterfaces - 1,
  ];
  if (task.gpus > 0) fits.push(Math.floor(size.gpus / task.gpus));
  return Math.max(1, Math.min(...fits));
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
        preparedInstances: 0,
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
    for (const u of members) instances += Math.ceil(maxContainersOf(u) / tasksPerInstance(first, u.task));
    group.maxInstances = instances;
    if (group.warmPool) {
      const prepared = members.filter((u) => u.options.enableMemorySnapshot)
        .reduce((n, u) => n + Math.ceil((minContainersOf(u) + u.options.bufferContainers) / tasksPerInstance(first, u.task)), 0);
      group.preparedInstances = Math.min(group.maxInstances, Math.max(1, prepared));
    }
  }
  return [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}
