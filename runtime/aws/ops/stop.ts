/**
 * `gantry stop` / `gantry start` on AWS: every unit of a deployed app to zero containers with its
 * schedules paused, and back, without touching state (queues and the inputs on them, results,
 * Dicts, Queues, volumes, secrets, images stay).
 *
 * Stop, per unit: the service is tagged `gantry:stopped` with what it was (stopped.ts) *first*, so
 * an interrupted stop still leaves what start needs and the waker stops waking it at once; then
 * its scalable target's bounds go to 0/0 (target tracking and the from-zero alarm can no longer
 * raise it), its desired count to 0 (the tasks drain: SIGTERM, `@exit` runs), and its enabled
 * schedules are disabled. Start: bounds and desired count back, the paused schedules enabled,
 * and the tag removed *last*. Each step is skipped when it is already so, so both verbs can be run
 * again (after an interruption, or twice) and a second stop never overwrites the first's record.
 *
 * Schedules have Pulumi auto-names (`<unit slug>-<cron|rate|day-of-month|day-of-week>-<suffix>`,
 * provider/aws/schedule.ts) in the default group, so they are listed by that prefix and told
 * apart from other stacks' (same logical names) by their target: the unit's queue ARN.
 * UpdateSchedule replaces the whole schedule, so it is read first and written back with only its
 * state changed; passing its target's role needs iam:PassRole on that role.
 */
import { AwsAccessError, accessErrorOf, attempt } from "../access.ts";
import type { CommandSender } from "../clients.ts";
import { decodeStopped, encodeStopped, stoppedTagOf, STOPPED_TAG, type StoppedRecord } from "./stopped.ts";

export interface StopClients {
  ecs: CommandSender;
  autoscaling: CommandSender;
  scheduler: CommandSender;
}

/** A deployed unit as the stack's contract names it (runtime/aws/stack.ts `describeDeployedApp`). */
export interface StopTarget {
  unit: string;
  /** `service/<cluster>/<service>` */
  resourceId: string;
  /** the unit's queue, which its schedules (if any) send to */
  queueArn?: string;
}

export type StopAction = "stopped" | "already stopped" | "started" | "not stopped" | "not deployed";

export interface UnitOutcome {
  unit: string;
  action: StopAction;
  /** what the unit was before the stop (stop), or what it got back (start) */
  record?: StoppedRecord;
  /** each change made, in words */
  changes: string[];
}

const NAMESPACE = "ecs";
const DIMENSION = "ecs:service:DesiredCount";

interface Service {
  serviceArn?: string;
  serviceName?: string;
  status?: string;
  desiredCount?: number;
  tags?: Array<{ key?: string; value?: string }>;
}

interface ScalableTarget { ResourceId?: string; MinCapacity?: number; MaxCapacity?: number }

interface ScheduleSummary { Name?: string; GroupName?: string; State?: string; Target?: { Arn?: string } }

const serviceOf = (resourceId: string) => {
  const [, cluster, service] = resourceId.split("/");
  return { cluster, service };
};

/** The services, by name, of one cluster (DescribeServices takes 10 at a time). */
async function describeServices(ecs: CommandSender, cluster: string, names: string[]): Promise<Map<string, Service>> {
  const { DescribeServicesCommand } = await import("@aws-sdk/client-ecs");
  const out = new Map<string, Service>();
  for (let i = 0; i < names.length; i += 10) {
    const chunk = names.slice(i, i + 10);
    const described: { services?: Service[] } = await attempt("ecs:DescribeServices", `services ${chunk.join(", ")} of cluster ${cluster}`, () =>
      ecs.send(new DescribeServicesCommand({ cluster, services: chunk, include: ["TAGS"] })));
    for (const s of described.services ?? []) if (s.serviceName && s.status !== "INACTIVE") out.set(s.serviceName, s);
  }
  return out;
}

async function describeTargets(autoscaling: CommandSender, resourceIds: string[]): Promise<Map<string, ScalableTarget>> {
  const { DescribeScalableTargetsCommand } = await import("@aws-sdk/client-application-auto-scaling");
  const out = new Map<string, ScalableTarget>();
  for (let i = 0; i < resourceIds.length; i += 50) {
    const chunk = resourceIds.slice(i, i + 50);
    let next: string | undefined;
    do {
      const page: { ScalableTargets?: ScalableTarget[]; NextToken?: string } = await attempt("application-autoscaling:DescribeScalableTargets", `the services' scalable targets`, () =>
        autoscaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: NAMESPACE, ScalableDimension: DIMENSION, ResourceIds: chunk, ...(next ? { NextToken: next } : {}) })));
      for (const t of page.ScalableTargets ?? []) if (t.ResourceId) out.set(t.ResourceId, t);
      next = page.NextToken;
    } while (next);
  }
  return out;
}

