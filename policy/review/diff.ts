/**
 * `gantry diff`: two offline plans, or a `pulumi preview --json` (optionally with the plans of both
 * sides, which bring declarations, sources, specs and costs), turned into one ReviewDiff.
 */
import type { Plan } from "../../provider/plan.ts";
import type { CostRange, PlanCost } from "../../provider/plan.ts";
import { money } from "../cost.ts";
import { poolsOf } from "../pools.ts";
import { defaultPrices, type PriceTable } from "../prices.ts";
import type { CostDelta, DeclarationGroup, Flag, NormalResource, Op, PreviewFailure, PropertyChange, ResourceChange, ReviewDiff, Side } from "./model.ts";
import { asJsonDocument, diffInputs, normalizeValue } from "./properties.ts";
import { formatPath, overlaps, parsePath, valueAt, type PathSegment } from "./paths.ts";
import { originResolver } from "./origins.ts";
import { replacesOnChange } from "./replace-table.ts";
import { normalState, sideOfPlan, stackOfUrn, type Preview, type PreviewState, type PreviewStep } from "./sides.ts";
import { gpuFlagsFromResources, gpuFlagsFromSpecs } from "./flags/gpu.ts";
import { iamFlags } from "./flags/iam.ts";
import { publicFlagsFromResources, publicFlagsFromSpecs } from "./flags/public.ts";
import { secretFlagsFromResources, secretFlagsFromSpecs } from "./flags/secrets.ts";

export interface DiffOptions {
  prices?: PriceTable;
}

export function diffPlans(base: Plan, head: Plan, options: DiffOptions = {}): ReviewDiff {
  const b = sideOfPlan(base);
  const h = sideOfPlan(head);
  const changes: ResourceChange[] = [];
  let same = 0;
  for (const urn of [...new Set([...b.resources.keys(), ...h.resources.keys()])].sort()) {
    const before = b.resources.get(urn);
    const after = h.resources.get(urn);
    if (!before) changes.push(change("create", after!, []));
    else if (!after) changes.push(change("delete", before, []));
    else {
      const props = diffInputs(before.inputs, after.inputs).map((p) => (replacesOnChange(after.type, p.path) ? { ...p, replaces: true } : p));
      if (props.length === 0) same++;
      else if (props.some((p) => p.replaces)) changes.push({ ...change("replace", after, props), replaceBy: "gantry" });
      else changes.push(change("update", after, props));
    }
  }
  return assemble("plans", b, h, changes, same, options);
}

export interface PreviewPlans {
  basePlan?: Plan;
  headPlan?: Plan;
}

export function diffPreview(preview: Preview, plans: PreviewPlans = {}, options: DiffOptions = {}): ReviewDiff {
  const states = preview.steps.flatMap((s) => [s.oldState, s.newState]).filter((s): s is PreviewState => !!s);
  const originOf = originResolver(states, [plans.headPlan, plans.basePlan]);
  const b: Side = plans.basePlan ? { ...sideOfPlan(plans.basePlan), resources: new Map() } : emptySide();
  const h: Side = plans.headPlan ? { ...sideOfPlan(plans.headPlan), resources: new Map() } : emptySide();
  const changes = new Map<string, ResourceChange>();
  let sameSteps = 0;
  for (const step of preview.steps) {
    const op = opOf(step.op);
    if (step.oldState) b.resources.set(step.urn, normalState(step.oldState, originOf));
    if (step.newState) h.resources.set(step.urn, normalState(step.newState, originOf));
    if (op === null) {
      if (step.op === "same") sameSteps++;
      continue;
    }
    if (changes.has(step.urn)) continue; // create-replacement / delete-replaced pairs
    const before = b.resources.get(step.urn);
    const after = h.resources.get(step.urn);
    const subject = after ?? before;
    if (!subject) continue;
    const props = op === "delete" || op === "create" ? [] : propertyChanges(before?.inputs ?? {}, after?.inputs ?? {}, step);
    const c = change(op, subject, props);
    changes.set(step.urn, op === "replace" ? { ...c, replaceBy: "preview" } : c);
  }
  if (!b.stack && !h.stack) {
    const first = preview.steps[0]?.urn ?? preview.diagnostics?.find((d) => d.urn)?.urn;
    h.stack = first ? stackOfUrn(first) : null;
  }
  const list = [...changes.values()];
  const summary = summaryOf(preview, list, sameSteps);
  return { ...assemble("preview", b, h, list, summary.same, options, summary), failure: previewFailure(preview, plans.headPlan) };
}

function emptySide(): Side {
  return { spec: null, cost: null, specHash: null, app: null, stack: null, resources: new Map() };
}

function opOf(op: string): Op | null {
  switch (op) {
    case "create":
    case "import":
      return "create";
    case "update":
      return "update";
    case "replace":
    case "create-replacement":
    case "delete-replaced":
    case "import-replacement":
      return "replace";
    case "delete":
    case "discard":
      return "delete";
    default:
      return null; // same, read, refresh, ...
  }
}

