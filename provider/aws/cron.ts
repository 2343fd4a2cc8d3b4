/**
 * 5-field cron (minute hour day-of-month month day-of-week) -> EventBridge Scheduler expressions.
 *
 * AWS's format is `cron(minutes hours day-of-month month day-of-week year)` with three twists:
 * - one of day-of-month / day-of-week must be `?` (AWS cannot say "either");
 * - day-of-week counts 1=SUN..7=SAT (cron: 0 or 7=SUN, 1=MON..6=SAT), so gantry writes names;
 * - classic cron fires when EITHER restricted day field matches, so a cron restricting both
 *   becomes two schedules (one per day field).
 * Steps over a range (`10-40/5`) and `*` steps are written out or anchored (`0/15`), which every
 * AWS cron parser accepts.
 */
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;
const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

interface FieldSpec { name: string; min: number; max: number; names?: readonly string[]; namesFrom?: number }

const FIELDS: FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTH_NAMES, namesFrom: 1 },
  { name: "day-of-week", min: 0, max: 7, names: DAY_NAMES, namesFrom: 0 },
];

export class CronError extends Error {}

function parseValue(text: string, field: FieldSpec): number {
  const upper = text.toUpperCase();
  if (field.names) {
    const index = field.names.indexOf(upper);
    if (index >= 0) return index + (field.namesFrom ?? 0);
  }
  if (!/^\d+$/.test(text)) throw new CronError(`${field.name}: "${text}" is not a number`);
  const value = Number(text);
  if (value < field.min || value > field.max) {
    throw new CronError(`${field.name}: ${value} is outside ${field.min}-${field.max}`);
  }
  return value;
}

/** All values a field matches, ascending (day-of-week 7 folded into 0). */
export function expandField(text: string, field: FieldSpec): number[] {
  const values = new Set<number>();
  for (const part of text.split(",")) {
    const [rangeText, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new CronError(`${field.name}: bad step "${stepText}"`);
    let lo: number;
    let hi: number;
    if (rangeText === "*") {
      lo = field.min;
      hi = field.name === "day-of-week" ? 6 : field.max;
    } else if (rangeText.includes("-")) {
      const [a, b] = rangeText.split("-");
      lo = parseValue(a, field);
      hi = parseValue(b, field);
      if (hi < lo) throw new CronError(`${field.name}: range "${rangeText}" runs backwards`);
    } else {
      lo = parseValue(rangeText, field);
      hi = stepText === undefined ? lo : field.max;
    }
    for (let v = lo; v <= hi; v += step) values.add(field.name === "day-of-week" && v === 7 ? 0 : v);
  }
  return [...values].sort((x, y) => x - y);
}

/** Consecutive runs written as ranges: [1,2,3,5] -> "1-3,5". */
function compress(values: number[], render: (v: number) => string): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j] + 1) j++;
    if (j - i >= 2) parts.push(`${render(values[i])}-${render(values[j])}`);
    else for (let k = i; k <= j; k++) parts.push(render(values[k]));
    i = j + 1;
  }
  return parts.join(",");
}

/** One numeric field in AWS syntax; keeps `*` and anchors `*` steps (`*\/15` -> `0/15`). */
function awsNumeric(text: string, field: FieldSpec): string {
  if (text === "*") return "*";
  const star = /^\*\/(\d+)$/.exec(text);
  if (star) {
    expandField(text, field); // validates the step
    return `${field.min}/${star[1]}`;
  }
  return compress(expandField(text, field), String);
}

function isWildcard(text: string): boolean {
  return text === "*" || text === "?";
}

/**
 * The AWS expressions for one 5-field cron: one, or two when both day fields are restricted.
 * Throws CronError with the field at fault.
 */
export function toAwsCron(expression: string): string[] {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new CronError(`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const [minText, hourText, domText, monthText, dowText] = parts;
  const minute = awsNumeric(minText, FIELDS[0]);
  const hour = awsNumeric(hourText, FIELDS[1]);
  const month = awsNumeric(monthText, FIELDS[3]);
  const dom = isWildcard(domText) ? "*" : awsNumeric(domText, FIELDS[2]);
  const dowValues = isWildcard(dowText) ? null : expandField(dowText, FIELDS[4]);
  // every day of the week is the same as no restriction
  const dow = dowValues && dowValues.length < 7 ? compress(dowValues.map((d) => d + 1), (v) => DAY_NAMES[v - 1]) : null;
  const cron = (d: string, w: string) => `cron(${minute} ${hour} ${d} ${month} ${w} *)`;
  if (dow === null) return [cron(dom, "?")];
  if (dom === "*") return [cron("?", dow)];
  return [cron(dom, "?"), cron("?", dow)];
}

/** `rate()` for a period in seconds; AWS's smallest unit is a minute. */
export function toAwsRate(seconds: number): { expression: string; note: string | null } {
  const units: Array<[number, string]> = [[86400, "day"], [3600, "hour"], [60, "minute"]];
  for (const [size, unit] of units) {
    if (seconds % size === 0) {
      const n = seconds / size;
      return { expression: `rate(${n} ${unit}${n === 1 ? "" : "s"})`, note: null };
    }
  }
  const minutes = Math.max(1, Math.round(seconds / 60));
  return {
    expression: `rate(${minutes} minute${minutes === 1 ? "" : "s"})`,
    note: `period of ${seconds}s rounded to ${minutes} minute(s): EventBridge Scheduler's smallest unit is a minute`,
  };
}