/** The unit's schedules: named after its service (its slug), sending to its queue. */
async function schedulesOf(scheduler: CommandSender, service: string, queueArn: string | undefined): Promise<ScheduleSummary[]> {
  if (!queueArn) return [];
  const { ListSchedulesCommand } = await import("@aws-sdk/client-scheduler");
  const found: ScheduleSummary[] = [];
  let next: string | undefined;
  do {
    const page: { Schedules?: ScheduleSummary[]; NextToken?: string } = await attempt("scheduler:ListSchedules", `schedules named ${service}-*`, () =>
      scheduler.send(new ListSchedulesCommand({ NamePrefix: `${service}-`, ...(next ? { NextToken: next } : {}) })));
    found.push(...(page.Schedules ?? []).filter((s) => s.Target?.Arn === queueArn && s.Name));
    next = page.NextToken;
  } while (next);
  return found;
}

/**
 * Reads the schedule and writes it back with `state`: "missing" when it no longer exists.
 * Every field UpdateSchedule takes is copied: it resets the ones left out.
 */
async function setScheduleState(scheduler: CommandSender, name: string, group: string | undefined, state: "ENABLED" | "DISABLED"): Promise<"changed" | "unchanged" | "missing"> {
  const { GetScheduleCommand, UpdateScheduleCommand } = await import("@aws-sdk/client-scheduler");
  const where = `schedule ${name}`;
  let current: Record<string, unknown> & { State?: string; Target?: { RoleArn?: string } };
  try {
    current = await attempt("scheduler:GetSchedule", where, () => scheduler.send(new GetScheduleCommand({ Name: name, ...(group ? { GroupName: group } : {}) })));
  } catch (err) {
    if (err instanceof Error && err.name === "ResourceNotFoundException") return "missing";
    throw err;
  }
  if (current.State === state) return "unchanged";
  const fields = ["Name", "GroupName", "ScheduleExpression", "StartDate", "EndDate", "Description", "ScheduleExpressionTimezone", "KmsKeyArn", "Target", "FlexibleTimeWindow", "ActionAfterCompletion"] as const;
  const input: Record<string, unknown> = {};
  for (const f of fields) if (current[f] !== undefined && current[f] !== null) input[f] = current[f];
  input.State = state;
  const role = current.Target?.RoleArn ?? "(its target's role)";
  try {
    await scheduler.send(new UpdateScheduleCommand(input as never));
  } catch (err) {
    // UpdateSchedule passes the target's role again: a caller without iam:PassRole on it is refused
    if (err instanceof Error && /iam:PassRole/i.test(err.message)) {
      throw new AwsAccessError(`permission missing: updating ${where} passes its role ${role} to EventBridge Scheduler; grant iam:PassRole on ${role} (with scheduler:UpdateSchedule) to the caller (AWS said: ${err.message})`, "denied");
    }
    throw accessErrorOf(err, "scheduler:UpdateSchedule", `${where} (it also needs iam:PassRole on its role ${role})`) ?? err;
  }
  return "changed";
}

async function registerBounds(autoscaling: CommandSender, resourceId: string, min: number, max: number): Promise<void> {
  const { RegisterScalableTargetCommand } = await import("@aws-sdk/client-application-auto-scaling");
  await attempt("application-autoscaling:RegisterScalableTarget", `scalable target ${resourceId}`, () =>
    autoscaling.send(new RegisterScalableTargetCommand({ ServiceNamespace: NAMESPACE, ScalableDimension: DIMENSION, ResourceId: resourceId, MinCapacity: min, MaxCapacity: max })));
}

async function setDesired(ecs: CommandSender, resourceId: string, desiredCount: number): Promise<void> {
  const { UpdateServiceCommand } = await import("@aws-sdk/client-ecs");
  const { cluster, service } = serviceOf(resourceId);
  await attempt("ecs:UpdateService", `service ${cluster}/${service}`, () => ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount })));
}

async function tag(ecs: CommandSender, service: Service, value: string): Promise<void> {
  const { TagResourceCommand } = await import("@aws-sdk/client-ecs");
  await attempt("ecs:TagResource", `service ${service.serviceArn}`, () =>
    ecs.send(new TagResourceCommand({ resourceArn: service.serviceArn, tags: [{ key: STOPPED_TAG, value }] })));
}

async function untag(ecs: CommandSender, service: Service): Promise<void> {
  const { UntagResourceCommand } = await import("@aws-sdk/client-ecs");
  await attempt("ecs:UntagResource", `service ${service.serviceArn}`, () =>
    ecs.send(new UntagResourceCommand({ resourceArn: service.serviceArn, tagKeys: [STOPPED_TAG] })));
}

interface Observed {
  services: Map<string, Service>;
  targets: Map<string, ScalableTarget>;
}

/** What ECS and Application Auto Scaling say of the units now (a few calls for all of them). */
async function observe(clients: StopClients, units: StopTarget[]): Promise<Observed> {
  const byCluster = new Map<string, string[]>();
  for (const u of units) {
    const { cluster, service } = serviceOf(u.resourceId);
    byCluster.set(cluster, [...(byCluster.get(cluster) ?? []), service]);
  }
  const services = new Map<string, Service>();
  for (const [cluster, names] of byCluster) {
    for (const [name, s] of await describeServices(clients.ecs, cluster, names)) services.set(`service/${cluster}/${name}`, s);
  }
  const targets = await describeTargets(clients.autoscaling, units.map((u) => u.resourceId));
  return { services, targets };
}

