/** An upper bound on `scaledownWindow`: an idle GPU container is paid for every second of it. */
import { z } from "zod";
import { poolsOf } from "../pools.ts";
import type { Finding, GantryPolicy } from "../types.ts";

const Config = z.strictObject({
  maxSeconds: z.number().int().min(1).default(1200),
  /** only GPU pools (CPU containers are cheap to keep) */
  gpuOnly: z.boolean().default(true),
});
type Config = z.infer<typeof Config>;

export const scaledownWindowLimit: GantryPolicy<Config> = {
  name: "scaledown-window-limit",
  description: "scaledownWindow must not exceed the stack's bound (GPU pools by default).",
  defaultLevel: "advisory",
  config: Config,
  validate(ctx, config) {
    const findings: Finding[] = [];
    for (const pool of poolsOf(ctx.spec)) {
      if (config.gpuOnly && !pool.options.gpu) continue;
      const w = pool.options.scaledownWindow;
      if (w <= config.maxSeconds) continue;
      findings.push({
        message: `${pool.id} keeps idle containers for ${w} s (scaledownWindow); stack "${ctx.stack}" allows at most ${config.maxSeconds} s`,
        declaration: pool.id,
        source: pool.source,
      });
    }
    return findings;
  },
};
