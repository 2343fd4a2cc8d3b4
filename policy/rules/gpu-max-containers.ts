/**
 * GPU work must be bounded: every GPU pool sets `maxContainers` (mandatory by default, since an
 * unbounded GPU pool is an unbounded bill), and, when configured, stays under a stack-wide cap.
 */
import { z } from "zod";
import { poolsOf } from "../pools.ts";
import type { Finding, GantryPolicy } from "../types.ts";

const Config = z.strictObject({
  /** the largest maxContainers a GPU pool may have in this stack; unset: any bound is fine */
  max: z.number().int().min(1).optional(),
});
type Config = z.infer<typeof Config>;

export const gpuMaxContainers: GantryPolicy<Config> = {
  name: "gpu-max-containers",
  description: "GPU functions and classes must set maxContainers (and stay under the stack's cap, if any).",
  defaultLevel: "mandatory",
  config: Config,
  validate(ctx, config) {
    const findings: Finding[] = [];
    for (const pool of poolsOf(ctx.spec)) {
      if (!pool.options.gpu) continue;
      const max = pool.options.maxContainers;
      if (max === null) {
        findings.push({
          message: `${pool.id} runs on GPU ${pool.options.gpu.type} without maxContainers: its spend has no upper bound; set maxContainers`,
          declaration: pool.id,
          source: pool.source,
        });
      } else if (config.max !== undefined && max > config.max) {
        findings.push({
          message: `${pool.id} allows ${max} GPU containers; stack "${ctx.stack}" allows at most ${config.max}`,
          declaration: pool.id,
          source: pool.source,
        });
      }
    }
    return findings;
  },
};
