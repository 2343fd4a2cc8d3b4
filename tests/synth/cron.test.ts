/** Cron normalization and validation, as a table. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { normalizeCron, normalizeTimezone } from "../../synth/cron.ts";

const VALID: [string, string][] = [
  ["0 2 * * *", "0 2 * * *"],
  ["  0   2  *\t* *  ", "0 2 * * *"],
  ["*/15 * * * *", "*/15 * * * *"],
  ["0 9-17/2 * * 1-5", "0 9-17/2 * * 1-5"],
  ["0 0 * JAN-MAR MON-FRI", "0 0 * 1-3 1-5"],
  ["30 4 1,15 * sun", "30 4 1,15 * 0"],
  ["0 0 * dec SAT,Sun", "0 0 * 12 6,0"],
  ["0 0 29 2 *", "0 0 29 2 *"],
  ["@yearly", "0 0 1 1 *"],
  ["@annually", "0 0 1 1 *"],
  ["@monthly", "0 0 1 * *"],
  ["@weekly", "0 0 * * 0"],
  ["@daily", "0 0 * * *"],
  ["@midnight", "0 0 * * *"],
  ["@HOURLY", "0 * * * *"],
];

for (const [input, expected] of VALID) {
  test(`cron ${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
    assert.deepEqual(normalizeCron(input), { ok: true, expression: expected });
  });
}

const INVALID: [string, RegExp][] = [
  ["0 25 * * *", /^the hour field "25" is invalid: value 25 is out of range 0-23$/],
  ["60 * * * *", /^the minute field "60" is invalid/],
  ["0 0 0 * *", /^the day-of-month field "0" is invalid: value 0 is out of range 1-31$/],
  ["0 0 * 13 *", /^the month field "13" is invalid/],
  ["0 0 * * 8", /^the day-of-week field "8" is invalid/],
  ["0 0 * * funday", /^the day-of-week field "funday" is invalid: "funday" is not a weekday name/],
  ["5-1 * * * *", /^the minute field "5-1" is invalid: the range "5-1" starts after its end$/],
  ["*/0 * * * *", /the step "\/0" is not a whole number >= 1/],
  ["1,,2 * * * *", /a list item is empty/],
  ["0 0 L * *", /"L" is extended syntax/],
  ["0 2 * *", /has 4 fields, a cron expression has 5: minute hour day-of-month month day-of-week$/],
  ["0 0 2 * * *", /has 6 fields.*seconds or year field is not supported/],
  ["0 0 30 2 *", /never fires/],
  ["", /empty/],
  ["@reboot", /unknown cron alias "@reboot"/],
];

for (const [input, message] of INVALID) {
  test(`cron ${JSON.stringify(input)} is refused`, () => {
    const result = normalizeCron(input);
    assert.equal(result.ok, false);
    assert.match((result as { message: string }).message, message);
  });
}

test("timezones: valid IANA zones, case fixed; unknown zones refused", () => {
  assert.deepEqual(normalizeTimezone("Europe/Paris"), { ok: true, timezone: "Europe/Paris" });
  assert.deepEqual(normalizeTimezone("europe/paris"), { ok: true, timezone: "Europe/Paris" });
  assert.deepEqual(normalizeTimezone("UTC"), { ok: true, timezone: "UTC" });
  assert.equal(normalizeTimezone("Mars/Olympus").ok, false);
  assert.equal(normalizeTimezone("").ok, false);
});
