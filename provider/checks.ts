/**
 * What every target checks before it declares anything: the spec must hold together whatever it
 * runs on. Each problem starts with the declaration's `file:line:col`. A target adds what it
 * cannot deploy in its own `validate` (provider/target.ts).
 */
import type { AppSpec, DeclarationOptions, ScheduleSpec, SourceLocation } from "../synth/spec.ts";
import { formatSource } from "./source.ts";

interface Declared { id: string; source: SourceLocation; options: DeclarationOptions; schedule: ScheduleSpec | null }

/** Functions, classes and class variants, each with its own options. */
function declarationsOf(spec: AppSpec): Declared[] {
  return [
    ...spec.functions.map((f) => ({ id: f.name, source: f.source, options: f.options, schedule: f.schedule })),
    ...spec.classes.flatMap((c) => [
      { id: c.name, source: c.source, options: c.options, schedule: null },
      ...c.variants.map((v) => ({ id: v.id, source: v.source, options: v.options, schedule: null })),
    ]),
  ];
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function checkSpec(spec: AppSpec): string[] {
  const problems: string[] = [];
  const images = new Set(spec.images.map((i) => i.id));
  for (const d of declarationsOf(spec)) {
    if (!images.has(d.options.image)) problems.push(`${formatSource(d.source)}: ${d.id}: image ${d.options.image} is not in the spec`);
    if (d.schedule?.kind === "cron" && !isTimeZone(d.schedule.timezone)) {
      problems.push(`${formatSource(d.schedule.source)}: unknown timezone "${d.schedule.timezone}" (an IANA name such as Europe/Paris)`);
    }
  }
  return problems;
}
