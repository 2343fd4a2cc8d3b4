/**
 * Cron schedules: validation with a message that names the wrong field, and normalization
 * (whitespace collapsed, month and weekday names as numbers, `@daily`-style aliases expanded) so
 * that equal schedules read the same in the spec. Standard 5-field syntax only: minute hour
 * day-of-month month day-of-week. croner double-checks what our own parser accepts.
 */
import { Cron } from "croner";

export type CronResult = { ok: true; expression: string } | { ok: false; message: string };

export const CRON_ALIASES: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

export interface CronField { name: string; min: number; max: number; names?: readonly string[]; namesFrom?: number }
type Field = CronField;

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] as const;
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;

/** The five fields, in order: minute hour day-of-month month day-of-week. */
export const CRON_FIELDS: readonly Field[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: "day-of-week", min: 0, max: 7, names: DAYS, namesFrom: 0 },
];

const LAYOUT = "minute hour day-of-month month day-of-week";

const cache = new Map<string, CronResult>();

export function normalizeCron(input: string): CronResult {
  // apps repeat the same few schedules; croner's check is the expensive part
  let result = cache.get(input);
  if (!result) {
    result = normalizeUncached(input);
    if (cache.size < 10_000) cache.set(input, result);
  }
  return result;
}

function normalizeUncached(input: string): CronResult {
  const collapsed = input.trim().replace(/\s+/g, " ");
  if (collapsed === "") return fail(`the cron expression is empty: write 5 fields (${LAYOUT}), e.g. "0 2 * * *"`);
  if (collapsed.startsWith("@")) {
    const alias = CRON_ALIASES[collapsed.toLowerCase()];
    if (!alias) return fail(`unknown cron alias "${collapsed}"; known: ${Object.keys(CRON_ALIASES).join(", ")}`);
    return { ok: true, expression: alias };
  }
  const parts = collapsed.split(" ");
  if (parts.length !== 5) {
    const extra = parts.length === 6 ? " (a seconds or year field is not supported)" : "";
    return fail(`"${collapsed}" has ${parts.length} fields, a cron expression has 5: ${LAYOUT}${extra}`);
  }
  const normalized: string[] = [];
  for (let i = 0; i < 5; i++) {
    const result = normalizeField(parts[i], CRON_FIELDS[i]);
    if (!result.ok) return result;
    normalized.push(result.expression);
  }
  const expression = normalized.join(" ");
  try {
    const job = new Cron(expression, { mode: "5-part", paused: true });
    if (job.nextRun() === null) return fail(`"${collapsed}" never fires (no such date)`);
  } catch (err) {
    return fail(`"${collapsed}" is not a valid cron expression: ${(err as Error).message}`);
  }
  return { ok: true, expression };
}

function normalizeField(text: string, field: Field): CronResult {
  const out: string[] = [];
  for (const item of text.split(",")) {
    if (item === "") return fieldError(field, text, "a list item is empty");
    const [rangePart, step, ...rest] = item.split("/");
    if (rest.length > 0) return fieldError(field, text, `"${item}" has more than one "/"`);
    let range: string;
    if (rangePart === "*") {
      range = "*";
    } else {
      const bounds = rangePart.split("-");
      if (bounds.length > 2 || bounds.some((b) => b === "")) return fieldError(field, text, `"${rangePart}" is not a value or a range a-b`);
      const values: number[] = [];
      for (const bound of bounds) {
        const value = parseValue(bound, field);
        if (typeof value === "string") return fieldError(field, text, value);
        values.push(value);
      }
      if (values.length === 2 && values[0] > values[1]) {
        return fieldError(field, text, `the range "${rangePart}" starts after its end`);
      }
      range = values.join("-");
    }
    if (step !== undefined) {
      if (!/^\d+$/.test(step) || Number(step) < 1) return fieldError(field, text, `the step "/${step}" is not a whole number >= 1`);
      if (Number(step) > field.max) return fieldError(field, text, `the step "/${step}" is larger than the field's maximum ${field.max}`);
      out.push(`${range}/${Number(step)}`);
    } else {
      out.push(range);
    }
  }
  return { ok: true, expression: out.join(",") };
}

/** A number in the field's range, or a month/day name; a string is an error message. */
function parseValue(text: string, field: Field): number | string {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < field.min || n > field.max) return `value ${n} is out of range ${field.min}-${field.max}`;
    return n;
  }
  if (field.names) {
    const index = field.names.indexOf(text.toUpperCase() as never);
    if (index >= 0) return index + (field.namesFrom ?? 0);
    if (/^[a-z]+$/i.test(text)) return `"${text}" is not a ${field.name === "month" ? "month" : "weekday"} name (${field.names.join(", ")})`;
  }
  if (/[?LW#]/i.test(text)) return `"${text}" is extended syntax; only numbers, names and * , - / are supported`;
  return `"${text}" is not a number from ${field.min} to ${field.max}`;
}

function fieldError(field: Field, text: string, problem: string): CronResult {
  return fail(`the ${field.name} field "${text}" is invalid: ${problem}`);
}

function fail(message: string): CronResult {
  return { ok: false, message };
}

export type TimezoneResult = { ok: true; timezone: string } | { ok: false; message: string };

/** A valid IANA zone, in its canonical spelling ("europe/paris" -> "Europe/Paris"). */
export function normalizeTimezone(zone: string): TimezoneResult {
  try {
    const resolved = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
    // only fix the spelling's case: ICU maps some aliases to surprising zones (EST -> America/Panama)
    return { ok: true, timezone: resolved.toLowerCase() === zone.toLowerCase() ? resolved : zone };
  } catch {
    return { ok: false, message: `"${zone}" is not a known IANA timezone (e.g. "UTC", "Europe/Paris", "America/New_York")` };
  }
}

/** A cron field that cannot be expanded; the message names the field. */
export class CronError extends Error {}

function expandValue(text: string, field: Field): number {
  if (field.names) {
    const index = field.names.indexOf(text.toUpperCase() as never);
    if (index >= 0) return index + (field.namesFrom ?? 0);
  }
  if (!/^\d+$/.test(text)) throw new CronError(`${field.name}: "${text}" is not a number`);
  const value = Number(text);
  if (value < field.min || value > field.max) throw new CronError(`${field.name}: ${value} is outside ${field.min}-${field.max}`);
  return value;
}

/**
 * All values one field matches, ascending: `*`, `a`, `a-b`, `*\/n`, `a/n`, `a-b/n` and comma lists
 * of those, numbers or names; day-of-week 7 is folded into 0 (Sunday). Throws CronError.
 */
export function expandCronField(text: string, field: CronField): number[] {
  const values = new Set<number>();
  const dayOfWeek = field.name === "day-of-week";
  for (const part of text.split(",")) {
    const [rangeText, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new CronError(`${field.name}: bad step "${stepText}"`);
    let lo: number;
    let hi: number;
    if (rangeText === "*") {
      lo = field.min;
      hi = dayOfWeek ? 6 : field.max;
    } else if (rangeText.includes("-")) {
      const [a, b] = rangeText.split("-");
      lo = expandValue(a, field);
      hi = expandValue(b, field);
      if (hi < lo) throw new CronError(`${field.name}: range "${rangeText}" runs backwards`);
    } else {
      lo = expandValue(rangeText, field);
      hi = stepText === undefined ? lo : field.max;
    }
    for (let v = lo; v <= hi; v += step) values.add(dayOfWeek && v === 7 ? 0 : v);
  }
  return [...values].sort((x, y) => x - y);
}
