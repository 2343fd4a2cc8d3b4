import { test } from "node:test";
import assert from "node:assert/strict";
import { runsPerMonth } from "../../policy/schedule-runs.ts";
import { CRON_FIELDS, expandCronField } from "../../synth/cron.ts";

const [MINUTE, HOUR] = CRON_FIELDS;
import { at } from "./helpers.ts";

const cron = (expression: string, timezone = "UTC") => runsPerMonth({ kind: "cron", expression, timezone, source: at(1) });

test("cron runs per average month", () => {
  assert.equal(cron("0 2 * * *"), 365 / 12);
  assert.equal(cron("0 2 * * *", "Europe/Paris"), 365 / 12);
  assert.equal(cron("*/15 * * * 1-5"), (261 / 12) * 96); // 261 weekdays in the reference year
  assert.equal(cron("0 9 1 * 1"), 62 / 12); // the 1st or a Monday (cron's OR rule)
  assert.equal(cron("* * * * *"), (365 / 12) * 1440);
  assert.equal(cron("30 8 * * mon-fri", "America/New_York"), 261 / 12);
});

test("periods", () => {
  assert.equal(runsPerMonth({ kind: "period", seconds: 3600, source: at(1) }), 730);
  assert.equal(runsPerMonth({ kind: "period", seconds: 6 * 3600, source: at(1) }), 730 / 6);
});

test("minute and hour fields", () => {
  assert.deepEqual(expandCronField("*/15", MINUTE), [0, 15, 30, 45]);
  assert.deepEqual(expandCronField("1,5-7,20-30/5", MINUTE), [1, 5, 6, 7, 20, 25, 30]);
  assert.deepEqual(expandCronField("9-17/4", HOUR), [9, 13, 17]);
  assert.throws(() => expandCronField("61", MINUTE));
});
