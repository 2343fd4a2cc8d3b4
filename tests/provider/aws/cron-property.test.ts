/**
 * Property test of the cron conversion against an independent AWS cron parser: for a few hundred
 * random 5-field crons, the fire times of the EventBridge expressions gantry writes (evaluated by
 * `aws-cron-parser`, an implementation of AWS's documented cron syntax by other authors) are the
 * fire times `gantry serve` uses (croner, filtered by the daylight-saving rule).
 *
 * - In UTC: 0 mismatches.
 * - In Europe/Paris: the AWS side is aws-cron-parser's wall-clock times placed in the zone as
 *   EventBridge Scheduler documents (a local time that does not exist is skipped, a repeated one
 *   runs once); it must equal what `gantry serve` runs, and wherever plain croner differs from
 *   it, synth's daylight-saving warning must name the cron.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import awsCronParser from "aws-cron-parser";
import { Cron } from "croner";
import { toAwsCron } from "../../../provider/aws/cron.ts";
import { CRON_FIELDS, expandCronField, normalizeCron } from "../../../synth/cron.ts";
import { dstConflicts, offsetMinutes, wallClockAt } from "../../../synth/cron-calendar.ts";
import { nextRuns } from "../../../runtime/serve/schedules.ts";

/** mulberry32: a small seeded generator, so a failure reproduces */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomField(rnd: () => number, min: number, max: number, extra: string[] = []): string {
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const kind = rnd();
  if (kind < 0.3) return "*";
  if (kind < 0.45) return String(int(min, max));
  if (kind < 0.55) {
    const a = int(min, max);
    return `${a}-${int(a, max)}`;
  }
  if (kind < 0.65) return `*/${int(2, Math.max(2, Math.floor((max - min + 1) / 2)))}`;
  if (kind < 0.75) {
    const a = int(min, max);
    return `${a}-${int(a, max)}/${int(1, 4)}`;
  }
  if (kind < 0.85 && extra.length) return extra[int(0, extra.length - 1)];
  const values = new Set<number>();
  for (let i = int(2, 4); i > 0; i--) values.add(int(min, max));
  return [...values].join(",");
}

function randomCron(rnd: () => number): string {
  return [
    randomField(rnd, 0, 59),
    // hours near the daylight-saving changes often enough to meet them
    rnd() < 0.3 ? String(1 + Math.floor(rnd() * 3)) : randomField(rnd, 0, 23),
    randomField(rnd, 1, 31, ["1-31", "*/1", "28-31"]),
    randomField(rnd, 1, 12, ["3", "10", "3,10"]),
    randomField(rnd, 0, 7, ["0-6", "1-7", "0", "7", "*/1"]),
  ].join(" ");
}

const COUNT = 20;

/**
 * Fire times of the AWS expressions, merged (one call id per scheduled time: one run), in UTC.
 * aws-cron-parser 1.1.12 rolls a day-of-month past the month's end into the next month (day 30
 * in February gives March 2nd); AWS does not fire then, so such dates are dropped.
 */
function awsRunsUtc(expressions: string[], from: Date, count: number): number[] {
  const times = new Set<number>();
  for (const e of expressions) {
    const fields = e.replace(/^cron\((.*)\)$/, "$1");
    const parsed = awsCronParser.parse(fields);
    const dom = fields.split(" ")[2];
    const days = dom === "?" || dom === "*" ? null : new Set(expandCronField(dom, CRON_FIELDS[2]));
    let at: Date | null = from;
    for (let i = 0; i < count + 8 && at; i++) {
      at = awsCronParser.next(parsed, at);
      if (at && (!days || days.has(at.getUTCDate()))) times.add(at.getTime());
    }
  }
  return [...times].sort((a, b) => a - b).slice(0, count);
}

const offsets = new Map<string, number>();
/** offsetMinutes, remembered per quarter hour (zones change offsets on the quarter hour) */
function offsetAt(t: number, zone: string): number {
  const key = `${zone} ${Math.floor(t / 900_000)}`;
  let o = offsets.get(key);
  if (o === undefined) offsets.set(key, (o = offsetMinutes(new Date(t), zone)));
  return o;
}

