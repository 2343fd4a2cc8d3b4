/**
 * Which declaration a resource of a `pulumi preview --json` belongs to, and where in user code it
 * comes from. A real preview lists only the steps that change (and the root stack), so a changed
 * resource's parent component is usually absent, and many AWS resources carry no tags (role
 * policies, policy attachments). In order:
 *
 * 1. the plan (`--head-plan` / `--base-plan`): the resource's URN, else its nearest ancestor's;
 * 2. the resource's own `gantry:declaration` / `gantry:source` tags (or a gantry component's props);
 * 3. up the parent chain: an ancestor's tags, or the tags its other children carry (a gantry
 *    component hands its children the same tags, provider/aws/component.ts).
 *
 * Tag values are sanitised (provider/aws/names.ts `tagValue`): `LlamaInference[gpu=H100]` is
 * tagged `LlamaInference_gpu=H100_`. A tag maps back to the declaration the plans name; without a
 * plan the variant form `Name[key=value,...]` is read back when it is unambiguous.
 */
import type { Plan, PlanResource } from "../../provider/plan.ts";
import { tagValue } from "../../provider/aws/names.ts";
import { originOfProps, type Origin } from "../origin.ts";
import { normalizeValue } from "./properties.ts";

export interface OriginState {
  urn: string;
  type: string;
  parent?: string | null;
  inputs?: Record<string, unknown> | null;
  outputs?: Record<string, unknown> | null;
}

export type OriginResolver = (state: OriginState) => Origin;

export function originResolver(states: readonly OriginState[], plans: readonly (Plan | undefined)[]): OriginResolver {
  const planned = new Map<string, PlanResource>();
  for (const plan of plans) for (const r of plan?.resources ?? []) if (!planned.has(r.urn)) planned.set(r.urn, r);
  const names = declarationNames(plans);
  const unmangle = (o: Origin | null): Origin | null => (o && o.declaration ? { ...o, declaration: names.get(o.declaration) ?? readVariant(o.declaration) } : o);

  const byUrn = new Map<string, OriginState>();
  for (const s of states) byUrn.set(s.urn, s);
  const own = (s: OriginState): Origin | null => unmangle(originOfProps(s.type, tagsOf(s)));
  // a gantry component's origin, from the tags its cloud resources carry (it hands them its own)
  const viaChildren = new Map<string, Origin>();
  for (const s of states) {
    if (!s.parent || !isGantryComponentUrn(s.parent) || s.type.startsWith("gantry:")) continue;
    const o = own(s);
    if (o && !viaChildren.has(s.parent)) viaChildren.set(s.parent, o);
  }

  return (state) => {
    const fromPlan = planned.get(state.urn);
    if (fromPlan) return { declaration: fromPlan.declaration, source: fromPlan.source };
    const mine = own(state);
    if (mine) return mine;
    const seen = new Set<string>([state.urn]);
    for (let p = state.parent ?? null; p && !seen.has(p); ) {
      seen.add(p);
      const ancestor = planned.get(p);
      if (ancestor) return { declaration: ancestor.declaration, source: ancestor.source };
      const s = byUrn.get(p);
      const o = (s && own(s)) ?? viaChildren.get(p);
      if (o) return o;
      p = s?.parent ?? null;
    }
    return { declaration: null, source: null };
  };
}

/** `urn:pulumi:prod::proj::gantry:aws:FunctionService$gantry:aws:TaskRoles::name`: the last type is a gantry component's. */
function isGantryComponentUrn(urn: string): boolean {
  const type = urn.split("::")[2] ?? "";
  return (type.split("$").pop() ?? "").startsWith("gantry:");
}

function tagsOf(s: OriginState): Record<string, unknown> {
  const props = (normalizeValue(s.inputs ?? s.outputs ?? {}) ?? {}) as Record<string, unknown>;
  // Auto Scaling groups take tags as a list of { key, value }
  if (Array.isArray(props.tags)) {
    const tags = Object.fromEntries((props.tags as { key?: unknown; value?: unknown }[]).filter((t) => typeof t?.key === "string").map((t) => [t.key as string, t.value]));
    return { ...props, tags };
  }
  return props;
}

/** sanitised tag value -> the declaration the plans name */
function declarationNames(plans: readonly (Plan | undefined)[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const plan of plans) {
    if (!plan) continue;
    const ids = [
      ...plan.resources.flatMap((r) => [r.declaration, ...(r.serves ?? [])]),
      ...plan.spec.functions.flatMap((f) => [f.name, ...(f.variants ?? []).map((v) => v.id)]),
      ...plan.spec.classes.flatMap((c) => [c.name, ...c.variants.map((v) => v.id)]),
    ];
    for (const id of ids) if (id) out.set(tagValue(id), id);
  }
  return out;
}

/**
 * `LlamaInference_gpu=H100_maxContainers=2_` -> `LlamaInference[gpu=H100,maxContainers=2]`: the
 * variant id format (sdk/variant-id.ts) after `[`, `,` and `]` became `_`. Only when every part
 * reads as `key=value` with no `_` left in a value; anything else stays as tagged.
 */
export function readVariant(tagged: string): string {
  const m = /^([A-Za-z_$][A-Za-z0-9_$]*?)_((?:[A-Za-z][A-Za-z0-9]*=[^_]+_)+)$/.exec(tagged);
  if (!m) return tagged;
  const parts = m[2].slice(0, -1).split("_");
  return `${m[1]}[${parts.join(",")}]`;
}
