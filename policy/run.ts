/**
 * The list of gantry policies and the one function that runs them: `gantry check` and the
 * PolicyPack both call `runPolicies`, so offline and in-engine results cannot drift apart.
 */
import type { AppSpec } from "../synth/spec.ts";
import type { PlanCost, PlanResource } from "../provider/plan.ts";
import { costPlan, type CostOptions } from "./cost.ts";
import { resolvePolicies, type RawPolicyConfig } from "./config.ts";
import type { GantryPolicy, PolicyContext, Violation } from "./types.ts";
import { gpuAllowedTypes } from "./rules/gpu-allowed-types.ts";
import { gpuBudget } from "./rules/gpu-budget.ts";
import { gpuMaxContainers } from "./rules/gpu-max-containers.ts";
import { scaledownWindowLimit } from "./rules/scaledown-window-limit.ts";
import { minContainersLimit } from "./rules/min-containers-limit.ts";
import { timeoutsSet } from "./rules/timeouts-set.ts";
import { imagePackagesPinned } from "./rules/image-packages-pinned.ts";
import { noSecretFromDict } from "./rules/no-secret-from-dict.ts";
import { endpointsPrivate } from "./rules/endpoints-private.ts";
import { efsEncrypted } from "./rules/efs-encrypted.ts";

export const POLICIES: readonly GantryPolicy[] = [
  gpuAllowedTypes,
  gpuBudget,
  gpuMaxContainers,
  scaledownWindowLimit,
  minContainersLimit,
  timeoutsSet,
  imagePackagesPinned,
  noSecretFromDict,
  endpointsPrivate,
  efsEncrypted,
] as GantryPolicy[];

export interface CheckInput {
  spec: AppSpec;
  resources?: readonly PlanResource[];
  stack: string;
  /** the plan's cost; computed from spec and resources (with `costOptions`) when absent */
  cost?: PlanCost | null;
  costOptions?: CostOptions;
}

/** Runs every enabled policy; violations sorted by file, line, column, then policy. */
export function runPolicies(input: CheckInput, rawConfig?: RawPolicyConfig, where?: string): Violation[] {
  const resources = input.resources ?? [];
  const ctx: PolicyContext = {
    spec: input.spec,
    resources,
    stack: input.stack,
    cost: input.cost ?? costPlan(input.spec, resources, input.costOptions),
  };
  const out: Violation[] = [];
  for (const { policy, level, config } of resolvePolicies(POLICIES, rawConfig, where)) {
    if (level === "disabled") continue;
    for (const finding of policy.validate(ctx, config)) out.push({ ...finding, policy: policy.name, level });
  }
  return out.sort(compareViolations);
}

export function compareViolations(a: Violation, b: Violation): number {
  const fa = a.source?.file ?? "\uffff";
  const fb = b.source?.file ?? "\uffff";
  return (fa < fb ? -1 : fa > fb ? 1 : 0) || (a.source?.line ?? 0) - (b.source?.line ?? 0) || (a.source?.column ?? 0) - (b.source?.column ?? 0) ||
    (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0);
}

/** `file:line:col: error|warning POLICY: message` (stack-level findings print `<stack>:`). */
export function formatViolation(v: Violation, fallbackWhere: string): string {
  const where = v.source ? `${v.source.file}:${v.source.line}:${v.source.column}` : fallbackWhere;
  return `${where}: ${v.level === "mandatory" ? "error" : "warning"} ${v.policy}: ${v.message}`;
}
