/** Retry policy: `retries: 3` or `retries: new Retries({ maxRetries: 3, backoffCoefficient: 2 })`. */
export interface RetriesInit {
  maxRetries: number;
  /** multiplier between consecutive delays (default 2) */
  backoffCoefficient?: number;
  /** seconds before the first retry (default 1) */
  initialDelay?: number;
  /** seconds, upper bound of a delay (default 60) */
  maxDelay?: number;
}

export class Retries {
  readonly maxRetries: number;
  readonly backoffCoefficient: number;
  readonly initialDelay: number;
  readonly maxDelay: number;

  constructor(init: RetriesInit) {
    this.maxRetries = init.maxRetries;
    this.backoffCoefficient = init.backoffCoefficient ?? 2;
    this.initialDelay = init.initialDelay ?? 1;
    this.maxDelay = init.maxDelay ?? 60;
  }

  /** Seconds to wait before retry number `retry` (1-based). */
  delayFor(retry: number): number {
    return Math.min(this.maxDelay, this.initialDelay * this.backoffCoefficient ** (retry - 1));
  }

  static from(value: number | Retries | undefined): Retries {
    if (value instanceof Retries) return value;
    return new Retries({ maxRetries: value ?? 0 });
  }
}
