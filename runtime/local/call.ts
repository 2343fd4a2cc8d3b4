/** One call (`.remote`, one `.map` input, a spawn) as the local supervisor tracks it across attempts. */
import type { CallTarget } from "../../sdk/invoker.ts";
import type { Container } from "./container.ts";

export type CallOutcome = { ok: true; value: Uint8Array } | { ok: false; error: Uint8Array };

export type CallState = "queued" | "running" | "retry-wait" | "done";

export class Call {
  /** 1-based; failures of the user's code (errors, timeouts) move it on, container crashes do not */
  attempt = 1;
  /** times the container running it died under it */
  crashes = 0;
  state: CallState = "queued";
  cancelled = false;
  outcome: CallOutcome | null = null;
  container: Container | null = null;
  dispatchId: string | null = null;
  backstop: NodeJS.Timeout | null = null;
  retryTimer: NodeJS.Timeout | null = null;
  private waiters: Array<(outcome: CallOutcome) => void> = [];

  constructor(
    /** the pool the call runs in (for cancellation) */
    readonly pool: { cancel(call: Call): void },
    readonly id: string,
    readonly target: CallTarget,
    /** `square`, `Model.generate` */
    readonly label: string,
    readonly payload: Uint8Array,
    /** spawned calls keep their outcome for `FunctionCall.get` */
    readonly keep: boolean,
    /**
     * "http": one forwarded HTTP request to a webApp/webServer container. It is never retried nor
     * redelivered (a request is not known to be idempotent): a failure is the request's answer.
     */
    readonly kind: "call" | "http" = "call",
  ) {}

  done(): Promise<CallOutcome> {
    if (this.outcome) return Promise.resolve(this.outcome);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  settle(outcome: CallOutcome): void {
    if (this.outcome) return;
    this.state = "done";
    this.outcome = outcome;
    for (const w of this.waiters.splice(0)) w(outcome);
  }
}
