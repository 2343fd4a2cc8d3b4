/**
 * The review of a change, as `gantry diff --format json` prints it and the markdown renderer reads
 * it: resource changes grouped by declaration, the cost delta as a range, and the flags a reviewer
 * must look at.
 */
import type { AppSpec, SourceLocation } from "../../synth/spec.ts";
import type { CostRange, PlanCost } from "../../provider/plan.ts";

export type Op = "create" | "update" | "replace" | "delete";

export interface PropertyChange {
  /** `instanceType`, `containerDefinitions[0].image`, `policy.Statement[1].Action` */
  path: string;
  kind: "add" | "update" | "delete";
  before?: unknown;
  after?: unknown;
  /** this property forces the resource's replacement */
  replaces?: boolean;
}

export interface ResourceChange {
  op: Op;
  urn: string;
  type: string;
  name: string;
  declaration: string | null;
  source: SourceLocation | null;
  properties: PropertyChange[];
  /** for op "replace": who says so, Pulumi's preview or gantry's table of replace-on-change properties */
  replaceBy?: "preview" | "gantry";
}

export type FlagKind = "gpu-spend-broadened" | "iam-broadened" | "public-endpoint-added" | "secret-changed";

export const FLAG_TITLES: Record<FlagKind, string> = {
  "gpu-spend-broadened": "GPU spend broadened",
  "iam-broadened": "IAM broadened",
  "public-endpoint-added": "Public endpoint added",
  "secret-changed": "Secret changed",
};

export interface Flag {
  kind: FlagKind;
  declaration: string | null;
  source: SourceLocation | null;
  /** short facts, e.g. "GPU A10G -> H100", "maxContainers 5 -> 20" (secret names only, never values) */
  details: string[];
}

export interface CostDelta {
  base: CostRange | null;
  head: CostRange | null;
  /**
   * head - base per figure; a side that does not exist (a new or removed declaration) counts as 0.
   * Null when one side's cost is not known at all (a preview given only one of the two plans).
   */
  delta: CostRange | null;
}

/** A diagnostic of the preview, as the engine printed it (`error: Running program ... failed ...`). */
export interface PreviewDiagnostic {
  severity: string;
  urn: string | null;
  message: string;
}

/** Why a preview cannot be reviewed as a complete change: its program threw, or its step list is partial. */
export interface PreviewFailure {
  reasons: string[];
  /** the error diagnostics, in the order the engine printed them */
  diagnostics: PreviewDiagnostic[];
}

export interface DeclarationGroup {
  /** null: shared infrastructure */
  declaration: string | null;
  source: SourceLocation | null;
  changes: ResourceChange[];
  cost: CostDelta | null;
}

export interface ReviewDiff {
  format: "gantry-diff";
  version: 1;
  /** what was compared */
  input: "plans" | "preview";
  app: string | null;
  stack: string | null;
  baseSpecHash: string | null;
  headSpecHash: string | null;
  /** from the preview's `changeSummary` when there is one (a preview lists only changed steps) */
  summary: { create: number; update: number; replace: number; delete: number; same: number };
  /** a preview that failed or is partial: the review below it is not the whole change */
  failure: PreviewFailure | null;
  flags: Flag[];
  cost: (CostDelta & { priceSource: string; /** what the delta could be computed from */ known: "both" | "head-only" | "base-only" }) | null;
  groups: DeclarationGroup[];
}

/** One side of a comparison, whatever it was read from. */
export interface Side {
  spec: AppSpec | null;
  cost: PlanCost | null;
  specHash: string | null;
  app: string | null;
  stack: string | null;
  resources: Map<string, NormalResource>;
}

export interface NormalResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  inputs: Record<string, unknown>;
  declaration: string | null;
  source: SourceLocation | null;
}