/**
 * Counts as the engine made them: `changeSummary` counts every resource, while the steps list only
 * what changes (and the root stack) unless `--show-sames`. Without a summary, the steps' own count.
 */
function summaryOf(preview: Preview, changes: readonly ResourceChange[], sameSteps: number): ReviewDiff["summary"] {
  const cs = preview.changeSummary;
  if (!cs) {
    const out = { create: 0, update: 0, replace: 0, delete: 0, same: sameSteps };
    for (const c of changes) out[c.op]++;
    return out;
  }
  const n = (k: string) => cs[k] ?? 0;
  return { create: n("create") + n("import"), update: n("update"), replace: n("replace") + n("import-replacement"), delete: n("delete") + n("discard"), same: n("same") };
}

/**
 * A preview whose program threw still prints a digest: the steps registered before the throw,
 * the error diagnostics, and a change summary of that much. Reviewing it as the change would
 * miss everything after the throw (and every delete: the engine only deletes after a program
 * that finished).
 */
export function previewFailure(preview: Preview, headPlan?: Plan): PreviewFailure | null {
  const reasons: string[] = [];
  const diagnostics = (preview.diagnostics ?? [])
    .filter((d) => d.severity === "error")
    .map((d) => ({ severity: "error", urn: d.urn ?? null, message: `${d.prefix ?? ""}${d.message ?? ""}`.trimEnd() }));
  if (diagnostics.length) reasons.push(`the preview reported ${diagnostics.length === 1 ? "an error" : `${diagnostics.length} errors`}`);
  if (!preview.changeSummary) reasons.push("it has no change summary: the engine stopped before the end of the preview");
  else {
    for (const op of ["create", "update", "replace", "delete"]) {
      const counted = preview.changeSummary[op] ?? 0;
      const listed = preview.steps.filter((s) => s.op === op).length;
      if (listed < counted) reasons.push(`its change summary counts ${counted} to ${op} but it lists ${listed}: the step list is partial`);
    }
  }
  if (preview.maybeCorrupt) reasons.push("the engine marked it maybe corrupt");
  // with --show-sames every resource has a step: the head plan's resources must all be there
  const listsSames = preview.steps.some((s) => s.op === "same" && !s.urn.includes("::pulumi:pulumi:Stack::"));
  if (headPlan && listsSames) {
    const urns = new Set(preview.steps.map((s) => s.urn));
    const missing = headPlan.resources.filter((r) => !urns.has(r.urn));
    if (missing.length) reasons.push(`${missing.length} resource${missing.length === 1 ? "" : "s"} of the head plan ${missing.length === 1 ? "is" : "are"} not in the preview (first: ${missing[0].urn})`);
  }
  return reasons.length ? { reasons, diagnostics } : null;
}

/**
 * One row per changed property. The engine's `detailedDiff` (paths as Pulumi writes them) says
 * what changes; the two input bags say from what to what. A path the inputs cannot show (both
 * sides masked as "[secret]") gets its own row; rows the engine does not list (bridge defaults,
 * normalisation) are left out.
 */
