/**
 * Per-stack option overrides: `gantry:overrides: { LlamaInference: { gpu: T4, maxContainers: 2 } }`
 * in `Pulumi.<stack>.yaml`. Values are written as in code (`gpu: "H100:2"`, `retries: 3`) and are
 * checked the same way; every problem is reported at once, with its config path.
 *
 * A key on a class applies to the class and to each of its variants, except the keys a variant
 * sets itself in code; a variant id (`LlamaInference[gpu=H100]`) targets that variant alone.
 */
import { z } from "zod";
import { normalizeGpu } from "../synth/gpu.ts";
import { DeclarationOptions, RetriesSpec, type AppSpec, type GpuSpec } from "../synth/spec.ts";
import { ConfigError } from "./errors.ts";

export { ConfigError };

/** Modal's old names, refused with the new one (as in code). */
const RENAMED: Record<string, string> = {
  concurrencyLimit: "maxContainers",
  containerIdleTimeout: "scaledownWindow",
  keepWarm: "minContainers",
  allowConcurrentInputs: "@concurrent",
};

/**
 * Options that stay in code: what a container is built from and what it may reach. Every other
 * option of the spec (DeclarationOptions) is one a stack may change, so a new option is
 * overridable, and checked, without an edit here.
 */
const CODE_ONLY = { image: true, secrets: true, volumes: true } as const;

const Overridable = DeclarationOptions.omit(CODE_ONLY);
type OverridableKey = keyof typeof Overridable.shape;

/** Options a stack may change, in the spec's order. */
export const OVERRIDABLE = Object.keys(Overridable.shape) as OverridableKey[];

/**
 * One declaration's overrides: the spec's own schemas, except where code accepts a shorthand that
 * the spec stores resolved: a GPU as written (`"H100:2"`, a fallback list; synth's normalizer
 * checks it), retries as a count or a partial policy.
 */
const OverrideInput = Overridable.extend({
  gpu: z.unknown(),
  // `retries: 3` is `{ maxRetries: 3 }`, so every problem names the key it is about
  retries: z.preprocess((v) => (typeof v === "number" ? { maxRetries: v } : v), RetriesSpec.partial().extend({ maxRetries: RetriesSpec.shape.maxRetries }).strict()),
}).partial().strict();
type OverrideInput = z.infer<typeof OverrideInput>;

/** GPU values are read exactly as in code (synth's normalizer). */
function gpuOf(value: unknown, where: string, problems: string[]): GpuSpec | null {
  if (value === null) return null;
  const result = normalizeGpu(value);
  if (result.ok) return result.value;
  problems.push(`${where}: ${result.message}`);
  return null;
}

function applyTo(options: DeclarationOptions, override: OverrideInput, skip: ReadonlySet<string>, where: string, problems: string[]): DeclarationOptions {
  const out: DeclarationOptions = structuredClone(options);
  for (const key of Object.keys(override) as Array<keyof OverrideInput>) {
    if (skip.has(key)) continue;
    const value = override[key];
    switch (key) {
      case "gpu":
        out.gpu = gpuOf(value, `${where}.gpu`, problems);
        break;
      case "retries":
        out.retries = { ...out.retries, ...(value as NonNullable<OverrideInput["retries"]>) };
        break;
      case "env":
        out.env = { ...out.env, ...(value as Record<string, string>) };
        break;
      default:
        (out as Record<string, unknown>)[key] = value;
    }
  }
  const checked = DeclarationOptions.safeParse(out);
  if (!checked.success) {
    for (const issue of checked.error.issues) problems.push(`${where}.${issue.path.join(".")}: ${issue.message}`);
  }
  return out;
}

/**
 * The spec with a stack's overrides applied. `file` names the stack config file in messages.
 * Throws ConfigError listing every problem.
 */
export function applyOverrides(spec: AppSpec, raw: unknown, file: string): AppSpec {
  if (raw === undefined || raw === null) return spec;
  const problems: string[] = [];
  const root = `${file}: gantry:overrides`;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new ConfigError([`${root}: expected a map of declaration name to options`]);
  const out: AppSpec = structuredClone(spec);
  const names = [
    ...out.functions.map((f) => f.name),
    ...out.classes.flatMap((c) => [c.name, ...c.variants.map((v) => v.id)]),
  ];
  const variantIds = new Set(out.classes.flatMap((c) => c.variants.map((v) => v.id)));
  // class-wide keys first, so a key given for one variant wins over the same key for its class
  const entries = Object.entries(raw as Record<string, unknown>).sort(([a], [b]) => Number(variantIds.has(a)) - Number(variantIds.has(b)));
  for (const [name, value] of entries) {
    const where = `${root}.${name}`;
    if (value && typeof value === "object" && !Array.isArray(value)) {
      const renamed = Object.keys(value).filter((k) => k in RENAMED);
      for (const k of renamed) problems.push(`${where}.${k}: "${k}" is Modal's old name; use "${RENAMED[k]}"`);
      if (renamed.length) continue;
    }
    const parsed = OverrideInput.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = issue.path.length ? `.${issue.path.join(".")}` : "";
        const hint = issue.code === "unrecognized_keys" ? ` (a stack may override: ${OVERRIDABLE.join(", ")})` : "";
        problems.push(`${where}${path}: ${issue.message}${hint}`);
      }
      continue;
    }
    const override = parsed.data;
    const fn = out.functions.find((f) => f.name === name);
    const cls = out.classes.find((c) => c.name === name);
    const variant = out.classes.flatMap((c) => c.variants).find((v) => v.id === name);
    if (fn) fn.options = applyTo(fn.options, override, new Set(), where, problems);
    else if (cls) {
      cls.options = applyTo(cls.options, override, new Set(), where, problems);
      for (const v of cls.variants) v.options = applyTo(v.options, override, new Set(Object.keys(v.overrides)), where, problems);
    } else if (variant) variant.options = applyTo(variant.options, override, new Set(), where, problems);
    else problems.push(`${where}: no function, class or variant named "${name}" (declared: ${names.sort().join(", ") || "none"})`);
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}
