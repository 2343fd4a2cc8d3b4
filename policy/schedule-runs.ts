/**
 * How many times a schedule fires in an average month. Days are counted with croner over a whole
 * reference year (so "first Monday", "weekdays" and the 31st average out correctly, in the
 * schedule's timezone), and multiplied by the runs per matching day read from the minute and hour
 * fields. Enumerating every run of `* * * * *` for a year would take seconds; this takes ~1 ms.
 */
import { Cron } from "croner";
import type { ScheduleSpec } from "../synth/spec.ts";
import { CRON_FIELDS, expandCronField } from "../synth/cron.ts";

// a second before the year, because nextRun() is exclusive
const YEAR_START = "2024-12-31T23:59:59Z";
const YEAR_END = "2026-01-01T00:00:00Z";

export function runsPerMonth(schedule: ScheduleSpec, hoursPerMonth = 730): number {
  if (schedule.kind === "period") return (hoursPerMonth * 3600) / schedule.seconds;
  const fields = schedule.expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`cron "${schedule.expression}" does not have 5 fields`);
  const [minute, hour, dom, month, dow] = fields;
  const minutes = expandCronField(minute, CRON_FIELDS[0]);
  const hours = expandCronField(hour, CRON_FIELDS[1]);
  // one run per matching day, at the first minute of the first hour
  const daily = new Cron(`${minutes[0]} ${hours[0]} ${dom} ${month} ${dow}`, { timezone: schedule.timezone, paused: true });
  let days = 0;
  let at: Date | null = new Date(YEAR_START);
  const end = new Date(YEAR_END);
  while ((at = daily.nextRun(at)) && at < end) days++;
  return (days / 12) * minutes.length * hours.length;
}
