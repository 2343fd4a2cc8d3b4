/**
 * The price table behind the cost model: instance prices per hour and the fixed prices that matter
 * (NAT, ALB, EFS, API Gateway, Secrets Manager). The default is `prices/aws-us-east-1.json`; a stack
 * may override any part of it (`gantry:prices` in `Pulumi.<stack>.yaml`, inline or a file path).
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import defaultTable from "./prices/aws-us-east-1.json" with { type: "json" };

export const InstancePrice = z.object({
  gpu: z.string().nullable(),
  gpus: z.number().int().min(0),
  vcpus: z.number().positive(),
  memoryGiB: z.number().positive(),
  /** USD per hour; null where the type has no on-demand price */
  onDemand: z.number().nonnegative().nullable(),
  /** USD per hour, a snapshot; without it spot = onDemand x spotFactor */
  spot: z.number().nonnegative().optional(),
  note: z.string().optional(),
});
export type InstancePrice = z.infer<typeof InstancePrice>;

export const FixedPrices = z.object({
  natGatewayHour: z.number(),
  natGatewayGb: z.number(),
  albHour: z.number(),
  albLcuHour: z.number(),
  efsStandardGbMonth: z.number(),
  apiGatewayHttpPerMillion: z.number(),
  secretsManagerSecretMonth: z.number(),
});
export type FixedPrices = z.infer<typeof FixedPrices>;

export const PriceTable = z.object({
  region: z.string(),
  currency: z.literal("USD"),
  /** one line for plan summaries and review comments */
  label: z.string(),
  /** where the prices come from, in full */
  source: z.string(),
  retrieved: z.string(),
  verified: z.string().optional(),
  hoursPerMonth: z.number().positive(),
  spotFactor: z.number().positive().max(1),
  instances: z.record(z.string(), InstancePrice),
  fixed: FixedPrices,
});
export type PriceTable = z.infer<typeof PriceTable>;

/** A partial table: any field may be given; `instances` entries are merged per type. */
export const PriceOverrides = z.object({
  region: z.string().optional(),
  label: z.string().optional(),
  source: z.string().optional(),
  retrieved: z.string().optional(),
  hoursPerMonth: z.number().positive().optional(),
  spotFactor: z.number().positive().max(1).optional(),
  instances: z.record(z.string(), InstancePrice.partial()).optional(),
  fixed: FixedPrices.partial().optional(),
});
export type PriceOverrides = z.infer<typeof PriceOverrides>;

let cached: PriceTable | undefined;

export function defaultPrices(): PriceTable {
  cached ??= PriceTable.parse(defaultTable);
  return cached;
}

/** The default table with overrides applied; new instance types must be complete. */
export function withOverrides(base: PriceTable, overrides: PriceOverrides | undefined): PriceTable {
  if (!overrides) return base;
  const instances = { ...base.instances };
  for (const [type, patch] of Object.entries(overrides.instances ?? {})) {
    const merged = { ...instances[type], ...patch };
    const parsed = InstancePrice.safeParse(merged);
    if (!parsed.success) throw new Error(`price override for ${type}: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
    instances[type] = parsed.data;
  }
  return PriceTable.parse({
    ...base,
    ...stripUndefined({
      region: overrides.region,
      label: overrides.label ?? (overrides.instances || overrides.fixed ? `${base.label}, with stack overrides` : undefined),
      source: overrides.source ?? (overrides.instances || overrides.fixed ? `${base.source} With stack overrides.` : undefined),
      retrieved: overrides.retrieved,
      hoursPerMonth: overrides.hoursPerMonth,
      spotFactor: overrides.spotFactor,
    }),
    instances,
    fixed: { ...base.fixed, ...stripUndefined(overrides.fixed ?? {}) },
  });
}

/** Reads a full table or a partial override file (JSON). */
export function loadPriceOverrides(path: string): PriceOverrides {
  const raw = JSON.parse(readFileSync(path, "utf8")) as unknown;
  const parsed = PriceOverrides.safeParse(raw);
  if (!parsed.success) throw new Error(`${path}: not a price table: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
  return parsed.data;
}

export function hourlyPrice(table: PriceTable, type: string, spot: boolean): number | null {
  const entry = table.instances[type];
  if (!entry || entry.onDemand === null) return null;
  if (!spot) return entry.onDemand;
  return entry.spot ?? entry.onDemand * table.spotFactor;
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
