/** An upper bound on `minContainers` (and optionally `bufferContainers`): warm containers are paid all month. */
import { z } from "zod";
import { poolsOf } from "../pools.ts";
import type { Finding, GantryPolicy } from "../types.ts";

const Config = z.strictObject({
  max: z.number().int().min(0).default(2),
  /** a bound on bufferContainers too; unset: not checked */
  maxBuffer: z.number().int().min(0).optional(),
  /** only GPU pools */
  gpuOnly: z.boolean().default(true),
});
type Config = z.infer<typeof Config>;

export const minContainersLimit: GantryPolicy<Config> = {
  name: "min-containers-limit",
  description: "minContainers (warm pool) must not exceed the stack's bound (GPU pools by default).",
  defaultLevel: "advisory",
  config: Config,
  validate(ctx, config) {
    const findings: Finding[] = [];
    for (const pool of poolsOf(ctx.spec)) {
      if (config.gpuOnly && !pool.options.gpu) continue;
      const { minContainers, bufferContainers } = pool.options;
      if (minContainers > config.max) {
        findings.push({
          message: `${pool.id} keeps ${minContainers} containers always on (minContainers); stack "${ctx.stack}" allows at most ${config.max}`,
          declaration: pool.id,
          source: pool.source,
        });
      }
      if (config.maxBuffer !== undefined && bufferContainers > config.maxBuffer) {
        findings.push({
          message: `${pool.id} keeps ${bufferContainers} spare containers (bufferContainers); stack "${ctx.stack}" allows at most ${config.maxBuffer}`,
          declaration: pool.id,
          source: pool.source,
        });
      }
    }
    return findings;
  },
};