/** The service's record; a tag gantry cannot read is an error naming the service (never guessed around). */
function recordOf(service: Service, value: string): StoppedRecord {
  try {
    return decodeStopped(value);
  } catch (err) {
    throw new AwsAccessError(`${service.serviceArn ?? service.serviceName}: ${(err as Error).message}; fix or remove the tag by hand`, "missing");
  }
}

const isoSecond = (d: Date) => d.toISOString().replace(/\.\d+Z$/, "Z");

export interface StopOptions {
  now?: () => Date;
  /** each unit's outcome as soon as it is done */
  onUnit?: (outcome: UnitOutcome) => void;
}

export async function stopUnits(clients: StopClients, units: StopTarget[], options: StopOptions = {}): Promise<UnitOutcome[]> {
  const { services, targets } = await observe(clients, units);
  const outcomes: UnitOutcome[] = [];
  for (const u of units) {
    const service = services.get(u.resourceId);
    const changes: string[] = [];
    if (!service) {
      outcomes.push({ unit: u.unit, action: "not deployed", changes });
      options.onUnit?.(outcomes.at(-1)!);
      continue;
    }
    const target = targets.get(u.resourceId);
    const schedules = await schedulesOf(clients.scheduler, serviceOf(u.resourceId).service, u.queueArn);
    const enabled = schedules.filter((s) => s.State === "ENABLED");
    const existing = stoppedTagOf(service.tags);
    let record: StoppedRecord;
    let action: StopAction;
    if (existing !== undefined) {
      // a second stop (or one resumed after an interruption) keeps the first record
      record = recordOf(service, existing);
      action = "already stopped";
      const extra = enabled.map((s) => s.Name!).filter((n) => !record.schedules.includes(n));
      if (extra.length) {
        record = { ...record, schedules: [...record.schedules, ...extra] };
        await tag(clients.ecs, service, encodeStopped(record));
      }
    } else {
      record = {
        ...(target ? { min: target.MinCapacity ?? 0, max: target.MaxCapacity ?? 0 } : {}),
        desired: service.desiredCount ?? 0,
        schedules: enabled.map((s) => s.Name!),
        at: isoSecond(options.now?.() ?? new Date()),
      };
      await tag(clients.ecs, service, encodeStopped(record));
      action = "stopped";
    }
    if (target && (target.MinCapacity !== 0 || target.MaxCapacity !== 0)) {
      await registerBounds(clients.autoscaling, u.resourceId, 0, 0);
      changes.push(`scaling ${target.MinCapacity}..${target.MaxCapacity} -> 0..0`);
    }
    if ((service.desiredCount ?? 0) !== 0) {
      await setDesired(clients.ecs, u.resourceId, 0);
      changes.push(`desired ${service.desiredCount} -> 0`);
    }
    for (const s of enabled) {
      if (await setScheduleState(clients.scheduler, s.Name!, s.GroupName, "DISABLED") === "changed") changes.push(`schedule ${s.Name} paused`);
    }
    outcomes.push({ unit: u.unit, action, record, changes });
    options.onUnit?.(outcomes.at(-1)!);
  }
  return outcomes;
}

export async function startUnits(clients: StopClients, units: StopTarget[], options: StopOptions = {}): Promise<UnitOutcome[]> {
  const { services, targets } = await observe(clients, units);
  const outcomes: UnitOutcome[] = [];
  for (const u of units) {
    const service = services.get(u.resourceId);
    const changes: string[] = [];
    const existing = service ? stoppedTagOf(service.tags) : undefined;
    if (!service || existing === undefined) {
      outcomes.push({ unit: u.unit, action: service ? "not stopped" : "not deployed", changes });
      options.onUnit?.(outcomes.at(-1)!);
      continue;
    }
    const record = recordOf(service, existing);
    const target = targets.get(u.resourceId);
    if (target && record.min !== undefined && record.max !== undefined && (target.MinCapacity !== record.min || target.MaxCapacity !== record.max)) {
      await registerBounds(clients.autoscaling, u.resourceId, record.min, record.max);
      changes.push(`scaling ${target.MinCapacity}..${target.MaxCapacity} -> ${record.min}..${record.max}`);
    }
    const desired = Math.min(record.max ?? Infinity, Math.max(record.min ?? 0, record.desired));
    if ((service.desiredCount ?? 0) !== desired) {
      await setDesired(clients.ecs, u.resourceId, desired);
      changes.push(`desired ${service.desiredCount ?? 0} -> ${desired}`);
    }
    for (const name of record.schedules) {
      const done = await setScheduleState(clients.scheduler, name, undefined, "ENABLED");
      if (done === "changed") changes.push(`schedule ${name} resumed`);
      if (done === "missing") changes.push(`schedule ${name} no longer exists (removed by a deploy?): nothing to resume`);
    }
    await untag(clients.ecs, service);
    outcomes.push({ unit: u.unit, action: "started", record, changes });
    options.onUnit?.(outcomes.at(-1)!);
  }
  return outcomes;
}
