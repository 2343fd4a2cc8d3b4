/**
 * The bridge from Pulumi's policy engine to gantry's pure policies: one stack-validation policy per
 * gantry policy (same name, description, default level and config schema), each rebuilding the
 * context `gantry check` uses from the engine's resources.
 *
 * What the program must provide (the contract with provider/): a resource whose properties hold
 * the AppSpec as `spec` (or `gantrySpec`), i.e. the root gantry component registering
 * `{ spec, specHash }` as outputs; and on each resource either a `gantry:declaration` /
 * `gantry:source` ("file:line:col") tag, or a gantry component ancestor with `declaration` and
 * `source` properties. Without a spec the policies report that once and check nothing.
 *
 * Settings, as `gantry check --stack S` reads them: the stack's `gantry:policy` (Pulumi hands the
 * pack its stack config, see index.ts) gives each policy's level and settings; the engine's
 * `--policy-pack-config` JSON, when it names a policy, takes precedence (its level, and its
 * settings key by key over the stack's).
 */
import type { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { z } from "zod";
import { AppSpec } from "../synth/spec.ts";
import { originOfProps, type Origin } from "./origin.ts";
import type { PlanResource } from "../provider/plan.ts";
import { costPlan, type CostOptions } from "./cost.ts";
import { resolvePolicies, type RawPolicyConfig } from "./config.ts";
import { POLICIES } from "./run.ts";
import type { GantryPolicy, PolicyContext } from "./types.ts";

/**
 * One stack policy per gantry policy. `stackPolicy` is the stack's `gantry:policy` map (checked as
 * `gantry check` checks it: a bad name, level or setting throws PolicyConfigError).
 */
export function packPolicies(policies: readonly GantryPolicy[] = POLICIES, stackPolicy?: RawPolicyConfig, where = "gantry:policy",
  costOptions: CostOptions = {}): StackValidationPolicy[] {
  return resolvePolicies(policies, stackPolicy, where).map(({ policy, level, config }) => ({
    name: policy.name,
    description: policy.description,
    enforcementLevel: level,
    configSchema: configSchemaOf(policy),
    validateStack: (args: StackValidationArgs, report: ReportViolation) => validateWith(policy, args, report, config as Record<string, unknown>, costOptions),
  }));
}

export function validateWith(policy: GantryPolicy, args: Pick<StackValidationArgs, "resources" | "getConfig">, report: ReportViolation,
  stackSettings: Record<string, unknown> = {}, costOptions: CostOptions = {}): void {
  const ctx = contextFromEngine(args.resources, costOptions);
  if (!ctx) {
    report(`no gantry app spec found among the stack's resources (expected a resource with a \`spec\` output); ${policy.name} checked nothing`);
    return;
  }
  const { enforcementLevel: _level, ...engineSettings } = (args.getConfig<Record<string, unknown>>() ?? {}) as Record<string, unknown>;
  const settings = { ...stackSettings, ...engineSettings };
  const parsed = policy.config.safeParse(settings);
  if (!parsed.success) {
    report(`invalid config for ${policy.name}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(settings)"}: ${i.message}`).join("; ")}`);
    return;
  }
  for (const f of policy.validate(ctx, parsed.data)) {
    const where = f.source ? `${f.source.file}:${f.source.line}:${f.source.column}: ` : "";
    report(`${where}${f.message}`, f.urn);
  }
}

/** The policy context from the engine's view of the stack, or null when no spec is found. */
export function contextFromEngine(resources: readonly PolicyResource[], costOptions: CostOptions = {}): PolicyContext | null {
  let spec: AppSpec | null = null;
  for (const r of resources) {
    const props = plain(r.props) as Record<string, unknown> | undefined;
    for (const key of ["spec", "gantrySpec"]) {
      const candidate = AppSpec.safeParse(props?.[key]);
      if (candidate.success) spec = candidate.data;
    }
    if (spec) break;
  }
  if (!spec) return null;
  const planResources = resources.map(toPlanResource);
  const stack = stackOfUrn(resources[0]?.urn ?? "") ?? "unknown";
  return { spec, resources: planResources, stack, cost: costPlan(spec, planResources, costOptions) };
}

function toPlanResource(r: PolicyResource): PlanResource {
  const origin = originOf(r);
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    parent: r.parent?.urn ?? null,
    inputs: (plain(r.props) ?? {}) as Record<string, unknown>,
    dependsOn: (r.dependencies ?? []).map((d) => d.urn),
    source: origin.source,
    declaration: origin.declaration,
  };
}

/** The declaration and source behind a resource: its tags, else the nearest gantry component above it. */
function originOf(r: PolicyResource): Origin {
  for (let cur: PolicyResource | undefined = r; cur; cur = cur.parent) {
    const origin = originOfProps(cur.type, (plain(cur.props) ?? {}) as Record<string, unknown>);
    if (origin) return origin;
  }
  return { declaration: null, source: null };
}

/**
 * A plain copy of engine properties. During a preview some values are unknown, and the policy
 * SDK's proxy throws when one is read; here they become "[unknown]", as in an offline plan.
 */
export function plain(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  const read = (get: () => unknown) => {
    try {
      return plain(get());
    } catch {
      return "[unknown]";
    }
  };
  if (Array.isArray(value)) return Array.from({ length: value.length }, (_, i) => read(() => value[i]));
  return Object.fromEntries(Object.keys(value).map((k) => [k, read(() => (value as Record<string, unknown>)[k])]));
}

/** `urn:pulumi:<stack>::<project>::<type>::<name>` */
export function stackOfUrn(urn: string): string | null {
  const m = /^urn:pulumi:([^:]+)::/.exec(urn);
  return m ? m[1] : null;
}

/**
 * The policy's settings as the JSON Schema properties Pulumi validates config against, without
 * `default`s: the engine would fill them in, and a default sent back must not hide the stack's
 * setting (zod applies the defaults when the settings are parsed).
 */
function configSchemaOf(policy: GantryPolicy): StackValidationPolicy["configSchema"] {
  const schema = z.toJSONSchema(policy.config, { io: "input", unrepresentable: "any" }) as { properties?: Record<string, object> };
  const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => {
    const { default: _default, ...rest } = v as Record<string, unknown>;
    return [k, rest];
  }));
  return { properties: properties as NonNullable<StackValidationPolicy["configSchema"]>["properties"] };
}
