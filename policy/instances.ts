/**
 * Which EC2 instances a pool runs on, for pricing: exactly what the AWS provider deploys
 * (provider/aws/units.ts decides task sizes and capacity groups, gpu-table.ts the instance types),
 * so the cost of a plan is the cost of that plan. `tasksPerInstance` says how many of the pool's
 * tasks ECS packs on one instance (an 8-GPU p4d serving 1-GPU tasks is shared eight ways), by the
 * provider's own packing rule (provider/aws/units.ts `tasksPerInstance`).
 */
import type { AppSpec, GpuShape } from "../synth/spec.ts";
import { defaultGpuTaskSize, instancesForShape } from "../provider/aws/gpu-table.ts";
import { capacityGroupsOf, tasksPerInstance, unitsOf, type CapacityGroup, type Unit } from "../provider/aws/units.ts";
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
  return units.map((unit) => ({ unit, fits: fitsOf(unit, groups.get(unit.capacity)!, prices), min: unit.scaling.minContainers, max: unit.scaling.maxContainers }));
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

/** The first priced instance for one GPU shape (for comparing shapes in reviews). */
export function priceOfShape(prices: PriceTable, shape: Pick<GpuShape, "type" | "count">, spot: boolean): InstanceFit | null {
  for (const size of instancesForShape(shape)) {
    const hourly = hourlyPrice(prices, size.instanceType, spot);
    if (hourly === null) continue;
    // a task of the shape's GPUs with their default share of the instance, packed as the provider packs it
    const task = { ...defaultGpuTaskSize(size, shape.count), gpus: shape.count };
    return { instanceType: size.instanceType, hourly, tasksPerInstance: tasksPerInstance(size, task) };
  }
  return null;
}
