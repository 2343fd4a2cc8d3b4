/**
 * A small assertion helper over the offline plan, in the spirit of CDK's `Template`: each test
 * states one AWS fact in a line, e.g.
 *   view.inputs("aws:sqs/queue:Queue", { declaration: "LlamaInference", name: /-queue$/ }).visibilityTimeoutSeconds
 */
import assert from "node:assert/strict";
import type { AppSpec } from "../../synth/spec.ts";
import type { Plan, PlanResource } from "../../provider/plan.ts";
import { buildPlan } from "../../provider/plan/build.ts";
import type { LiveAccount } from "../../provider/target.ts";

export interface Filter {
  declaration?: string | null;
  /** logical name: exact, or a pattern */
  name?: string | RegExp;
}

function matches(r: PlanResource, type: string, f: Filter): boolean {
  if (r.type !== type) return false;
  if (f.declaration !== undefined && r.declaration !== f.declaration) return false;
  if (f.name !== undefined && (typeof f.name === "string" ? r.name !== f.name : !f.name.test(r.name))) return false;
  return true;
}

export class PlanView {
  constructor(readonly plan: Plan) {}

  resources(type: string, filter: Filter = {}): PlanResource[] {
    return this.plan.resources.filter((r) => matches(r, type, filter));
  }

  /** Exactly one resource of the type matching the filter. */
  resource(type: string, filter: Filter = {}): PlanResource {
    const found = this.resources(type, filter);
    assert.equal(found.length, 1, `expected one ${type} matching ${JSON.stringify(filter, (_, v) => (v instanceof RegExp ? String(v) : v))}, found: ${found.map((r) => r.name).join(", ") || "none"}`);
    return found[0];
  }

  inputs(type: string, filter: Filter = {}): Record<string, any> {
    return this.resource(type, filter).inputs as Record<string, any>;
  }

  /** A JSON-string input (policies, container definitions) parsed. */
  json(type: string, filter: Filter, key: string): any {
    const value = this.inputs(type, filter)[key];
    assert.equal(typeof value, "string", `${type}.${key} is not a JSON string`);
    return JSON.parse(value as string);
  }

  byUrn(urn: string): PlanResource {
    const r = this.plan.resources.find((x) => x.urn === urn);
    assert.ok(r, `no resource ${urn}`);
    return r;
  }
}

/** Stack config as a JS object (as it would be in Pulumi.<stack>.yaml). */
export function stackConfig(values: Record<string, unknown> = {}, secretKeys: string[] = []) {
  return {
    values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
    secretKeys,
    files: [],
  };
}

export async function planOf(spec: AppSpec, options: { config?: Record<string, unknown>; secretKeys?: string[]; secretValues?: Record<string, Record<string, string>>; stack?: string; live?: LiveAccount } = {}): Promise<PlanView> {
  const plan = await buildPlan({
    projectRoot: process.cwd(),
    stack: options.stack ?? "dev",
    spec,
    secretValues: options.secretValues ?? {},
    config: stackConfig(options.config ?? {}, options.secretKeys ?? []),
    ...(options.live ? { live: options.live } : {}),
  });
  return new PlanView(plan);
}
