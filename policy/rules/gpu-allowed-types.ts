/** Only the GPU types a stack allows (fallbacks and variants included). Without a list, all are allowed. */
import { z } from "zod";
import { GpuType } from "../../synth/spec.ts";
import { poolsOf } from "../pools.ts";
import type { Finding, GantryPolicy } from "../types.ts";

const Config = z.strictObject({
  /** e.g. [T4, L4, A10G]; unset: every type is allowed */
  allowed: z.array(GpuType).optional(),
});
type Config = z.infer<typeof Config>;

export const gpuAllowedTypes: GantryPolicy<Config> = {
  name: "gpu-allowed-types",
  description: "GPU types must be in the stack's allowed list (preferred shape, fallbacks and variants).",
  defaultLevel: "mandatory",
  config: Config,
  validate(ctx, config) {
    if (!config.allowed) return [];
    const allowed = new Set<string>(config.allowed.map((t) => (t === "A100" ? "A100-40GB" : t)));
    const findings: Finding[] = [];
    for (const pool of poolsOf(ctx.spec)) {
      const gpu = pool.options.gpu;
      if (!gpu) continue;
      const denied = [gpu, ...gpu.fallbacks].map((s) => s.type).filter((t) => !allowed.has(t));
      if (denied.length === 0) continue;
      findings.push({
        message: `${pool.id} uses GPU ${[...new Set(denied)].join(", ")}, not allowed in stack "${ctx.stack}" (allowed: ${config.allowed.join(", ") || "none"})`,
        declaration: pool.id,
        source: pool.source,
      });
    }
    return findings;
  },
};
