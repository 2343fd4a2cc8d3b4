// Scheduled jobs: a nightly cron (in a timezone) and an hourly period. Deployed, they fire on
// their own; both are ordinary functions too, callable now from an entrypoint.
//   npx gantry run examples/schedules/app.ts
import { App, Cron, Dict, Period } from "gantry";

export const app = new App("schedules");

const stats = Dict.fromName<string, number>("schedule-stats", { createIfMissing: true });

export const nightlyReport = app.function(
  { schedule: Cron("0 2 * * *", { timezone: "Europe/Paris" }), timeout: 600, maxContainers: 1 },
  async () => {
    const runs = (await stats.get("nightly", 0)) + 1;
    await stats.put("nightly", runs);
    return `nightly report #${runs}`;
  },
);

export const hourlyCleanup = app.function({ schedule: Period({ hours: 1 }), maxContainers: 1 }, async () => {
  const runs = (await stats.get("hourly", 0)) + 1;
  await stats.put("hourly", runs);
  return `cleanup #${runs}`;
});

export const main = app.localEntrypoint(async () => {
  console.log(await nightlyReport.remote());
  console.log(await hourlyCleanup.remote());
  console.log("runs so far:", { nightly: await stats.get("nightly"), hourly: await stats.get("hourly") });
});
