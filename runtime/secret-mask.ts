/**
 * Secret values never reach a log line or an error answer: wherever one appears, it is replaced
 * by "[secret]" — as it is, and as it looks inside a JSON string. One implementation for every
 * runtime: the AWS container's logger (runtime/container/log.ts) and `gantry serve` (the errors
 * that cross from its local runtime to the front door, and its own log lines).
 */

export const SECRET_MASK = "[secret]";

/** Shorter values would mask unrelated text; they are not worth a secret store anyway. */
export const MIN_SECRET_LENGTH = 4;

export class SecretMask {
  private readonly values = new Set<string>();
  /** longest first, so that a secret containing another is masked whole */
  private ordered: string[] = [];

  constructor(values: Iterable<unknown> = []) {
    this.add(values);
  }

  /** Adds values to mask; non-strings and values under MIN_SECRET_LENGTH characters are ignored. */
  add(values: Iterable<unknown>): void {
    let changed = false;
    for (const v of values) {
      if (typeof v !== "string" || v.length < MIN_SECRET_LENGTH || this.values.has(v)) continue;
      this.values.add(v);
      changed = true;
    }
    if (!changed) return;
    const forms = new Set<string>();
    for (const v of this.values) {
      forms.add(v);
      forms.add(JSON.stringify(v).slice(1, -1)); // how the value looks inside a JSON string
    }
    this.ordered = [...forms].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.values.size;
  }

  mask(text: string): string {
    let out = text;
    for (const form of this.ordered) if (out.includes(form)) out = out.split(form).join(SECRET_MASK);
    return out;
  }
}
