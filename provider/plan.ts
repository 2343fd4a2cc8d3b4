/**
 * The offline plan: every cloud resource a stack would create, as `gantry synth --json` writes it
 * (and `gantry diff` / `gantry check` read it). Byte-identical for the same input: resources are
 * sorted by URN, object keys are sorted, secret values are "[secret]".
 */
import { z } from "zod";
import { AppSpec, SourceLocation } from "../synth/spec.ts";

export const PLAN_VERSION = 1 as const;

export const PlanResource = z.object({
  urn: z.string(),
  /** Pulumi type token, e.g. `aws:sqs/queue:Queue` or `gantry:aws:FunctionService` */
  type: z.string(),
  name: z.string(),
  /** URN of the parent component, null for the stack's direct children */
  parent: z.string().nullable(),
  /** the inputs AWS would receive (unknowns as "[unknown]", secrets as "[secret]") */
  inputs: z.record(z.string(), z.unknown()),
  dependsOn: z.array(z.string()),
  /**
   * where in user code the resource comes from: its declaration's location; for what the app
   * shares (network, cluster, call state, gateway) the `new App(…)`; for what several declarations
   * share (a capacity group) the first of them (provider/source.ts). Null only in plans from
   * before every resource had one.
   */
  source: SourceLocation.nullable(),
  /** the declaration the resource belongs to; null for shared infrastructure */
  declaration: z.string().nullable(),
  /** for a resource several declarations share (a capacity group): each of them, `source` the first's */
  serves: z.array(z.string()).optional(),
  /**
   * the `import` resource option: the ID of an existing cloud resource the stack adopts (only at
   * deploy time, e.g. a named secret restored from its recovery window; offline plans never set it)
   */
  import: z.string().optional(),
  /** the `ignoreChanges` resource option, when set */
  ignoreChanges: z.array(z.string()).optional(),
});
export type PlanResource = z.infer<typeof PlanResource>;

/** Monthly cost in USD as a range (see policy/cost.ts for the model). */
export const CostRange = z.object({ floor: z.number(), expected: z.number(), ceiling: z.number() });
export type CostRange = z.infer<typeof CostRange>;

export const PlanCost = z.object({
  currency: z.literal("USD"),
  region: z.string(),
  /** where the prices come from and their date */
  priceSource: z.string(),
  total: CostRange,
  declarations: z.array(z.object({ declaration: z.string(), instanceType: z.string().nullable(), cost: CostRange, notes: z.array(z.string()) })),
  fixed: z.array(z.object({ item: z.string(), monthly: z.number(), note: z.string() })),
});
export type PlanCost = z.infer<typeof PlanCost>;

export const Plan = z.object({
  gantry: z.object({ planVersion: z.literal(PLAN_VERSION), version: z.string() }),
  app: z.string(),
  stack: z.string(),
  /** a name in the target registry (provider/target.ts) */
  target: z.string().min(1),
  specHash: z.string(),
  spec: AppSpec,
  resources: z.array(PlanResource),
  outputs: z.record(z.string(), z.unknown()),
  cost: PlanCost.nullable(),
});
export type Plan = z.infer<typeof Plan>;