function propertyChanges(before: Record<string, unknown>, after: Record<string, unknown>, step: PreviewStep): PropertyChange[] {
  const detailed = Object.entries(step.detailedDiff ?? {}).map(([key, d]) => ({ key, path: parsePath(key) ?? [key], kind: d.kind }));
  const reasons = (step.diffReasons ?? []).map((k) => [k] as PathSegment[]);
  const scope = detailed.length ? detailed.map((d) => d.path) : reasons;
  const rows = diffInputs(before, after).map((p) => ({ ...p, segments: parsePath(p.path) ?? [p.path] }));
  const kept = scope.length ? rows.filter((r) => scope.some((s) => overlaps(s, r.segments))) : rows;
  const extra = (detailed.length ? detailed : reasons.map((path) => ({ key: formatPath(path), path, kind: "update" })))
    .filter((d) => !kept.some((r) => overlaps(d.path, r.segments)))
    .map((d) => {
      const kind = d.kind.replace("-replace", "") as PropertyChange["kind"];
      const was = valueAt(before, d.path, asJsonDocument).value;
      const now = valueAt(after, d.path, asJsonDocument).value;
      const row: PropertyChange = { path: formatPath(d.path), kind: kind === "add" || kind === "delete" ? kind : "update" };
      if (row.kind !== "add") row.before = was;
      if (row.kind !== "delete") row.after = now;
      return { ...row, segments: d.path };
    });
  const replacing = [
    ...(step.replaceReasons ?? []).map((k) => parsePath(k) ?? [k]),
    ...detailed.filter((d) => d.kind.endsWith("-replace")).map((d) => d.path),
  ];
  return [...kept, ...extra]
    .map(({ segments, ...p }) => (replacing.some((r) => overlaps(r, segments)) ? { ...p, replaces: true } : p))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function change(op: Op, r: NormalResource, properties: PropertyChange[]): ResourceChange {
  return { op, urn: r.urn, type: r.type, name: r.name, declaration: r.declaration, source: r.source, properties: properties.map((p) => ({ ...p, before: normalizeValue(p.before), after: normalizeValue(p.after) })) };
}

const OP_ORDER: Record<Op, number> = { replace: 0, delete: 1, update: 2, create: 3 };

function assemble(input: ReviewDiff["input"], b: Side, h: Side, changes: ResourceChange[], same: number, options: DiffOptions, counted?: ReviewDiff["summary"]): ReviewDiff {
  const prices = options.prices ?? defaultPrices();
  const flags: Flag[] = [];
  if (b.spec && h.spec) {
    flags.push(...gpuFlagsFromSpecs(b.spec, h.spec, prices), ...publicFlagsFromSpecs(b.spec, h.spec), ...secretFlagsFromSpecs(b.spec, h.spec));
  } else {
    flags.push(...gpuFlagsFromResources(b, h, changes, prices), ...publicFlagsFromResources(b, h), ...secretFlagsFromResources(h, changes));
  }
  flags.push(...iamFlags(b, h));

  const summary = counted ?? { create: 0, update: 0, replace: 0, delete: 0, same };
  if (!counted) for (const c of changes) summary[c.op]++;

  // a delta needs both sides' costs: with one plan, the other side is unknown, not zero
  const known = b.cost && h.cost ? "both" : h.cost ? "head-only" : "base-only";
  const groups = group(changes, b, h, known === "both");
  const cost = b.cost || h.cost
    ? { ...delta(b.cost?.total ?? null, h.cost?.total ?? null, known === "both"), priceSource: (h.cost ?? b.cost)!.priceSource, known: known as "both" | "head-only" | "base-only" }
    : null;
  return {
    format: "gantry-diff",
    version: 1,
    input,
    app: h.app ?? b.app,
    stack: h.stack ?? b.stack,
    baseSpecHash: b.specHash,
    headSpecHash: h.specHash,
    summary,
    failure: null,
    flags: flags.sort(compareFlags),
    cost,
    groups,
  };
}

function group(changes: ResourceChange[], b: Side, h: Side, bothCosts: boolean): DeclarationGroup[] {
  const pools = new Map([...(b.spec ? poolsOf(b.spec) : []), ...(h.spec ? poolsOf(h.spec) : [])].map((p) => [p.id, p]));
  const ids = new Set<string | null>(changes.map((c) => c.declaration));
  // a pool whose cost moved without a resource change still gets its line
  for (const d of bothCosts ? costIds(b.cost, h.cost) : []) {
    const before = b.cost?.declarations.find((x) => x.declaration === d)?.cost;
    const after = h.cost?.declarations.find((x) => x.declaration === d)?.cost;
    if (JSON.stringify(before) !== JSON.stringify(after)) ids.add(d);
  }
  const groups: DeclarationGroup[] = [];
  for (const id of ids) {
    const members = changes.filter((c) => c.declaration === id).sort((x, y) => OP_ORDER[x.op] - OP_ORDER[y.op] || (x.urn < y.urn ? -1 : 1));
    const source = (id && pools.get(id)?.source) || members.find((c) => c.source)?.source || null;
    const before = id ? b.cost?.declarations.find((x) => x.declaration === id)?.cost ?? null : null;
    const after = id ? h.cost?.declarations.find((x) => x.declaration === id)?.cost ?? null : null;
    groups.push({ declaration: id, source, changes: members, cost: before || after ? delta(before, after, bothCosts) : null });
  }
  return groups.sort((x, y) => (x.declaration === null ? 1 : y.declaration === null ? -1 : x.declaration < y.declaration ? -1 : x.declaration > y.declaration ? 1 : 0));
}

function costIds(a: PlanCost | null, b: PlanCost | null): string[] {
  return [...new Set([...(a?.declarations ?? []), ...(b?.declarations ?? [])].map((d) => d.declaration))];
}

/** `known`: both sides' costs are known (a side may still be absent: a new or removed declaration). */
export function delta(base: CostRange | null, head: CostRange | null, known = true): CostDelta {
  if (!known) return { base, head, delta: null };
  const z = { floor: 0, expected: 0, ceiling: 0 };
  const a = base ?? z;
  const c = head ?? z;
  return { base, head, delta: { floor: money(c.floor - a.floor), expected: money(c.expected - a.expected), ceiling: money(c.ceiling - a.ceiling) } };
}

const FLAG_ORDER = ["gpu-spend-broadened", "iam-broadened", "public-endpoint-added", "secret-changed"];

function compareFlags(x: Flag, y: Flag): number {
  return FLAG_ORDER.indexOf(x.kind) - FLAG_ORDER.indexOf(y.kind) || cmp(x.declaration ?? "\uffff", y.declaration ?? "\uffff") || cmp(x.details.join(), y.details.join());
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
