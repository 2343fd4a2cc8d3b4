/**
 * The cost model: a monthly range per pool (function, class, variant) and per stack.
 *
 * - floor: `minContainers` always on, in whole instances (`bufferContainers` are extra containers
 *   only while there is work, on every target: runtime/aws/backlog.ts, runtime/redis/scaled-object.ts);
 * - ceiling: `maxContainers` (or gantry's bound when unset) busy all month, on the dearest
 *   instance of a fallback list;
 * - expected: busy container-hours from the usage file (busy hours, or calls x duration), plus
 *   each schedule's runs (counted from its cron) x (run time + scale-down window); never below the
 *   floor nor above the ceiling. Without usage it equals the floor (scale to zero).
 * Fixed costs (NAT, ALB, EFS, API Gateway, Secrets Manager) are approximations and say so.
 * Instances, task packing and bounds are the AWS provider's own (policy/instances.ts); inputs per
 * container are the unit's resolved `targetInputs` (synth/units.ts), what the autoscaler aims for.
 * Pure: same spec, resources and options, same numbers.
 */
import type { AppSpec, GpuShape } from "../synth/spec.ts";
import type { Unit } from "../synth/units.ts";
import type { CostRange, PlanCost, PlanResource } from "../provider/plan.ts";
import { defaultPrices, type PriceTable } from "./prices.ts";
import { pricedUnits, type InstanceFit, type PricedUnit } from "./instances.ts";
import { poolsOf, webEntriesOf } from "./pools.ts";
import { runsPerMonth } from "./schedule-runs.ts";
import type { DeclarationUsage, Usage } from "./usage.ts";

export interface CostOptions {
  usage?: Usage;
  prices?: PriceTable;
}

export const DEFAULT_VOLUME_GB = 100;

export type DeclarationCost = PlanCost["declarations"][number];
export type FixedCost = PlanCost["fixed"][number];

export function costPlan(spec: AppSpec, resources: readonly PlanResource[], options: CostOptions = {}): PlanCost {
  const prices = options.prices ?? defaultPrices();
  const usage = options.usage;
  const declarations = pricedUnits(spec, prices).map((u) => costUnit(u, prices, usage));
  const fixed = fixedCosts(spec, resources, prices, usage);
  const fixedSum = fixed.reduce((s, f) => s + f.monthly, 0);
  const sum = (key: keyof CostRange) => money(declarations.reduce((s, d) => s + d.cost[key], 0) + fixedSum);
  return {
    currency: "USD",
    region: prices.region,
    priceSource: `${prices.label}; retrieved ${prices.retrieved}; fixed costs approximate`,
    total: { floor: sum("floor"), expected: sum("expected"), ceiling: sum("ceiling") },
    declarations,
    fixed,
  };
}

function costUnit(priced: PricedUnit, prices: PriceTable, usage: Usage | undefined): DeclarationCost {
  const { unit, fits, min, max } = priced;
  const o = unit.options;
  const H = prices.hoursPerMonth;
  const notes: string[] = [];
  const preferred = fits[0];
  if (!preferred) {
    return { declaration: unit.id, instanceType: null, cost: { floor: 0, expected: 0, ceiling: 0 }, notes: [`no ${prices.region} price for the instance types of ${unit.id}: not counted`] };
  }
  notes.push(describeFit(o.gpu, preferred, o.spot));

  // floor: what is always on, in whole instances; the buffer runs only while there is work
  const floor = instancesFor(min, preferred) * preferred.hourly * H;
  if (min > 0) notes.push(`floor: ${min} container${min === 1 ? "" : "s"} always on (minContainers ${min}${min !== o.minContainers ? ", a web server never scales to zero" : ""})`);
  if (o.bufferContainers > 0) notes.push(`bufferContainers ${o.bufferContainers}: extra containers while there is work, not in the floor`);

  // ceiling: every container busy all month, on the dearest instance the pool may fall back to
  if (o.maxContainers === null) notes.push(`ceiling: maxContainers unset, gantry's bound of ${max} containers applies`);
  else notes.push(`ceiling: ${max} container${max === 1 ? "" : "s"} busy all month`);
  let ceiling = 0;
  for (const fit of fits) {
    const c = instancesFor(max, fit) * fit.hourly * H;
    if (c > ceiling) {
      if (fit !== preferred) notes.push(`ceiling priced on fallback ${fit.instanceType}, the dearest of the list`);
      ceiling = c;
    }
  }
  ceiling = Math.max(ceiling, floor);

  // expected: busy container-hours, billed as a share of an instance
  const busy = busyContainerHours(unit, usage?.declarations[unit.id], prices, notes);
  const expected = busy === null ? floor : Math.min(Math.max(floor, (busy * preferred.hourly) / preferred.tasksPerInstance), ceiling);
  if (busy === null) notes.push("expected: no usage given, equals the floor");

  return { declaration: unit.id, instanceType: preferred.instanceType, cost: { floor: money(floor), expected: money(expected), ceiling: money(ceiling) }, notes };
}

