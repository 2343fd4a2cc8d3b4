/**
 * The shape every gantry policy has: a plain object with a pure `validate` over the app spec and the
 * plan's resources (Pulumi awsguard's habit). The same objects run offline in `gantry check` and
 * inside the engine through the PolicyPack in `policy/index.ts`.
 */
import type { z } from "zod";
import type { AppSpec, SourceLocation } from "../synth/spec.ts";
import type { PlanCost, PlanResource } from "../provider/plan.ts";

/** Pulumi's levels (minus "remediate", which gantry policies never use). */
export type EnforcementLevel = "advisory" | "mandatory" | "disabled";
export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "disabled"] as const;

/** Everything a policy may look at. `resources` is empty when only the spec is known (an app file). */
export interface PolicyContext {
  spec: AppSpec;
  resources: readonly PlanResource[];
  stack: string;
  /** the cost model of the spec (and resources); policies never compute prices themselves */
  cost: PlanCost;
}

/** What a policy reports: a message, and where (declaration and source) when it knows. */
export interface Finding {
  message: string;
  declaration?: string | null;
  source?: SourceLocation | null;
  urn?: string;
}

export interface GantryPolicy<C extends object = object> {
  /** kebab-case, unique; the key in `gantry:policy` config */
  name: string;
  description: string;
  defaultLevel: EnforcementLevel;
  /** the policy's own settings with their defaults (enforcementLevel is handled outside); an object schema */
  config: z.ZodType<C>;
  validate(ctx: PolicyContext, config: C): Finding[];
}

/** A finding with the policy and level it was raised under. */
export interface Violation extends Finding {
  policy: string;
  level: Exclude<EnforcementLevel, "disabled">;
}
