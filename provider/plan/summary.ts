/**
 * The plan for people, as `gantry synth` prints it: the app, stack and target, then the target's
 * own lines (per declaration, then shared infrastructure; provider/target.ts), the cost range and
 * the totals.
 */
import type { Plan } from "../plan.ts";
import { lookupTarget } from "../target.ts";

export function summarizePlan(plan: Plan): string {
  const found = lookupTarget(plan.target);
  if (found.kind !== "found") throw new Error(`no summary for target "${plan.target}": it is not implemented`);
  const lines: string[] = [];
  lines.push(`gantry plan: app ${plan.app}, stack ${plan.stack}, target ${plan.target}`);
  lines.push(`spec ${plan.specHash}`);
  lines.push("");
  lines.push(...found.target.summarize(plan));
  if (plan.cost) {
    const t = plan.cost.total;
    const usd = (n: number) => `$${n.toFixed(2)}`;
    lines.push(`  cost (${plan.cost.currency}/month, ${plan.cost.region}): floor ${usd(t.floor)}, expected ${usd(t.expected)}, ceiling ${usd(t.ceiling)}  (${plan.cost.priceSource})`);
    lines.push("");
  }
  const custom = plan.resources.filter((r) => !r.type.startsWith("gantry:")).length;
  lines.push(`${custom} cloud resources in ${plan.resources.length - custom} components.`);
  for (const note of (plan.outputs.notes ?? []) as string[]) lines.push(`note: ${note}`);
  return `${lines.join("\n")}\n`;
}