function describeFit(shape: GpuShape | null, fit: InstanceFit, spot: boolean): string {
  const what = shape ? `${shape.type}${shape.count > 1 ? ` x${shape.count}` : ""}` : "CPU";
  const share = fit.tasksPerInstance > 1 ? `, ${fit.tasksPerInstance} tasks per instance` : "";
  return `${what} -> ${fit.instanceType} at $${fit.hourly}/h ${spot ? "spot" : "on-demand"}${share}`;
}

function instancesFor(containers: number, fit: InstanceFit): number {
  return Math.ceil(containers / fit.tasksPerInstance);
}

/** Container-hours of work in a month, or null when nothing is known about the load. */
function busyContainerHours(unit: Unit, u: DeclarationUsage | undefined, prices: PriceTable, notes: string[]): number | null {
  const H = prices.hoursPerMonth;
  const daysPerMonth = H / 24;
  const parts: number[] = [];
  const add = (h: number) => parts.push(h);
  if (u?.busyHoursPerDay !== undefined || u?.busyHoursPerMonth !== undefined) {
    const perMonth = u.busyHoursPerMonth ?? (u.busyHoursPerDay ?? 0) * daysPerMonth;
    const containers = u.containers ?? 1;
    add(perMonth * containers);
    notes.push(`expected: ${round1(perMonth)} busy h/month x ${containers} container${containers === 1 ? "" : "s"} (usage file)`);
  }
  if (u?.callsPerDay !== undefined || u?.callsPerMonth !== undefined) {
    const calls = u.callsPerMonth ?? (u.callsPerDay ?? 0) * daysPerMonth;
    const seconds = u.secondsPerCall ?? unit.options.timeout;
    const perContainer = unit.concurrency.targetInputs;
    add((calls * seconds) / 3600 / perContainer);
    const per = perContainer > 1 ? ` / ${perContainer} inputs per container` : "";
    notes.push(`expected: ${Math.round(calls)} calls/month x ${seconds} s${per} (usage file${u.secondsPerCall === undefined ? "; secondsPerCall unset, timeout used" : ""})`);
  }
  if (unit.schedule) {
    const runs = runsPerMonth(unit.schedule, H);
    const seconds = u?.secondsPerRun ?? unit.options.timeout;
    const idle = unit.options.scaledownWindow;
    add((runs * (seconds + idle)) / 3600);
    notes.push(`expected: ${round1(runs)} scheduled runs/month x (${seconds} s${u?.secondsPerRun === undefined ? " (timeout, an upper bound)" : ""} + ${idle} s scale-down window)`);
  }
  return parts.length ? parts.reduce((a, b) => a + b, 0) : null;
}

// ---- fixed costs

