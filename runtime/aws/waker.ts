/**
 * The fast wake path from zero: whoever puts inputs on a unit's queue (the sdk invoker in a
 * container or any Node service, the web gateway) asks ECS for exactly the containers those
 * inputs need when the unit's service is at zero, within the second.
 *
 * Why here: a scaled-to-zero unit has no task to read its queue, and the CloudWatch path is slow
 * and blunt: SQS publishes queue metrics once a minute (and only for queues active in the last
 * six hours), the alarm evaluates a minute later, and its step action repeats while the alarm
 * stays in ALARM, which it does through the whole GPU cold start (instance launch, boot, image
 * pull) because RunningTaskCount stays 0. The caller knows at once that it sent work.
 *
 * Exact capacity: the desired count is set to `ceil(inputs / targetInputs)` (at most
 * `maxContainers`), never incremented, and only while it is 0, so repeated or concurrent wakes
 * cannot walk it up; target tracking on backlog per task keeps owning 1 -> N and N -> 0. The stack's
 * alarm stays as the path for inputs nobody woke the unit for (schedules, redrives), with an
 * ExactCapacity step of 1 (provider/aws/autoscaling.ts).
 *
 * A wake is best effort: an error is logged and the call goes on (the alarm path still starts a
 * task). The grant is ecs:DescribeServices and ecs:UpdateService on the stack's services (iam.ts).
 *
 * A unit `gantry stop` stopped (its service tagged `gantry:stopped`, runtime/aws/ops/stopped.ts) is
 * not woken: its inputs wait on its queue until `gantry start`.
 */
import type { CommandSender } from "./clients.ts";
import { stoppedTagOf } from "./ops/stopped.ts";

/** What a caller knows of a unit to wake it. */
export interface WakeTarget {
  /** Application Auto Scaling's id of the unit's service: `service/<cluster>/<service>` */
  resourceId: string;
  /** inputs one container is sized for (the unit's targetInputs) */
  targetInputs: number;
  maxContainers: number;
}

/** Inputs sent within this window are counted into one wake (a `.map` sends many at once). */
export const WAKE_GATHER_MS = 20;
/** After a unit was seen awake (or woken), callers skip the check this long. */
export const AWAKE_RECHECK_MS = 20_000;

export interface WakerOptions {
  targets: Record<string, WakeTarget>;
  /** the ECS client, loaded on first use */
  ecs: () => Promise<CommandSender>;
  log?: (message: string) => void;
  now?: () => number;
}

interface Pending {
  inputs: number;
  done: Promise<void>;
}

export class Waker {
  private readonly awakeUntil = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
  private readonly now: () => number;

  constructor(private readonly options: WakerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** After `inputs` were put on `unit`'s queue. Resolves when the wake (if any) was sent; never throws. */
  wake(unit: string, inputs = 1): Promise<void> {
    const target = this.options.targets[unit];
    if (!target || this.now() < (this.awakeUntil.get(unit) ?? 0)) return Promise.resolve();
    const pending = this.pending.get(unit);
    if (pending) {
      pending.inputs += inputs;
      return pending.done;
    }
    const next: Pending = { inputs, done: Promise.resolve() };
    next.done = new Promise<void>((resolve) => setTimeout(resolve, WAKE_GATHER_MS))
      .then(() => {
        this.pending.delete(unit);
        return this.send(unit, target, next.inputs);
      })
      .catch((err: unknown) => this.options.log?.(`could not wake ${unit}: ${(err as Error).message ?? String(err)}`));
    this.pending.set(unit, next);
    return next.done;
  }

  private async send(unit: string, target: WakeTarget, inputs: number): Promise<void> {
    const [, cluster, service] = target.resourceId.split("/");
    const ecs = await this.options.ecs();
    const { DescribeServicesCommand, UpdateServiceCommand } = await import("@aws-sdk/client-ecs");
    const described = await ecs.send(new DescribeServicesCommand({ cluster, services: [service], include: ["TAGS"] }));
    const current = described.services?.[0];
    if (!current) throw new Error(`ECS has no service ${service} in cluster ${cluster}`);
    if (stoppedTagOf(current.tags) !== undefined) {
      this.options.log?.(`${unit} is stopped (gantry stop): its inputs wait on its queue until gantry start`);
    } else if ((current.desiredCount ?? 0) === 0) {
      const desiredCount = wakeCount(target, inputs);
      await ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount }));
      this.options.log?.(`woke ${unit}: desired count 0 -> ${desiredCount} for ${inputs} input(s)`);
    }
    this.awakeUntil.set(unit, this.now() + AWAKE_RECHECK_MS);
  }
}

/** Containers `inputs` need: `ceil(inputs / targetInputs)`, between 1 and `maxContainers`. */
export function wakeCount(target: Pick<WakeTarget, "targetInputs" | "maxContainers">, inputs: number): number {
  return Math.max(1, Math.min(target.maxContainers, Math.ceil(inputs / Math.max(1, target.targetInputs))));
}

/** An ECS client for this process's region and credentials (`AWS_ENDPOINT_URL_ECS` for tests). */
export async function loadEcsClient(): Promise<CommandSender> {
  const { ECSClient } = await import("@aws-sdk/client-ecs");
  return new ECSClient({ region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1" });
}
