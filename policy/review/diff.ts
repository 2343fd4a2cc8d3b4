/**
 * `gantry diff`: two offline plans, or a `pulumi preview --json` (optionally with the plans of both
 * sides, which bring declarations, sources, specs and costs), turned into one ReviewDiff.
 */
import type { Plan } from "../../provider/plan.ts";
import type { CostRange, PlanCost } from "../../provider/plan.ts";
import { money } from "../cost.ts";
import { poolsOf } from "../pools.ts";
import { defaultPrices, type PriceTable } from "../prices.ts";
import type { CostDelta, DeclarationGroup, Flag, NormalResource, Op, PropertyChange, ResourceChange, ReviewDiff, Side } from "./model.ts";
import { diffInputs, normalizeValue } from "./properties.ts";
import { replacesOnChange } from "./replace-table.ts";
import { normalState, sideOfPlan, stackOfUrn, type Preview, type PreviewState } from "./sides.ts";
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
  const byUrn = new Map<string, PreviewState>();
  for (const s of preview.steps) {
    if (s.oldState) byUrn.set(s.oldState.urn, s.oldState);
    if (s.newState) byUrn.set(s.newState.urn, s.newState);
  }
  const b: Side = plans.basePlan ? { ...sideOfPlan(plans.basePlan), resources: new Map() } : emptySide();
  const h: Side = plans.headPlan ? { ...sideOfPlan(plans.headPlan), resources: new Map() } : emptySide();
  const baseOrigins = plans.basePlan ? sideOfPlan(plans.basePlan).resources : new Map<string, NormalResource>();
  const headOrigins = plans.headPlan ? sideOfPlan(plans.headPlan).resources : new Map<string, NormalResource>();
  const changes = new Map<string, ResourceChange>();
  let same = 0;
  for (const step of preview.steps) {
    const op = opOf(step.op);
    if (step.oldState) b.resources.set(step.urn, enrich(normalState(step.oldState, byUrn), baseOrigins.get(step.urn) ?? headOrigins.get(step.urn)));
    if (step.newState) h.resources.set(step.urn, enrich(normalState(step.newState, byUrn), headOrigins.get(step.urn) ?? baseOrigins.get(step.urn)));
    if (op === null) {
      if (step.op === "same") same++;
      continue;
    }
    if (changes.has(step.urn)) continue; // create-replacement / delete-replaced pairs
    const before = b.resources.get(step.urn);
    const after = h.resources.get(step.urn);
    const subject = after ?? before;
    if (!subject) continue;
    const replaceKeys = new Set([...(step.replaceReasons ?? []), ...Object.entries(step.detailedDiff ?? {}).filter(([, d]) => d.kind.endsWith("-replace")).map(([k]) => k)]);
    const props = op === "delete" || op === "create" ? [] : propertyChanges(before?.inputs ?? {}, after?.inputs ?? {}, step.detailedDiff ?? null, replaceKeys);
    const c = change(op, subject, props);
    changes.set(step.urn, op === "replace" ? { ...c, replaceBy: "preview" } : c);
  }
  if (!b.stack && !h.stack) {
    const first = preview.steps[0]?.urn;
    h.stack = first ? stackOfUrn(first) : null;
  }
  return assemble("preview", b, h, [...changes.values()], same, options);
}

function emptySide(): Side {
  return { spec: null, cost: null, specHash: null, app: null, stack: null, resources: new Map() };
}

/** A plan knows a resource's declaration and source better than engine state does. */
function enrich(r: NormalResource, fromPlan: NormalResource | undefined): NormalResource {
  if (!fromPlan) return r;
  return { ...r, declaration: fromPlan.declaration ?? r.declaration, source: fromPlan.source ?? r.source };
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

function propertyChanges(before: Record<string, unknown>, after: Record<string, unknown>, detailed: Record<string, { kind: string }> | null, replaceKeys: Set<string>): PropertyChange[] {
  const props = diffInputs(before, after);
  const seen = new Set(props.map((p) => p.path));
  // the engine may know of changes our view cannot show (secret values): list them too
  for (const [path, d] of Object.entries(detailed ?? {})) {
    if ([...seen].some((p) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`))) continue;
    const kind = d.kind.replace("-replace", "") as PropertyChange["kind"];
    props.push({ path, kind: kind === "add" || kind === "delete" ? kind : "update", before: "[secret]", after: "[secret]" });
  }
  return props
    .map((p) => (replaceKeys.has(p.path) || replaceKeys.has(p.path.split(/[.[]/)[0]) ? { ...p, replaces: true } : p))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function change(op: Op, r: NormalResource, properties: PropertyChange[]): ResourceChange {
  return { op, urn: r.urn, type: r.type, name: r.name, declaration: r.declaration, source: r.source, properties: properties.map((p) => ({ ...p, before: normalizeValue(p.before), after: normalizeValue(p.after) })) };
}

const OP_ORDER: Record<Op, number> = { replace: 0, delete: 1, update: 2, create: 3 };

function assemble(input: ReviewDiff["input"], b: Side, h: Side, changes: ResourceChange[], same: number, options: DiffOptions): ReviewDiff {
  const prices = options.prices ?? defaultPrices();
  const flags: Flag[] = [];
  if (b.spec && h.spec) {
    flags.push(...gpuFlagsFromSpecs(b.spec, h.spec, prices), ...publicFlagsFromSpecs(b.spec, h.spec), ...secretFlagsFromSpecs(b.spec, h.spec));
  } else {
    flags.push(...gpuFlagsFromResources(b, h, changes, prices), ...publicFlagsFromResources(b, h), ...secretFlagsFromResources(h, changes));
  }
  flags.push(...iamFlags(b, h));

  const summary = { create: 0, update: 0, replace: 0, delete: 0, same };
  for (const c of changes) summary[c.op]++;

  const groups = group(changes, b, h);
  const cost = b.cost || h.cost ? { ...delta(b.cost?.total ?? null, h.cost?.total ?? null), priceSource: (h.cost ?? b.cost)!.priceSource } : null;
  return {
    format: "gantry-diff",
    version: 1,
    input,
    app: h.app ?? b.app,
    stack: h.stack ?? b.stack,
    baseSpecHash: b.specHash,
    headSpecHash: h.specHash,
    summary,
    flags: flags.sort(compareFlags),
    cost,
    groups,
  };
}

function group(changes: ResourceChange[], b: Side, h: Side): DeclarationGroup[] {
  const pools = new Map([...(b.spec ? poolsOf(b.spec) : []), ...(h.spec ? poolsOf(h.spec) : [])].map((p) => [p.id, p]));
  const ids = new Set<string | null>(changes.map((c) => c.declaration));
  // a pool whose cost moved without a resource change still gets its line
  for (const d of costIds(b.cost, h.cost)) {
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
    groups.push({ declaration: id, source, changes: members, cost: before || after ? delta(before, after) : null });
  }
  return groups.sort((x, y) => (x.declaration === null ? 1 : y.declaration === null ? -1 : x.declaration < y.declaration ? -1 : x.declaration > y.declaration ? 1 : 0));
}

function costIds(a: PlanCost | null, b: PlanCost | null): string[] {
  return [...new Set([...(a?.declarations ?? []), ...(b?.declarations ?? [])].map((d) => d.declaration))];
}

export function delta(base: CostRange | null, head: CostRange | null): CostDelta {
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
