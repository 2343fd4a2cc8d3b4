/**
 * The cost model as a step of the offline plan: `buildPlan` runs the steps in PLAN_STEPS on the
 * finished plan, and this one fills `plan.cost` with the stack's usage and prices
 * (`gantry:usage`, `gantry:prices` in `Pulumi.<stack>.yaml` of the project). Importing this module
 * registers the step once; `gantry synth` imports it.
 */
import { PLAN_STEPS, type PlanStep } from "../provider/plan/build.ts";
import { costPlan } from "./cost.ts";
import { loadStackSettings } from "./stack-settings.ts";

export const costStep: PlanStep = (plan, inputs) => {
  const settings = loadStackSettings(inputs.stack, [inputs.projectRoot]);
  const cost = costPlan(plan.spec, plan.resources, { usage: settings.usage, prices: settings.prices });
  const region = inputs.config?.values["aws:region"];
  if (region && region !== cost.region) cost.priceSource += `; the stack is in ${region}, priced with ${cost.region} prices (set gantry:prices for ${region})`;
  return { ...plan, cost };
};

if (!PLAN_STEPS.includes(costStep)) PLAN_STEPS.push(costStep);
