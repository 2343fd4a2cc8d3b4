/**
 * ECS task scale-in protection while inputs run: target tracking scales in when backlog per task
 * falls below the target (2 tasks, 1 busy -> 0.5), and ECS picks which task stops. Without
 * protection it may stop the busy one: its input gets SIGTERM, is handed back after the drain and
 * reruns from the start (up to `timeout` seconds of GPU time lost per input).
 *
 * The ECS agent's endpoint (`PUT $ECS_AGENT_URI/task-protection/v1/state` with
 * `{"ProtectionEnabled": true, "ExpiresInMinutes": N}`, N from 1 to 2880; AWS "Amazon ECS task
 * scale-in protection endpoint") protects the task "from scale-in events from service Auto Scaling
 * or deployments" until it expires. The worker protects its task when its first input starts,
 * renews before the expiry while busy, and releases it once idle for RELEASE_AFTER_MS (so
 * back-to-back inputs do not flap it). A spot interruption or a stop still reaches the task as
 * SIGTERM: the drain path handles those. The task role needs ecs:UpdateTaskProtection (iam.ts).
 */
import type { Outcome, Transport, WorkInput } from "../worker/transport.ts";

/** Idle this long before the protection is released. */
export const RELEASE_AFTER_MS = 5_000;
const MAX_EXPIRES_MINUTES = 2880;

export interface TaskProtectionOptions {
  /** `$ECS_AGENT_URI` */
  agentUri: string;
  /** how long one input may take (timeout), seconds: the protection lasts a little longer */
  inputSeconds: number;
  log?: (message: string) => void;
  fetch?: typeof fetch;
  /** default RELEASE_AFTER_MS */
  releaseAfterMs?: number;
}

export class TaskProtection {
  private busy = 0;
  private protectedUntil = 0;
  private releaseTimer: NodeJS.Timeout | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private queue: Promise<void> = Promise.resolve();
  readonly expiresInMinutes: number;

  constructor(private readonly options: TaskProtectionOptions) {
    // the longest input plus a margin, so a protection never lapses under a running input
    this.expiresInMinutes = Math.min(MAX_EXPIRES_MINUTES, Math.max(1, Math.ceil((options.inputSeconds + 120) / 60)));
  }

  /** `n` inputs started. */
  started(n: number): void {
    if (n <= 0) return;
    this.busy += n;
    if (this.releaseTimer) {
      clearTimeout(this.releaseTimer);
      this.releaseTimer = null;
    }
    if (this.protectedUntil <= Date.now()) this.set(true);
  }

  /** `n` inputs ended (an outcome, or handed back). */
  ended(n: number): void {
    this.busy = Math.max(0, this.busy - n);
    if (this.busy === 0 && !this.releaseTimer && this.protectedUntil > 0) {
      this.releaseTimer = setTimeout(() => {
        this.releaseTimer = null;
        if (this.busy === 0) this.set(false);
      }, this.options.releaseAfterMs ?? RELEASE_AFTER_MS);
      this.releaseTimer.unref();
    }
  }

  /** Releases the protection now (the worker stops). */
  async close(): Promise<void> {
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    this.releaseTimer = null;
    if (this.protectedUntil > 0) this.set(false);
    await this.queue;
  }

  /** Requests run one at a time, in order: the last one says what holds. */
  private set(enabled: boolean): void {
    if (enabled) this.protectedUntil = Date.now() + this.expiresInMinutes * 60_000;
    else this.protectedUntil = 0;
    if (this.renewTimer) clearTimeout(this.renewTimer);
    this.renewTimer = null;
    if (enabled) {
      // renewed at half its life while inputs still run
      this.renewTimer = setTimeout(() => {
        if (this.busy > 0) this.set(true);
      }, (this.expiresInMinutes * 60_000) / 2);
      this.renewTimer.unref();
    }
    this.queue = this.queue.then(() => this.put(enabled));
  }

  private async put(enabled: boolean): Promise<void> {
    const body = enabled ? { ProtectionEnabled: true, ExpiresInMinutes: this.expiresInMinutes } : { ProtectionEnabled: false };
    try {
      const response = await (this.options.fetch ?? fetch)(`${this.options.agentUri}/task-protection/v1/state`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      // the agent answers 200 with {"failure": …} or {"error": …} when ECS refused the change
      const answer = text ? (JSON.parse(text) as { failure?: { Reason?: string }; error?: { Code?: string; Message?: string } }) : {};
      const refused = !response.ok ? `HTTP ${response.status}` : answer.failure?.Reason ?? answer.error?.Message ?? answer.error?.Code;
      if (refused) throw new Error(refused);
    } catch (err) {
      // protection is a safeguard: without it the input still finishes or is handed back
      this.options.log?.(`task scale-in protection ${enabled ? "on" : "off"} failed: ${(err as Error).message}`);
    }
  }
}

/**
 * The transport, with the task protected while any input it handed out has no outcome yet. The
 * rest of the transport (its state, stop, stats) is the transport's own.
 */
export function withTaskProtection<T extends Transport>(transport: T, protection: TaskProtection): T {
  const overrides: Partial<Transport> = {
    async receive(max, signal) {
      const inputs = await transport.receive(max, signal);
      if (inputs?.length) protection.started(inputs.length);
      return inputs;
    },
    async complete(input: WorkInput, outcome: Outcome) {
      try {
        await transport.complete(input, outcome);
      } finally {
        protection.ended(1);
      }
    },
    async close() {
      await protection.close();
      await transport.close();
    },
  };
  if (transport.handBack) {
    overrides.handBack = async (unfinished: WorkInput[]) => {
      try {
        await transport.handBack!(unfinished);
      } finally {
        protection.ended(unfinished.length);
      }
    };
  }
  return new Proxy(transport, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof Transport];
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
