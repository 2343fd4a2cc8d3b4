/**
 * Schedules under `gantry serve`: each function with `schedule` is called on its cron (in its
 * timezone, with croner) or every period, on whatever version of the app is current. A reload
 * keeps the timers of schedules that did not change, so a Period does not restart at every edit.
 * Runs may overlap, as deployed schedules do; the pool's `maxContainers` bounds them.
 * Daylight-saving changes follow EventBridge Scheduler's rule (synth/cron-calendar.ts): a local
 * time that does not exist is skipped (croner would fire it at 03:00), a repeated one runs once.
 */
import { Cron } from "croner";
import type { AppSpec, ScheduleSpec } from "../../synth/spec.ts";
import { cronMatcher, followsWallClock } from "../../synth/cron-calendar.ts";

export interface RunOutcome {
  ok: boolean;
  /** the result or the error, short and printable */
  summary: string;
  ms: number;
}

export interface SchedulerHost {
  run(functionName: string): Promise<RunOutcome>;
  print(line: string): void;
}

interface Job {
  name: string;
  schedule: ScheduleSpec;
  key: string;
  next(): Date | null;
  stop(): void;
}

/** setTimeout's limit (~24.8 days): longer waits are re-armed in steps */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Scheduler {
  private readonly jobs = new Map<string, Job>();
  private stopped = false;

  constructor(private readonly host: SchedulerHost) {}

  /** Starts, keeps or stops jobs so they match the spec's schedules. */
  update(spec: AppSpec): void {
    if (this.stopped) return;
    const wanted = new Map(spec.functions.filter((f) => f.schedule).map((f) => [f.name, f.schedule!]));
    for (const [name, job] of this.jobs) {
      const schedule = wanted.get(name);
      if (!schedule || scheduleKey(schedule) !== job.key) {
        job.stop();
        this.jobs.delete(name);
      }
    }
    for (const [name, schedule] of wanted) {
      if (!this.jobs.has(name)) this.jobs.set(name, this.startJob(name, schedule));
    }
  }

  /** One line per schedule with its next run, for the banner. */
  describe(now = new Date()): string[] {
    const jobs = [...this.jobs.values()].sort((a, b) => a.name.localeCompare(b.name));
    const width = Math.max(0, ...jobs.map((j) => j.name.length));
    return jobs.map((j) => `${j.name.padEnd(width)}  ${describeSchedule(j.schedule)}  next ${formatNext(j.next(), j.schedule, now)}`);
  }

  /** Each schedule with its next run (`gantry status` against `gantry serve`). */
  snapshot(): Array<{ name: string; schedule: string; next: string | null }> {
    return [...this.jobs.values()].sort((a, b) => a.name.localeCompare(b.name))
      .map((j) => ({ name: j.name, schedule: describeSchedule(j.schedule), next: j.next()?.toISOString() ?? null }));
  }

  stop(): void {
    this.stopped = true;
    for (const job of this.jobs.values()) job.stop();
    this.jobs.clear();
  }

  private startJob(name: string, schedule: ScheduleSpec): Job {
    const key = scheduleKey(schedule);
    const fire = (job: Job) => {
      if (this.stopped || this.jobs.get(name) !== job) return;
      void this.host.run(name).then((outcome) => {
        if (this.stopped) return;
        const status = outcome.ok ? `ran in ${formatMs(outcome.ms)}: ${outcome.summary}` : `failed after ${formatMs(outcome.ms)}: ${outcome.summary}`;
        const next = this.jobs.get(name) === job ? `; next run ${formatNext(job.next(), schedule, new Date())}` : "";
        this.host.print(`[schedule] ${name} ${status}${next}`);
      });
    };
    if (schedule.kind === "cron") {
      const matches = cronMatcher(schedule.expression);
      const cron = new Cron(schedule.expression, { timezone: schedule.timezone, mode: "5-part", catch: true }, (self: Cron) => {
        const at = self.currentRun();
        if (!at || followsWallClock(matches, at, schedule.timezone)) fire(job);
      });
      const job: Job = { name, schedule, key, next: () => nextRuns(schedule, new Date(), 1)[0] ?? null, stop: () => cron.stop() };
      return job;
    }
    // a period runs at start + k * period: a slow run does not shift the next ones
    const periodMs = schedule.seconds * 1000;
    let due = Date.now() + periodMs;
    let timer: NodeJS.Timeout | null = null;
    const arm = () => {
      const wait = due - Date.now();
      timer = setTimeout(() => {
        if (Date.now() < due) return arm();
        while (due <= Date.now()) due += periodMs;
        arm();
        fire(job);
      }, Math.min(Math.max(wait, 0), MAX_TIMER_MS));
    };
    const job: Job = {
      name, schedule, key,
      next: () => new Date(due),
      stop: () => {
        if (timer) clearTimeout(timer);
        timer = null;
      },
    };
    arm();
    return job;
  }
}

function scheduleKey(schedule: ScheduleSpec): string {
  return schedule.kind === "cron" ? `cron ${schedule.expression} ${schedule.timezone}` : `period ${schedule.seconds}`;
}

/**
 * The next `count` run times of a schedule after `from` (a Period counts from `from`); for a
 * cron, croner's times that EventBridge Scheduler's daylight-saving rule keeps.
 */
export function nextRuns(schedule: ScheduleSpec, from: Date, count: number): Date[] {
  if (schedule.kind === "period") return Array.from({ length: count }, (_, i) => new Date(from.getTime() + (i + 1) * schedule.seconds * 1000));
  const cron = new Cron(schedule.expression, { timezone: schedule.timezone, mode: "5-part", paused: true });
  if (schedule.timezone === "UTC") return cron.nextRuns(count, from);
  const matches = cronMatcher(schedule.expression);
  const out: Date[] = [];
  let at: Date | null = from;
  // a skipped or repeated time drops at most a few runs per change; the bound ends "never" crons
  for (let tries = 0; out.length < count && tries < count + 1000; tries++) {
    at = cron.nextRun(at);
    if (!at) break;
    if (followsWallClock(matches, at, schedule.timezone)) out.push(at);
  }
  return out;
}

export function describeSchedule(schedule: ScheduleSpec): string {
  if (schedule.kind === "cron") return `cron "${schedule.expression}" (${schedule.timezone})`;
  return `every ${formatDuration(schedule.seconds * 1000)}`;
}

/** "2025-06-13 02:00:00 Europe/Paris (in 9 h 4 min)"; a period's in local time. */
export function formatNext(next: Date | null, schedule: ScheduleSpec, now: Date): string {
  if (!next) return "never";
  const zone = schedule.kind === "cron" ? schedule.timezone : undefined;
  return `${formatInZone(next, zone)} (in ${formatDuration(Math.max(0, next.getTime() - now.getTime()))})`;
}

export function formatInZone(date: Date, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const text = `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")}`;
  return timeZone ? `${text} ${timeZone}` : text;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  // the largest unit and the one below it: "2 d 3 h", "1 h 5 min", "4 min 10 s"
  const units: Array<[number, string]> = [[86400, "d"], [3600, "h"], [60, "min"], [1, "s"]];
  const i = units.findIndex(([size]) => s >= size);
  const [size, unit] = units[i];
  const [below, belowUnit] = units[i + 1];
  const rest = Math.floor((s % size) / below);
  return rest ? `${Math.floor(s / size)} ${unit} ${rest} ${belowUnit}` : `${Math.floor(s / size)} ${unit}`;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
