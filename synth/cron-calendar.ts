/**
 * Cron schedules against a timezone's calendar: which local wall-clock times a 5-field cron
 * matches, and where daylight-saving changes make a local time skipped or repeated.
 *
 * One rule holds everywhere gantry runs a schedule, EventBridge Scheduler's: "When the time shifts
 * forward in Spring, your schedule invocation gets skipped if the cron expression falls on a
 * non-existent date and time. When the time shifts back in the Fall, your schedule runs only once"
 * (AWS re:Post knowledge center, "eventbridge-scheduler-adjust-dst"). `gantry serve` filters
 * croner's fire times to the same rule (`followsWallClock`), and synth warns at the schedule's
 * location when a cron matches a skipped or repeated local time (`dstConflicts`).
 *
 * Day fields follow croner (and classic cron): when both day-of-month and day-of-week are written
 * as something other than `*`, a day matches if either does.
 */
import { CRON_FIELDS, expandCronField } from "./cron.ts";

/** A local wall-clock minute. `month` 1-12, `weekday` 0 (Sunday) - 6. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

export type CronMatcher = (wall: WallClock) => boolean;

/** A matcher for a 5-field cron (numbers, names, `*`, ranges, steps, lists). Throws CronError. */
export function cronMatcher(expression: string): CronMatcher {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`cron "${expression}" does not have 5 fields`);
  const sets = fields.map((text, i) => new Set(expandCronField(text, CRON_FIELDS[i])));
  const [minutes, hours, monthDays, months, weekdays] = sets;
  const domStar = fields[2] === "*" || fields[2] === "?";
  const dowStar = fields[4] === "*" || fields[4] === "?";
  return (w) => {
    if (!minutes.has(w.minute) || !hours.has(w.hour) || !months.has(w.month)) return false;
    const dom = monthDays.has(w.day);
    const dow = weekdays.has(w.weekday);
    if (dowStar) return dom;
    if (domStar) return dow;
    return dom || dow;
  };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall clock in `timeZone` at an instant (seconds dropped). */
export function wallClockAt(instant: Date, timeZone: string): WallClock {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone, year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", weekday: "short", hourCycle: "h23",
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    hour: Number(parts.hour), minute: Number(parts.minute),
    weekday: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(parts.weekday!),
  };
}

/** Minutes the zone is ahead of UTC at an instant. */
export function offsetMinutes(instant: Date, timeZone: string): number {
  const w = wallClockAt(instant, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  return Math.round((asUtc - Math.floor(instant.getTime() / 60_000) * 60_000) / 60_000);
}

/** A wall clock read as if it were UTC: a way to step through local minutes. */
function wallAsUtc(w: WallClock): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
}

function wallFromUtc(ms: number): WallClock {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), weekday: d.getUTCDay() };
}

