/**
 * A monthly GPU budget per stack: the GPU pools' cost (the ceiling by default: what the stack may
 * spend with every pool at maxContainers all month) must stay under `monthlyUsd`. The violation is
 * reported at the pool that costs the most, with the biggest contributors in the message.
 */
import { z } from "zod";
import { gpuCostByPool } from "../cost.ts";
import { poolsOf } from "../pools.ts";
import type { GantryPolicy } from "../types.ts";

const Config = z.strictObject({
  /** USD per month for all GPU pools of the stack; unset: no budget */
  monthlyUsd: z.number().positive().optional(),
  /** which figure of the cost range is held to the budget */
  basis: z.enum(["ceiling", "expected", "floor"]).default("ceiling"),
});
type Config = z.infer<typeof Config>;

export const gpuBudget: GantryPolicy<Config> = {
  name: "gpu-budget",
  description: "The stack's monthly GPU cost (ceiling by default) must stay under its budget.",
  defaultLevel: "mandatory",
  config: Config,
  validate(ctx, config) {
    if (config.monthlyUsd === undefined) return [];
    const byPool = [...gpuCostByPool(ctx.spec, ctx.cost)].map(([id, range]) => ({ id, usd: range[config.basis] })).sort((a, b) => b.usd - a.usd || (a.id < b.id ? -1 : 1));
    const total = byPool.reduce((s, p) => s + p.usd, 0);
    if (total <= config.monthlyUsd) return [];
    const top = byPool[0];
    const pool = poolsOf(ctx.spec).find((p) => p.id === top.id);
    const parts = byPool.filter((p) => p.usd > 0).slice(0, 3).map((p) => `${p.id} ${usd(p.usd)}`).join(", ");
    const unbounded = config.basis === "ceiling" && poolsOf(ctx.spec).some((p) => p.options.gpu && p.options.maxContainers === null)
      ? " (pools without maxContainers count at gantry's default bound)"
      : "";
    return [{
      message: `GPU ${config.basis} ${usd(total)}/month exceeds the ${usd(config.monthlyUsd)}/month budget of stack "${ctx.stack}": ${parts}${unbounded}`,
      declaration: top.id,
      source: pool?.source ?? null,
    }];
  },
};

function usd(x: number): string {
  return `$${x.toLocaleString("en-US", { maximumFractionDigits: 0 })}`;
}
