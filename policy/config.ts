/**
 * Policy configuration, in the format Pulumi uses for policy packs so one file serves both
 * `gantry check --policy-config F` and `pulumi preview --policy-pack policy --policy-pack-config F`:
 *
 *   { "gpu-budget": { "enforcementLevel": "mandatory", "monthlyUsd": 10000 },
 *     "endpoints-private": "mandatory",            // a level alone
 *     "all": "advisory" }                          // default level for every policy
 *
 * In a stack file the same map sits under `config: { gantry:policy: ... }`.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { didYouMean } from "../synth/analyze/suggest.ts";
import { ENFORCEMENT_LEVELS, type EnforcementLevel, type GantryPolicy } from "./types.ts";

export type RawPolicyConfig = Record<string, unknown>;

export interface ResolvedPolicy<C extends object = object> {
  policy: GantryPolicy<C>;
  level: EnforcementLevel;
  config: C;
}

export class PolicyConfigError extends Error {}

/** Checks names, levels and each policy's settings; returns every policy with its level and settings. */
export function resolvePolicies(policies: readonly GantryPolicy[], raw: RawPolicyConfig | undefined, where = "policy config"): ResolvedPolicy[] {
  const entries = raw ?? {};
  const names = new Set(policies.map((p) => p.name));
  for (const key of Object.keys(entries)) {
    if (key !== "all" && !names.has(key)) {
      throw new PolicyConfigError(`${where}: unknown policy "${key}"${didYouMean(key, [...names])}; known policies: ${[...names].join(", ")}`);
    }
  }
  const allLevel = entries.all === undefined ? undefined : parseLevel(entries.all, `${where}: all`);
  return policies.map((policy) => {
    const entry = entries[policy.name];
    let level = allLevel ?? policy.defaultLevel;
    let settings: Record<string, unknown> = {};
    if (typeof entry === "string") level = parseLevel(entry, `${where}: ${policy.name}`);
    else if (entry && typeof entry === "object" && !Array.isArray(entry)) {
      const { enforcementLevel, ...rest } = entry as Record<string, unknown>;
      if (enforcementLevel !== undefined) level = parseLevel(enforcementLevel, `${where}: ${policy.name}.enforcementLevel`);
      settings = rest;
    } else if (entry !== undefined && entry !== null) {
      throw new PolicyConfigError(`${where}: ${policy.name} must be a level (${ENFORCEMENT_LEVELS.join(", ")}) or an object`);
    }
    const parsed = policy.config.safeParse(settings);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(settings)"}: ${i.message}`).join("; ");
      throw new PolicyConfigError(`${where}: ${policy.name}: ${detail}`);
    }
    return { policy, level, config: parsed.data as object };
  });
}

function parseLevel(value: unknown, where: string): EnforcementLevel {
  if (typeof value === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(value)) return value as EnforcementLevel;
  if (value === "remediate") throw new PolicyConfigError(`${where}: gantry policies do not remediate; use advisory, mandatory or disabled`);
  throw new PolicyConfigError(`${where}: "${String(value)}" is not an enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`);
}

/**
 * A `--policy-config` file: JSON or YAML, either the policy map itself or a whole stack file
 * (then `config.gantry:policy` is used).
 */
export function loadPolicyConfigFile(path: string): RawPolicyConfig {
  let value: unknown;
  try {
    value = parseYaml(readFileSync(path, "utf8"));
  } catch (err) {
    throw new PolicyConfigError(`${path}: ${(err as Error).message}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new PolicyConfigError(`${path}: expected a map of policy names to settings`);
  const record = value as Record<string, unknown>;
  if (record.config && typeof record.config === "object") {
    return asPolicyMap((record.config as Record<string, unknown>)["gantry:policy"], path);
  }
  return record;
}

export function asPolicyMap(value: unknown, where: string): RawPolicyConfig {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new PolicyConfigError(`${where}: gantry:policy must be a map of policy names to settings`);
  return value as RawPolicyConfig;
}
