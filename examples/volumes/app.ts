// A volume written by one function and read by another: the writer commits, the reader reloads.
//   npx gantry run examples/volumes/app.ts
import { App, Volume } from "gantry";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";

export const app = new App("volumes");

const reports = Volume.fromName("reports", { createIfMissing: true });

export const writeReport = app.function({ volumes: { "/data": reports } }, async (name: string, lines: string[]) => {
  await mkdir("/data/reports", { recursive: true });
  await writeFile(`/data/reports/${name}.txt`, lines.join("\n") + "\n");
  await reports.commit();
  return `/data/reports/${name}.txt`;
});

export const readReports = app.function({ volumes: { "/data": reports } }, async () => {
  await reports.reload();
  const names = (await readdir("/data/reports")).sort();
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (await readFile(`/data/reports/${n}`, "utf8")).trim().split("\n").length;
  return out;
});

export const main = app.localEntrypoint(async () => {
  console.log("wrote", await writeReport.remote("daily", ["a", "b", "c"]));
  console.log("wrote", await writeReport.remote("weekly", ["x"]));
  console.log("line counts:", await readReports.remote());
});
