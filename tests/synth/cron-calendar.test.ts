/**
 * Cron schedules against a timezone's calendar: daylight-saving gaps and repeats, found once and
 * applied alike by synth (a warning at the schedule), `gantry serve` (which runs) and AWS.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cronMatcher, dstConflicts, followsWallClock, offsetChanges, wallClockAt } from "../../synth/cron-calendar.ts";
import { nextRuns } from "../../runtime/serve/schedules.ts";
import { analyzeFixture } from "./helpers.ts";

const from = new Date("2026-12-04T00:00:00Z");
const loc = { file: "app.ts", line: 1, column: 1 };

describe("offset changes", () => {
  it("Europe/Paris changes on the last Sundays of March and October, at 01:00 UTC", () => {
    const changes = offsetChanges("Europe/Paris", from, new Date("2027-12-04T00:00:00Z"));
    assert.deepEqual(changes.map((c) => [c.at.toISOString(), c.before, c.after]), [
      ["2027-03-28T01:00:00.000Z", 60, 120],
      ["2027-10-31T01:00:00.000Z", 120, 60],
    ]);
  });
  it("UTC and zones without daylight saving have none", () => {
    assert.deepEqual(offsetChanges("UTC", from, new Date("2027-12-04T00:00:00Z")), []);
    assert.deepEqual(offsetChanges("Asia/Tokyo", from, new Date("2027-12-04T00:00:00Z")), []);
  });
});

describe("day fields", () => {
  const at = (iso: string) => wallClockAt(new Date(iso), "UTC");
  it("both written: either matches (croner's and classic cron's rule), even when one covers every day", () => {
    const m = cronMatcher("0 0 1 * 0-6");
    assert.equal(m(at("2027-03-17T00:00:00Z")), true);
    const either = cronMatcher("0 9 1 * 1");
    assert.equal(either(at("2027-03-01T09:00:00Z")), true, "the 1st");
    assert.equal(either(at("2027-03-08T09:00:00Z")), true, "a Monday");
    assert.equal(either(at("2027-03-09T09:00:00Z")), false);
  });
  it("one written: that one decides", () => {
    assert.equal(cronMatcher("0 0 1 * *")(at("2027-03-17T00:00:00Z")), false);
    assert.equal(cronMatcher("0 0 * * 1")(at("2027-03-15T00:00:00Z")), true);
  });
});

describe("daylight-saving conflicts", () => {
  it("the schedules example, 0 2 * * * in Europe/Paris: 02:00 is skipped in March and repeated in October", () => {
    const conflicts = dstConflicts("0 2 * * *", "Europe/Paris", from);
    assert.deepEqual(conflicts.map((c) => [c.kind, c.localTimes]), [
      ["gap", ["2027-03-28 02:00"]],
      ["repeat", ["2027-10-31 02:00"]],
    ]);
  });
  it("a time outside the changed hour, or a zone without changes, has none", () => {
    assert.deepEqual(dstConflicts("0 9 * * *", "Europe/Paris", from), []);
    assert.deepEqual(dstConflicts("0 2 * * *", "UTC", from), []);
  });
  it("a day field that never meets the change day has none", () => {
    assert.deepEqual(dstConflicts("30 2 * * 1-5", "Europe/Paris", from), [], "both changes fall on a Sunday");
  });
  it("an every-minute cron lists a few times and counts the rest", () => {
    const [gap] = dstConflicts("* * * * *", "America/New_York", from);
    assert.equal(gap.kind, "gap");
    assert.deepEqual(gap.localTimes, ["2027-03-14 02:00", "2027-03-14 02:01", "2027-03-14 02:02", "2027-03-14 02:03", "… 56 more"]);
  });
});

describe("gantry serve follows EventBridge Scheduler's rule", () => {
  const paris = { kind: "cron" as const, expression: "30 2 * * *", timezone: "Europe/Paris", source: loc };
  it("a skipped local time does not run (croner alone fires it at 03:00)", () => {
    const runs = nextRuns(paris, new Date("2027-03-26T12:00:00Z"), 3).map((d) => d.toISOString());
    assert.deepEqual(runs, ["2027-03-27T01:30:00.000Z", "2027-03-29T00:30:00.000Z", "2027-03-30T00:30:00.000Z"]);
  });
  it("a repeated local time runs once, at the first of the two", () => {
    const every30 = { ...paris, expression: "*/30 2 * * *" };
    const runs = nextRuns(every30, new Date("2027-10-30T22:00:00Z"), 2).map((d) => d.toISOString());
    assert.deepEqual(runs, ["2027-10-31T00:00:00.000Z", "2027-10-31T00:30:00.000Z"]);
    const next = nextRuns(every30, new Date("2027-10-31T00:45:00Z"), 1).map((d) => d.toISOString());
    assert.deepEqual(next, ["2027-11-01T01:00:00.000Z"], "02:00 and 02:30 after the change are the repeats");
  });
  it("followsWallClock keeps ordinary times", () => {
    assert.equal(followsWallClock(cronMatcher("0 9 * * *"), new Date("2027-06-01T07:00:00Z"), "Europe/Paris"), true);
  });
});

describe("synth warns at the schedule", () => {
  it("GANTRY1503 at the Cron(...) call, naming the time and what happens to the run", () => {
    const { diagnostics } = analyzeFixture("dst");
    const dst = diagnostics.filter((d) => d.code === "GANTRY1503");
    assert.equal(dst.length, 2, "two for nightly (02:00), none for morning (09:00)");
    assert.equal(dst[0].severity, "warning");
    assert.equal(dst[0].line, 4);
    assert.match(dst[0].message, /matches \d{4}-03-\d\d 02:00, which does not exist \(the clocks go from 02:00 to 03:00\): that run is skipped/);
    assert.match(dst[1].message, /which happens twice .* it runs once, at the first of the two/);
  });
});