/** The first instant whose wall clock in `zone` reads `wallMs` (read as UTC), or null in a gap. */
function placeInZone(wallMs: number, zone: string): number | null {
  const candidates = new Set([-1, 0, 1].map((d) => offsetAt(wallMs + d * 86400_000, zone)));
  // t reads wallMs in the zone when the offset in force at t is the one it was placed with
  const instants = [...candidates].map((o) => wallMs - o * 60_000).filter((t) => wallMs - t === offsetAt(t, zone) * 60_000);
  return instants.length ? Math.min(...instants) : null;
}

/** What EventBridge Scheduler runs in `zone`: the AWS wall-clock times, placed by its DST rule. */
function awsRunsInZone(expressions: string[], from: Date, zone: string, count: number): number[] {
  // the wall clock at `from`, read as UTC, is where aws-cron-parser (a UTC parser) starts
  const w = wallClockAt(from, zone);
  const wallFrom = new Date(Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute));
  const placed = awsRunsUtc(expressions, wallFrom, count + 4)
    .map((wall) => placeInZone(wall, zone))
    .filter((t): t is number => t !== null && t > from.getTime());
  return [...new Set(placed)].sort((a, b) => a - b).slice(0, count);
}

function crons(seed: number, n: number): string[] {
  const rnd = random(seed);
  const out: string[] = [];
  while (out.length < n) {
    const normalized = normalizeCron(randomCron(rnd));
    if (normalized.ok) out.push(normalized.expression);
  }
  return out;
}

const STARTS = ["2027-01-01T00:00:00Z", "2027-03-27T20:00:00Z", "2027-10-30T20:00:00Z"].map((s) => new Date(s));

describe("cron conversion against aws-cron-parser", () => {
  it("UTC: 200 random crons fire at the same times on AWS and under gantry serve", () => {
    const mismatches: string[] = [];
    for (const cron of crons(20261204, 200)) {
      const aws = toAwsCron(cron);
      for (const from of STARTS) {
        const local = nextRuns({ kind: "cron", expression: cron, timezone: "UTC", source: { file: "a", line: 1, column: 1 } }, from, COUNT).map((d) => d.getTime());
        const remote = awsRunsUtc(aws, from, COUNT);
        if (local.join() !== remote.join()) mismatches.push(`${cron} -> ${aws.join(" + ")} from ${from.toISOString()}`);
      }
    }
    assert.deepEqual(mismatches, []);
  });

  it("the day-field cases that once differed: a day field covering every day ORs, as croner does", () => {
    assert.deepEqual(toAwsCron("0 0 1 * 0-6"), ["cron(0 0 * * ? *)"]);
    assert.deepEqual(toAwsCron("0 0 1-31 * 1"), ["cron(0 0 * * ? *)"]);
    assert.deepEqual(toAwsCron("0 0 1 * 1-7"), ["cron(0 0 * * ? *)"]);
  });

  it("Europe/Paris: serve matches EventBridge's daylight-saving rule, and every difference from plain croner is warned about", () => {
    const zone = "Europe/Paris";
    const mismatches: string[] = [];
    const unwarned: string[] = [];
    let differences = 0;
    for (const cron of crons(4122026, 200)) {
      const aws = toAwsCron(cron);
      const spec = { kind: "cron" as const, expression: cron, timezone: zone, source: { file: "a", line: 1, column: 1 } };
      for (const from of STARTS) {
        const remote = awsRunsInZone(aws, from, zone, COUNT);
        const local = nextRuns(spec, from, COUNT).map((d) => d.getTime()).slice(0, remote.length);
        if (local.join() !== remote.join()) mismatches.push(`${cron} from ${from.toISOString()}`);
        const plain = new Cron(cron, { timezone: zone, mode: "5-part", paused: true }).nextRuns(COUNT, from).map((d) => d.getTime()).slice(0, remote.length);
        if (plain.join() !== remote.join()) {
          differences++;
          if (dstConflicts(cron, zone, new Date(from.getTime() - 86400_000), 400).length === 0) unwarned.push(`${cron} from ${from.toISOString()}`);
        }
      }
    }
    assert.deepEqual(mismatches, []);
    assert.deepEqual(unwarned, []);
    assert.ok(differences > 0, "the sample meets daylight-saving changes (else this test proves nothing)");
  });
});
