/** Schedules for functions: `Cron("0 2 * * *", { timezone: "Europe/Paris" })`, `Period({ hours: 6 })`. */
export interface CronSchedule { readonly kind: "cron"; readonly expression: string; readonly timezone: string }
export interface PeriodSchedule { readonly kind: "period"; readonly seconds: number }
export type Schedule = CronSchedule | PeriodSchedule;

export function Cron(expression: string, options: { timezone?: string } = {}): CronSchedule {
  return Object.freeze({ kind: "cron", expression, timezone: options.timezone ?? "UTC" });
}

export interface PeriodInit { days?: number; hours?: number; minutes?: number; seconds?: number }

export function Period(init: PeriodInit): PeriodSchedule {
  const seconds = (init.days ?? 0) * 86400 + (init.hours ?? 0) * 3600 + (init.minutes ?? 0) * 60 + (init.seconds ?? 0);
  if (!(seconds > 0)) throw new RangeError("Period: give a positive duration, e.g. Period({ hours: 6 })");
  return Object.freeze({ kind: "period", seconds });
}
