// The pure parts of `gantry serve`: schedule times in their timezone, the banner's curl line, the
// files it watches, and the scheduler keeping unchanged schedules across a reload.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeSchedule, formatDuration, formatInZone, nextRuns, Scheduler } from "../../../runtime/serve/schedules.ts";
import { curlLine, exampleValue } from "../../../runtime/serve/banner.ts";
import { projectImports } from "../../../runtime/serve/imports.ts";
import type { AppSpec, ScheduleSpec } from "../../../synth/spec.ts";
import { tempDir } from "./harness.ts";

const source = { file: "app.ts", line: 1, column: 1 };
const cron = (expression: string, timezone: string): ScheduleSpec => ({ kind: "cron", expression, timezone, source });

test("cron schedules run in their timezone, across daylight saving time", () => {
  const paris = cron("0 2 * * *", "Europe/Paris");
  // winter: 02:00 in Paris is 01:00 UTC; summer: 00:00 UTC
  assert.deepEqual(nextRuns(paris, new Date("2025-01-15T12:00:00Z"), 2).map((d) => d.toISOString()),
    ["2025-01-16T01:00:00.000Z", "2025-01-17T01:00:00.000Z"]);
  assert.deepEqual(nextRuns(paris, new Date("2025-07-01T12:00:00Z"), 1).map((d) => d.toISOString()), ["2025-07-02T00:00:00.000Z"]);
  // weekdays at 09:30 in New York, from a Friday afternoon: Monday next
  const ny = cron("30 9 * * 1-5", "America/New_York");
  assert.deepEqual(nextRuns(ny, new Date("2025-03-07T20:00:00Z"), 2).map((d) => d.toISOString()),
    ["2025-03-10T13:30:00.000Z", "2025-03-11T13:30:00.000Z"]);
  assert.equal(formatInZone(new Date("2025-01-16T01:00:00Z"), "Europe/Paris"), "2025-01-16 02:00:00 Europe/Paris");
  assert.equal(describeSchedule(paris), 'cron "0 2 * * *" (Europe/Paris)');
  const period: ScheduleSpec = { kind: "period", seconds: 5400, source };
  assert.equal(describeSchedule(period), "every 1 h 30 min");
  assert.deepEqual(nextRuns(period, new Date("2025-01-01T00:00:00Z"), 2).map((d) => d.toISOString()),
    ["2025-01-01T01:30:00.000Z", "2025-01-01T03:00:00.000Z"]);
  assert.deepEqual([formatDuration(4000), formatDuration(61_000), formatDuration(3_600_000), formatDuration(90_061_000)], ["4 s", "1 min 1 s", "1 h", "1 d 1 h"]);
});

function specWith(schedules: Record<string, ScheduleSpec>): AppSpec {
  return {
    app: { name: "a", source },
    functions: Object.entries(schedules).map(([name, schedule]) => ({ name, schedule, web: null })),
    classes: [],
  } as unknown as AppSpec;
}

test("a reload keeps the timers of unchanged schedules and replaces changed ones", () => {
  const runs: string[] = [];
  const scheduler = new Scheduler({ run: async (name) => (runs.push(name), { ok: true, summary: "", ms: 0 }), print: () => {} });
  try {
    const hourly: ScheduleSpec = { kind: "period", seconds: 3600, source };
    scheduler.update(specWith({ cleanup: hourly, nightly: cron("0 2 * * *", "UTC") }));
    const now = new Date();
    const before = scheduler.describe(now);
    assert.equal(before.length, 2);
    assert.match(before[0], /^cleanup  every 1 h {2}next \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(in (59 min \d+ s|1 h)\)$/);
    assert.match(before[1], /^nightly  cron "0 2 \* \* \*" \(UTC\) {2}next \d{4}-\d\d-\d\d 02:00:00 UTC \(in .+\)$/);

    // same schedules (a new spec object): same next runs, the period was not restarted
    scheduler.update(specWith({ cleanup: { ...hourly }, nightly: cron("0 2 * * *", "UTC") }));
    assert.deepEqual(scheduler.describe(now), before);

    // changed and removed schedules
    scheduler.update(specWith({ cleanup: { kind: "period", seconds: 60, source } }));
    const after = scheduler.describe(now);
    assert.equal(after.length, 1);
    assert.match(after[0], /^cleanup  every 1 min {2}next /);
    assert.deepEqual(runs, []);
  } finally {
    scheduler.stop();
  }
});