export function formatWallClock(w: WallClock): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${w.year}-${two(w.month)}-${two(w.day)} ${two(w.hour)}:${two(w.minute)}`;
}

/** A change of the zone's UTC offset: the first instant of the new offset. */
export interface OffsetChange {
  at: Date;
  before: number;
  after: number;
}

/** Offsets are sampled weekly: no zone changes its offset twice within a week. */
const SCAN_STEP_MS = 7 * 86400_000;

const changesCache = new Map<string, OffsetChange[]>();

/** The offset changes of `timeZone` in [from, to), found to the minute. */
export function offsetChanges(timeZone: string, from: Date, to: Date): OffsetChange[] {
  const key = `${timeZone} ${from.getTime()} ${to.getTime()}`;
  let changes = changesCache.get(key);
  if (!changes) {
    changes = scanOffsetChanges(timeZone, from, to);
    if (changesCache.size < 1000) changesCache.set(key, changes);
  }
  return changes;
}

function scanOffsetChanges(timeZone: string, from: Date, to: Date): OffsetChange[] {
  const changes: OffsetChange[] = [];
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return changes;
  let t = Math.floor(from.getTime() / 60_000) * 60_000;
  let offset = offsetMinutes(from, timeZone);
  while (t < to.getTime()) {
    const next = Math.min(t + SCAN_STEP_MS, to.getTime());
    const nextOffset = offsetMinutes(new Date(next), timeZone);
    if (nextOffset !== offset) {
      // the first minute in (t, next] with the new offset
      let lo = t;
      let hi = next;
      while (hi - lo > 60_000) {
        const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
        if (offsetMinutes(new Date(mid), timeZone) === offset) lo = mid;
        else hi = mid;
      }
      changes.push({ at: new Date(hi), before: offset, after: nextOffset });
      offset = nextOffset;
    }
    t = next;
  }
  return changes;
}

/** A local time a cron matches that does not exist (gap) or happens twice (repeat). */
export interface DstConflict {
  kind: "gap" | "repeat";
  /** the matched local times, `YYYY-MM-DD HH:MM` */
  localTimes: string[];
  change: OffsetChange;
}

/** Limit on the local times listed per conflict (an every-minute cron matches a whole hour). */
const MAX_LISTED = 4;

/**
 * Where the cron meets a daylight-saving change in [from, from + days): local times that are
 * skipped (a gap: the schedule does not run then) or repeated (it runs once).
 */
export function dstConflicts(expression: string, timeZone: string, from: Date, days = 366): DstConflict[] {
  const matches = cronMatcher(expression);
  const to = new Date(from.getTime() + days * 86400_000);
  const out: DstConflict[] = [];
  for (const change of offsetChanges(timeZone, from, to)) {
    // the local minutes between the two readings of the clock at the change
    const start = change.at.getTime() + Math.min(change.before, change.after) * 60_000;
    const end = change.at.getTime() + Math.max(change.before, change.after) * 60_000;
    const localTimes: string[] = [];
    let count = 0;
    for (let m = start; m < end; m += 60_000) {
      const wall = wallFromUtc(m);
      if (!matches(wall)) continue;
      count++;
      if (localTimes.length < MAX_LISTED) localTimes.push(formatWallClock(wall));
    }
    if (count > MAX_LISTED) localTimes.push(`… ${count - MAX_LISTED} more`);
    if (count > 0) out.push({ kind: change.after > change.before ? "gap" : "repeat", localTimes, change });
  }
  return out;
}

/**
 * Whether a fire time that croner chose follows EventBridge Scheduler's rule: it must be a local
 * time the cron matches (croner moves a skipped 02:30 to 03:00; the Scheduler skips it), and the
 * first of the two instants a repeated local time has (croner may fire both).
 */
export function followsWallClock(matches: CronMatcher, fire: Date, timeZone: string): boolean {
  const wall = wallClockAt(fire, timeZone);
  if (!matches(wall)) return false;
  const minute = Math.floor(fire.getTime() / 60_000) * 60_000;
  const offset = (wallAsUtc(wall) - minute) / 60_000;
  // a local time repeats only after the clocks went back: a larger offset a few hours earlier
  const before = offsetMinutes(new Date(minute - 3 * 3600_000), timeZone);
  if (before <= offset) return true;
  const first = wallClockAt(new Date(minute - (before - offset) * 60_000), timeZone);
  return wallAsUtc(first) !== wallAsUtc(wall);
}

/** One line for a warning: what the cron matches at the change, and what happens to those runs. */
export function describeDstConflict(expression: string, timeZone: string, conflict: DstConflict): string {
  const hhmm = (offsetMin: number) => {
    const local = new Date(conflict.change.at.getTime() + offsetMin * 60_000);
    return `${String(local.getUTCHours()).padStart(2, "0")}:${String(local.getUTCMinutes()).padStart(2, "0")}`;
  };
  const clocks = `the clocks go from ${hhmm(conflict.change.before)} to ${hhmm(conflict.change.after)}`;
  const times = conflict.localTimes.join(", ");
  const one = conflict.localTimes.length === 1;
  const everywhere = "on AWS (EventBridge Scheduler) and under gantry serve alike";
  return conflict.kind === "gap"
    ? `cron "${expression}" in ${timeZone} matches ${times}, which ${one ? "does" : "do"} not exist (${clocks}): ` +
      `${one ? "that run is" : "those runs are"} skipped, ${everywhere}; move the schedule out of that hour or use UTC to run every day`
    : `cron "${expression}" in ${timeZone} matches ${times}, which ${one ? "happens" : "happen"} twice (${clocks}): ` +
      `${one ? "it runs" : "each runs"} once, at the first of the two, ${everywhere}`;
}
