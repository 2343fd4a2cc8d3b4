/**
 * The mark `gantry stop` leaves on a unit's ECS service: the tag `gantry:stopped`, whose value is
 * what `gantry start` restores (the scaling bounds, the desired count, the schedules it paused).
 * The waker (runtime/aws/waker.ts) does not wake a service carrying it; `gantry status` can show it.
 *
 * On the service, not elsewhere: the record lives and dies with what it describes (a destroyed
 * stack takes it along), needs no table or local file, and any machine with the stack's
 * credentials reads it. ECS tag values allow letters, digits, spaces and `+ - = . _ : / @` (256
 * characters), so it is `key=value` words, not JSON; schedule names (`[0-9a-zA-Z-_.]+`) are joined
 * with `:`, which they cannot contain.
 */

export const STOPPED_TAG = "gantry:stopped";
const MAX_TAG_VALUE = 256;

export interface StoppedRecord {
  /** the scalable target's bounds before the stop (absent when the service had none) */
  min?: number;
  max?: number;
  /** the service's desired count before the stop */
  desired: number;
  /** the schedules that were enabled and were paused, by name (default schedule group) */
  schedules: string[];
  /** when it was stopped, ISO 8601 to the second */
  at: string;
}

export function encodeStopped(r: StoppedRecord): string {
  const words = [
    ...(r.min !== undefined ? [`min=${r.min}`] : []),
    ...(r.max !== undefined ? [`max=${r.max}`] : []),
    `desired=${r.desired}`,
    `schedules=${r.schedules.join(":")}`,
    `at=${r.at}`,
  ];
  const value = words.join(" ");
  if (value.length > MAX_TAG_VALUE) {
    throw new Error(`the stop record of this unit is ${value.length} characters, more than an ECS tag holds (${MAX_TAG_VALUE}): ${value}`);
  }
  return value;
}

/** The record in a tag value; throws when the value is not one (say, a hand-written tag). */
export function decodeStopped(value: string): StoppedRecord {
  const fields = new Map<string, string>();
  for (const word of value.trim().split(/\s+/)) {
    const eq = word.indexOf("=");
    if (eq > 0) fields.set(word.slice(0, eq), word.slice(eq + 1));
  }
  const count = (key: string, required: boolean): number | undefined => {
    const raw = fields.get(key);
    if (raw === undefined && !required) return undefined;
    const n = Number(raw);
    if (raw === undefined || raw === "" || !Number.isInteger(n) || n < 0) {
      throw new Error(`the ${STOPPED_TAG} tag "${value}" has no whole number ${key}= (written by gantry stop as "min=0 max=5 desired=1 schedules= at=...")`);
    }
    return n;
  };
  const schedules = fields.get("schedules");
  return {
    min: count("min", false),
    max: count("max", false),
    desired: count("desired", true)!,
    schedules: schedules ? schedules.split(":").filter(Boolean) : [],
    at: fields.get("at") ?? "",
  };
}

/** The tag's value among an ECS resource's tags (`[{ key, value }]`), when it carries one. */
export function stoppedTagOf(tags: Array<{ key?: string; value?: string }> | undefined): string | undefined {
  return tags?.find((t) => t.key === STOPPED_TAG)?.value;
}
