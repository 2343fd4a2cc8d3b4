/**
 * Which EC2 instances a pool runs on, for pricing: exactly what the AWS provider deploys
 * (provider/aws/units.ts decides task sizes and capacity groups, gpu-table.ts the instance types),
 * so the cost of a plan is the cost of that plan. `tasksPerInstance` says how many of the pool's
 * tasks ECS packs on one instance (an 8-GPU p4d serving 1-GPU tasks is shared eight ways).
 */
import type { AppSpec, GpuShape } from "../synth/spec.ts";
import { instancesForShape, schedulableMemoryMiB, type InstanceSize } from "../provider/aws/gpu-table.ts";
import { capacityGroupsOf, maxContainersOf, minContainersOf, unitsOf, type CapacityGroup, type Unit } from "../provider/aws/units.ts";
import { hourlyPrice, type PriceTable } from "./prices.ts";

export interface InstanceFit {
  instanceType: string;
  /** USD per instance-hour (spot or on-demand as the pool asks) */
  hourly: number;
  tasksPerInstance: number;
}

export interface PricedUnit {
  unit: Unit;
  /** preferred instance first (the ones the table has a price for) */
  fits: InstanceFit[];
  min: number;
  max: number;
}

export function pricedUnits(spec: AppSpec, prices: PriceTable): PricedUnit[] {
  const units = unitsOf(spec);
  const groups = new Map(capacityGroupsOf(units).map((g) => [g.key, g]));
  return units.map((unit) => ({ unit, fits: fitsOf(unit, groups.get(unit.capacity)!, prices), min: minContainersOf(unit), max: maxContainersOf(unit) }));
}

function fitsOf(unit: Unit, group: CapacityGroup, prices: PriceTable): InstanceFit[] {
  const out: InstanceFit[] = [];
  for (const size of group.instances) {
    const hourly = hourlyPrice(prices, size.instanceType, unit.options.spot);
    if (hourly === null) continue;
    out.push({ instanceType: size.instanceType, hourly, tasksPerInstance: tasksPerInstance(size, unit.task) });
  }
  return out;
}

/** The same packing rule as the provider's capacity planning. */
export function tasksPerInstance(size: InstanceSize, task: Unit["task"]): number {
  if (task.gpus > 0) return Math.max(1, Math.floor(size.gpus / task.gpus));
  return Math.max(1, Math.min(Math.floor((size.vcpus * 1024) / task.cpuUnits), Math.floor(schedulableMemoryMiB(size) / task.memoryMiB)));
}

/** The first priced instance for one GPU shape (for comparing shapes in reviews). */
export function priceOfShape(prices: PriceTable, shape: Pick<GpuShape, "type" | "count">, spot: boolean): InstanceFit | null {
  for (const size of instancesForShape(shape)) {
    const hourly = hourlyPrice(prices, size.instanceType, spot);
    if (hourly !== null) return { instanceType: size.instanceType, hourly, tasksPerInstance: Math.max(1, Math.floor(size.gpus / shape.count)) };
  }
  return null;
}
