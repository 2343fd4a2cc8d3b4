/**
 * Reading what `gantry diff` compares: offline plans (`gantry synth --json`) and the output of
 * `pulumi preview --json` ({ steps: [{ op, urn, oldState, newState, detailedDiff, ... }] }).
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { Plan } from "../../provider/plan.ts";
import type { NormalResource, Side } from "./model.ts";
import { normalizeValue } from "./properties.ts";
import type { OriginResolver } from "./origins.ts";

export type DiffInput = { kind: "plan"; plan: Plan } | { kind: "preview"; preview: Preview };

const State = z.looseObject({
  urn: z.string(),
  type: z.string(),
  inputs: z.record(z.string(), z.unknown()).optional().nullable(),
  outputs: z.record(z.string(), z.unknown()).optional().nullable(),
  parent: z.string().optional().nullable(),
});
export type PreviewState = z.infer<typeof State>;

const Step = z.looseObject({
  op: z.string(),
  urn: z.string(),
  oldState: State.optional().nullable(),
  newState: State.optional().nullable(),
  diffReasons: z.array(z.string()).optional().nullable(),
  replaceReasons: z.array(z.string()).optional().nullable(),
  detailedDiff: z.record(z.string(), z.looseObject({ kind: z.string(), inputDiff: z.boolean().optional() })).optional().nullable(),
});
export type PreviewStep = z.infer<typeof Step>;

/** `PreviewDiagnostic` of pkg/display/json.go: severity "error" | "warning" | "info" | "info#err". */
const Diagnostic = z.looseObject({
  urn: z.string().optional().nullable(),
  prefix: z.string().optional().nullable(),
  message: z.string().optional().nullable(),
  severity: z.string().optional().nullable(),
});

/** The `PreviewDigest` that `pulumi preview --json` prints (pulumi/pulumi sdk/pkg/display/json.go). */
export const Preview = z.looseObject({
  config: z.record(z.string(), z.unknown()).optional().nullable(),
  steps: z.array(Step).default([]),
  diagnostics: z.array(Diagnostic).optional().nullable(),
  duration: z.number().optional().nullable(),
  changeSummary: z.record(z.string(), z.number()).optional().nullable(),
  maybeCorrupt: z.boolean().optional().nullable(),
});
export type Preview = z.infer<typeof Preview>;

export class DiffInputError extends Error {}

/** A plan or a preview, told apart by their shape. */
export function readDiffInput(path: string): DiffInput {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new DiffInputError(`${path}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : `not JSON (${(err as Error).message})`}`);
  }
  return parseDiffInput(raw, path);
}

export function parseDiffInput(raw: unknown, where: string): DiffInput {
  if (raw && typeof raw === "object" && "gantry" in raw && "resources" in raw) {
    const plan = Plan.safeParse(raw);
    if (!plan.success) throw new DiffInputError(`${where}: not a valid gantry plan: ${plan.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    return { kind: "plan", plan: plan.data };
  }
  if (raw && typeof raw === "object" && ("steps" in raw || "changeSummary" in raw || "diagnostics" in raw)) {
    const preview = Preview.safeParse(raw);
    if (!preview.success) throw new DiffInputError(`${where}: not a valid \`pulumi preview --json\` output: ${preview.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    return { kind: "preview", preview: preview.data };
  }
  throw new DiffInputError(`${where}: neither a gantry plan (\`gantry synth --json\`) nor \`pulumi preview --json\` output`);
}

export function sideOfPlan(plan: Plan): Side {
  const resources = new Map<string, NormalResource>();
  for (const r of plan.resources) {
    resources.set(r.urn, { urn: r.urn, type: r.type, name: r.name, parent: r.parent, inputs: r.inputs, declaration: r.declaration, source: r.source });
  }
  return { spec: plan.spec, cost: plan.cost, specHash: plan.specHash, app: plan.app, stack: plan.stack, resources };
}

/** The resource a preview state describes; its declaration and source from `origins.ts`. */
export function normalState(state: PreviewState, originOf: OriginResolver): NormalResource {
  const inputs = normalizeValue(state.inputs ?? state.outputs ?? {}) as Record<string, unknown>;
  return { urn: state.urn, type: state.type, name: nameOfUrn(state.urn), parent: state.parent ?? null, inputs, ...originOf(state) };
}

export function nameOfUrn(urn: string): string {
  const i = urn.lastIndexOf("::");
  return i >= 0 ? urn.slice(i + 2) : urn;
}

export function stackOfUrn(urn: string): string | null {
  const m = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(urn);
  return m ? m[1] : null;
}
