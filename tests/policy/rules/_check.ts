/** Runs one policy with its settings parsed like the real config path (defaults applied). */
import type { AppSpec } from "../../../synth/spec.ts";
import type { PlanResource } from "../../../provider/plan.ts";
import { costPlan } from "../../../policy/cost.ts";
import type { Finding, GantryPolicy } from "../../../policy/types.ts";

export function check<C extends object>(policy: GantryPolicy<C>, spec: AppSpec, settings: Record<string, unknown> = {}, stack = "staging", resources: PlanResource[] = []): Finding[] {
  const config = policy.config.parse(settings);
  return policy.validate({ spec, resources, stack, cost: costPlan(spec, resources) }, config);
}