test("the curl line: a private endpoint with a body from its schema, the token or $GANTRY_TOKEN", () => {
  const schema = {
    type: "object",
    properties: {
      texts: { type: "array", items: { type: "string" }, minItems: 1 },
      normalize: { type: "boolean", default: true },
      k: { type: "integer", minimum: 3 },
      mode: { enum: ["fast", "slow"] },
    },
    required: ["texts", "k", "mode"],
  };
  assert.deepEqual(exampleValue(schema), { texts: ["hello"], k: 3, mode: "fast" });
  assert.equal(exampleValue({ type: "string", minLength: 8 }), "hello!!!");
  assert.equal(exampleValue({ type: "string", maxLength: 2 }), "he");

  const spec = {
    functions: [{ name: "health", web: { kind: "endpoint", method: "GET", public: true, docs: false, bodySchema: null, source } }],
    classes: [{ name: "Embed", methods: [{ name: "embed", web: { kind: "endpoint", method: "PUT", public: false, docs: true, bodySchema: schema, source } }] }],
  } as unknown as AppSpec;
  const health = { kind: "endpoint" as const, path: "/health", declaration: "health", method: "GET" as const, public: true, docs: false };
  const embed = { kind: "endpoint" as const, path: "/Embed/embed", declaration: "Embed.embed", method: "PUT" as const, public: false, docs: true };
  const ui = { kind: "app" as const, path: "/ui", declaration: "ui", method: null, public: false, docs: false };
  assert.equal(curlLine([health, ui, embed], spec, "http://127.0.0.1:8000", "tok"),
    `curl -H "Authorization: Bearer tok" -X PUT -H "Content-Type: application/json" -d '{"texts":["hello"],"k":3,"mode":"fast"}' http://127.0.0.1:8000/Embed/embed`);
  assert.equal(curlLine([health, ui], spec, "http://127.0.0.1:8000", null), `curl -H "Authorization: Bearer $GANTRY_TOKEN" http://127.0.0.1:8000/ui/`);
  assert.equal(curlLine([health], spec, "http://127.0.0.1:8000", "tok"), "curl http://127.0.0.1:8000/health");
  assert.equal(curlLine([], spec, "http://127.0.0.1:8000", "tok"), null);
});

test("watched files: the app and the project files it imports, not packages", () => {
  const dir = tempDir();
  mkdirSync(join(dir, "lib"));
  mkdirSync(join(dir, "node_modules", "dep"), { recursive: true });
  writeFileSync(join(dir, "app.ts"), [
    'import { z } from "zod";',
    'import { a } from "./a.js";',
    'import type { T } from "./types.ts";',
    'export * from "./lib";',
    'import "./node_modules/dep/index.js";',
    'const later = () => import("./lazy.ts");',
    'import data from "./data.json" with { type: "json" };',
  ].join("\n"));
  writeFileSync(join(dir, "a.ts"), 'export { b } from "./lib/b.ts";\nexport const a = 1;');
  writeFileSync(join(dir, "types.ts"), "export type T = number;");
  writeFileSync(join(dir, "lib", "index.ts"), "export const l = 1;");
  writeFileSync(join(dir, "lib", "b.ts"), 'import { a } from "../a.ts";\nexport const b = a;');
  writeFileSync(join(dir, "lazy.ts"), "export {};");
  writeFileSync(join(dir, "data.json"), "{}");
  writeFileSync(join(dir, "node_modules", "dep", "index.js"), "");
  const files = projectImports(join(dir, "app.ts")).map((f) => f.slice(dir.length + 1)).sort();
  assert.deepEqual(files, ["a.ts", "app.ts", "data.json", "lazy.ts", "lib/b.ts", "lib/index.ts", "types.ts"]);
});
