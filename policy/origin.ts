/**
 * Where an engine-side resource comes from. The AWS provider tags every taggable resource with
 * `gantry:declaration` and `gantry:source` ("file:line:col"), and gantry components may carry
 * `declaration` / `source` properties; the policy pack and `gantry diff` of a preview read both.
 */
import { SourceLocation } from "../synth/spec.ts";

export interface Origin {
  declaration: string | null;
  source: SourceLocation | null;
}

/** The origin from one resource's own properties, or null when it carries none. */
export function originOfProps(type: string, props: Record<string, unknown>): Origin | null {
  const tags = (props.tags ?? {}) as Record<string, unknown>;
  const gantryType = type.startsWith("gantry:");
  const declaration = str(tags["gantry:declaration"]) ?? (gantryType ? str(props.declaration) : null);
  const source = parseSource(tags["gantry:source"]) ?? (gantryType ? parseSource(props.source) : null);
  return declaration || source ? { declaration, source } : null;
}

export function parseSource(value: unknown): SourceLocation | null {
  if (typeof value === "string") {
    const m = /^(.*):(\d+):(\d+)$/.exec(value);
    return m ? { file: m[1], line: Number(m[2]), column: Number(m[3]) } : null;
  }
  const parsed = SourceLocation.safeParse(value);
  return parsed.success ? parsed.data : null;
}

function str(value: unknown): string | null {
  return typeof value === "string" && value ? value : null;
}
