/**
 * 5-field cron (minute hour day-of-month month day-of-week) -> EventBridge Scheduler expressions.
 *
 * AWS's format is `cron(minutes hours day-of-month month day-of-week year)` with three twists:
 * - one of day-of-month / day-of-week must be `?` (AWS cannot say "either");
 * - day-of-week counts 1=SUN..7=SAT (cron: 0 or 7=SUN, 1=MON..6=SAT), so gantry writes names;
 * - classic cron (and croner, which `gantry serve` uses) fires when EITHER day field matches
 *   whenever both are written as something other than `*`, so a cron restricting both becomes
 *   two schedules (one per day field), and one whose day field covers every day fires daily:
 *   `0 0 1 * 0-6` is daily, not monthly. On a day both match, both schedules fire at the same
 *   minute; their messages carry one call id (schedule.ts), so the function runs once.
 * Steps over a range (`10-40/5`) and `*` steps are written out or anchored (`0/15`), which every
 * AWS cron parser accepts.
 */
import { CRON_FIELDS, CronError, expandCronField, type CronField } from "../../synth/cron.ts";

const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;
const [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK] = CRON_FIELDS;

export { CronError };

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
function awsNumeric(text: string, field: CronField): string {
  if (text === "*") return "*";
  const star = /^\*\/(\d+)$/.exec(text);
  if (star) {
    expandCronField(text, field); // validates the step
    return `${field.min}/${star[1]}`;
  }
  return compress(expandCronField(text, field), String);
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
  const minute = awsNumeric(minText, MINUTE);
  const hour = awsNumeric(hourText, HOUR);
  const month = awsNumeric(monthText, MONTH);
  const cron = (d: string, w: string) => `cron(${minute} ${hour} ${d} ${month} ${w} *)`;
  const domWritten = !isWildcard(domText);
  const dowWritten = !isWildcard(dowText);
  const domValues = domWritten ? expandCronField(domText, DAY_OF_MONTH) : null;
  const dowValues = dowWritten ? expandCronField(dowText, DAY_OF_WEEK) : null;
  const everyWeekday = dowValues !== null && dowValues.length === 7;
  const everyMonthDay = domValues !== null && domValues.length === 31;
  if (!dowWritten) return [cron(domWritten ? awsNumeric(domText, DAY_OF_MONTH) : "*", "?")];
  // both written: either one matching is enough, so a field that covers every day wins outright
  if (everyWeekday || (domWritten && everyMonthDay)) return [cron("*", "?")];
  const dow = compress(dowValues!.map((d) => d + 1), (v) => DAY_NAMES[v - 1]);
  if (!domWritten) return [cron("?", dow)];
  return [cron(awsNumeric(domText, DAY_OF_MONTH), "?"), cron("?", dow)];
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