function fixedCosts(spec: AppSpec, resources: readonly PlanResource[], prices: PriceTable, usage: Usage | undefined): FixedCost[] {
  const H = prices.hoursPerMonth;
  const f = prices.fixed;
  const fromPlan = resources.length > 0;
  const count = (...types: string[]) => resources.filter((r) => types.includes(r.type)).length;
  const out: FixedCost[] = [];

  const nats = fromPlan ? count("aws:ec2/natGateway:NatGateway") : 1;
  if (nats > 0) {
    const gb = usage?.natGbPerMonth ?? 0;
    out.push({
      item: nats === 1 ? "NAT gateway" : `NAT gateways (${nats})`,
      monthly: money(nats * f.natGatewayHour * H + gb * f.natGatewayGb),
      note: `approximation: $${f.natGatewayHour}/h each + $${f.natGatewayGb}/GB processed (${gb} GB/month${usage?.natGbPerMonth === undefined ? " assumed; set natGbPerMonth in the usage file" : ""})${fromPlan ? "" : "; one gateway assumed (spec only, no plan)"}`,
    });
  }

  const web = webEntriesOf(spec);
  const albs = fromPlan
    ? resources.filter((r) => (r.type === "aws:lb/loadBalancer:LoadBalancer" || r.type === "aws:alb/loadBalancer:LoadBalancer") && r.inputs.loadBalancerType !== "network").length
    : web.some((w) => w.web.kind !== "endpoint") ? 1 : 0;
  if (albs > 0) {
    out.push({
      item: albs === 1 ? "Application Load Balancer" : `Application Load Balancers (${albs})`,
      monthly: money(albs * (f.albHour + f.albLcuHour) * H),
      note: `approximation: $${f.albHour}/h + 1 LCU ($${f.albLcuHour}/h) each; LCUs grow with traffic`,
    });
  }

  const apis = fromPlan ? count("aws:apigatewayv2/api:Api") : web.some((w) => w.web.kind === "endpoint") ? 1 : 0;
  if (apis > 0) {
    const requests = usage?.requestsPerMonth ?? 0;
    out.push({
      item: "API Gateway HTTP API",
      monthly: money((requests / 1e6) * f.apiGatewayHttpPerMillion),
      note: `approximation: $${f.apiGatewayHttpPerMillion} per million requests (${requests} requests/month${usage?.requestsPerMonth === undefined ? "; set requestsPerMonth in the usage file" : ""}), plus the gateway Lambda`,
    });
  }

  for (const v of spec.volumes) {
    const gb = usage?.volumes[v.name]?.sizeGb ?? DEFAULT_VOLUME_GB;
    out.push({
      item: `EFS storage (${v.name})`,
      monthly: money(gb * f.efsStandardGbMonth),
      note: `approximation: ${gb} GB${usage?.volumes[v.name] ? "" : " assumed (set volumes.<name>.sizeGb in the usage file)"} at $${f.efsStandardGbMonth}/GB-month Standard, throughput billed on top`,
    });
  }

  const secrets = fromPlan ? count("aws:secretsmanager/secret:Secret") : spec.secrets.filter((s) => s.kind === "named").length;
  if (secrets > 0) {
    out.push({ item: `Secrets Manager (${secrets} secret${secrets === 1 ? "" : "s"})`, monthly: money(secrets * f.secretsManagerSecretMonth), note: `$${f.secretsManagerSecretMonth} per secret per month, API calls billed on top` });
  }
  return out;
}

/** Whole cents. */
export function money(x: number): number {
  return Math.round(x * 100) / 100;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** GPU pools' monthly range (what GPU policies budget), by pool id. */
export function gpuCostByPool(spec: AppSpec, cost: PlanCost): Map<string, CostRange> {
  const gpuIds = new Set(poolsOf(spec).filter((p) => p.options.gpu).map((p) => p.id));
  return new Map(cost.declarations.filter((d) => gpuIds.has(d.declaration)).map((d) => [d.declaration, d.cost]));
}

