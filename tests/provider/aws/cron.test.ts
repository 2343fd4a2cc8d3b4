import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CronError, toAwsCron, toAwsRate } from "../../../provider/aws/cron.ts";
import { scheduleExpressions } from "../../../provider/aws/schedule.ts";

const loc = { file: "app.ts", line: 3, column: 7 };

describe("5-field cron -> EventBridge Scheduler cron()", () => {
  const table: Array<[string, string[]]> = [
    ["*/15 * * * 1-5", ["cron(0/15 * ? * MON-FRI *)"]],
    ["0 2 * * *", ["cron(0 2 * * ? *)"]],
    // both day fields restricted: classic cron fires on either, AWS needs one `?` -> two schedules
    ["0 9 1 * 1", ["cron(0 9 1 * ? *)", "cron(0 9 ? * MON *)"]],
    ["30 6 * * 0", ["cron(30 6 ? * SUN *)"]],
    ["30 6 * * 7", ["cron(30 6 ? * SUN *)"]],
    ["0 0 * * 0,6", ["cron(0 0 ? * SUN,SAT *)"]],
    ["0 0 * * 5-7", ["cron(0 0 ? * SUN,FRI,SAT *)"]],
    ["0 0 * * mon-wed", ["cron(0 0 ? * MON-WED *)"]],
    ["0 0 * * */2", ["cron(0 0 ? * SUN,TUE,THU,SAT *)"]],
    ["0 0 * * *", ["cron(0 0 * * ? *)"]],
    ["0 0 * * 0-6", ["cron(0 0 * * ? *)"]],
    ["0 12 1,15 * *", ["cron(0 12 1,15 * ? *)"]],
    ["0 12 28 * *", ["cron(0 12 28 * ? *)"]],
    ["10-40/10 */6 * 1-3 *", ["cron(10,20,30,40 0/6 * 1-3 ? *)"]],
    ["0 8 * jan,jul *", ["cron(0 8 * 1,7 ? *)"]],
    ["5 4 * * ?", ["cron(5 4 * * ? *)"]],
  ];
  for (const [cron, expected] of table) {
    it(`${cron} -> ${expected.join(" + ")}`, () => assert.deepEqual(toAwsCron(cron), expected));
  }

  it("refuses malformed crons, naming the field", () => {
    assert.throws(() => toAwsCron("0 2 * *"), /expected 5 fields/);
    assert.throws(() => toAwsCron("61 2 * * *"), (e: unknown) => e instanceof CronError && /minute: 61 is outside 0-59/.test(e.message));
    assert.throws(() => toAwsCron("0 2 * * 8"), /day-of-week: 8 is outside 0-7/);
    assert.throws(() => toAwsCron("0 2 5-1 * *"), /runs backwards/);
  });
});

describe("schedules keep their timezone and location", () => {
  it("a cron keeps its IANA zone", () => {
    assert.deepEqual(scheduleExpressions({ kind: "cron", expression: "0 9 * * 1-5", timezone: "Europe/Paris", source: loc }), [
      { suffix: "cron", expression: "cron(0 9 ? * MON-FRI *)", timezone: "Europe/Paris" },
    ]);
  });
  it("a cron on both day fields gives two schedules in the same zone", () => {
    assert.deepEqual(scheduleExpressions({ kind: "cron", expression: "0 9 1 * 1", timezone: "America/New_York", source: loc }).map((e) => [e.suffix, e.timezone]), [
      ["day-of-month", "America/New_York"],
      ["day-of-week", "America/New_York"],
    ]);
  });
  it("a bad cron is reported at its source location", () => {
    assert.throws(() => scheduleExpressions({ kind: "cron", expression: "0 25 * * *", timezone: "UTC", source: loc }), /^Error: app\.ts:3:7: cron "0 25 \* \* \*": hour: 25/);
  });
});

describe("periods -> rate()", () => {
  const table: Array<[number, string]> = [[60, "rate(1 minute)"], [900, "rate(15 minutes)"], [3600, "rate(1 hour)"], [21600, "rate(6 hours)"], [86400, "rate(1 day)"], [172800, "rate(2 days)"], [5400, "rate(90 minutes)"]];
  for (const [seconds, expected] of table) it(`${seconds}s -> ${expected}`, () => assert.equal(toAwsRate(seconds).expression, expected));
  it("rounds sub-minute periods to a minute, with a note", () => {
    const r = toAwsRate(90);
    assert.equal(r.expression, "rate(2 minutes)");
    assert.match(r.note ?? "", /smallest unit is a minute/);
  });
});
