/**
 * The cost model as a step of the offline plan: it fills `plan.cost` with the stack's usage and
 * prices (`gantry:usage`, `gantry:prices` in `Pulumi.<stack>.yaml` of the project). The caller
 * passes it to `buildPlan` (`gantry synth` does); the provider does not know the cost model.
 */
import type { PlanStep } from "../provider/plan/build.ts";
import { costPlan } from "./cost.ts";
import { loadStackSettings } from "./stack-settings.ts";

export const costStep: PlanStep = (plan, inputs) => {
  const settings = loadStackSettings(inputs.stack, [inputs.projectRoot]);
  const cost = costPlan(plan.spec, plan.resources, { usage: settings.usage, prices: settings.prices });
  const region = inputs.config?.values["aws:region"];
  if (region && region !== cost.region) cost.priceSource += `; the stack is in ${region}, priced with ${cost.region} prices (set gantry:prices for ${region})`;
  return { ...plan, cost };
};
