/**
 * The usage file: what a team expects its app to do in a month, so the cost model can give an
 * expected figure between the floor and the ceiling. YAML or JSON, e.g. `gantry.usage.yaml`:
 *
 *   declarations:
 *     TextModel: { busyHoursPerDay: 6, containers: 2 }   # hours with N containers busy
 *     embed: { callsPerDay: 50000, secondsPerCall: 0.2 }  # calls x duration
 *     nightlyReport: { secondsPerRun: 900 }               # per scheduled run (default: its timeout)
 *   volumes: { model-weights: { sizeGb: 200 } }           # EFS storage (default 100 GB)
 *   requestsPerMonth: 3000000                             # API Gateway requests
 *   natGbPerMonth: 200                                    # traffic through the NAT gateway
 *
 * Keys under `declarations` are function, class or variant ids (`TextModel~gpu=H100`).
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

export const DeclarationUsage = z.strictObject({
  busyHoursPerDay: z.number().min(0).max(24).optional(),
  busyHoursPerMonth: z.number().min(0).optional(),
  /** containers busy during those hours (default 1) */
  containers: z.number().positive().optional(),
  callsPerDay: z.number().min(0).optional(),
  callsPerMonth: z.number().min(0).optional(),
  secondsPerCall: z.number().positive().optional(),
  /** for scheduled functions: seconds one run takes */
  secondsPerRun: z.number().positive().optional(),
});
export type DeclarationUsage = z.infer<typeof DeclarationUsage>;

export const Usage = z.strictObject({
  declarations: z.record(z.string(), DeclarationUsage).default({}),
  volumes: z.record(z.string(), z.strictObject({ sizeGb: z.number().min(0) })).default({}),
  requestsPerMonth: z.number().min(0).optional(),
  natGbPerMonth: z.number().min(0).optional(),
});
export type Usage = z.infer<typeof Usage>;

export function parseUsage(value: unknown, where = "usage"): Usage {
  const parsed = Usage.safeParse(value ?? {});
  if (!parsed.success) {
    throw new Error(`${where}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}

export function loadUsage(path: string): Usage {
  return parseUsage(parseYaml(readFileSync(path, "utf8")), path);
}
