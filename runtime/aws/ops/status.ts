/**
 * `gantry status --stack`: what a deployed stack runs, read from AWS per unit.
 *
 * - the unit's task definition (runtime/aws/ops/deployed.ts): its contract (spec hash, queues,
 *   the ECS service behind `scalingTargets`) and the image it runs;
 * - ECS DescribeServices (one call per cluster, ten services a call): desired / running / pending
 *   tasks and the rollout state of the newest deployment;
 * - SQS GetQueueAttributes: backlog (visible + delayed), in flight (not visible) and the
 *   dead-letter queue's depth (all approximate, as SQS counts them);
 * - for a unit with a schedule: Scheduler ListSchedules (the schedules are auto-named from the unit's
 *   slug, so the list is filtered on the target queue's ARN) and GetSchedule for its expression
 *   and state; the last run is the call of the previous fire time (`<fn>:@sched:<time>`, call-keys.ts, the id
 *   provider/aws/schedule.ts gives it) in the results table; the next from the code's schedule.
 * - Cost Explorer GetCostAndUsage for this month, filtered on the stack's `gantry:app` and
 *   `gantry:stack` tags, grouped by `gantry:declaration` (cli/aws-status.ts, costSoFar below).
 * A permission the caller lacks fails only its own column, named in `problems`; missing credentials
 * fail the whole read (AwsAccessError).
 */
import { Cron } from "croner";
import type { ScheduleSpec } from "../../../synth/spec.ts";
import { nextRuns } from "../../serve/schedules.ts";
import { attempt, AwsAccessError } from "../access.ts";
import { scheduleCallId } from "../call-keys.ts";
import type { CommandSender } from "../clients.ts";
import { queueArnOf } from "../stack.ts";
import { describeUnit } from "./deployed.ts";

export interface StatusClients {
  ecs: CommandSender;
  sqs: CommandSender;
  /** a DynamoDB document client */
  ddb: CommandSender;
  scheduler: CommandSender;
}

export interface UnitRefWithSchedule {
  unit: string;
  slug: string;
  /** the function name a schedule calls */
  name: string;
  schedule: ScheduleSpec | null;
}

export interface ServiceCounts {
  service: string;
  cluster: string;
  status: string | null;
  desired: number;
  running: number;
  pending: number;
  /** the newest deployment's rollout state (IN_PROGRESS, COMPLETED, FAILED) */
  rollout: string | null;
}

export interface QueueCounts {
  backlog: number;
  inFlight: number;
  deadLettered: number;
}

export interface DeployedSchedule {
  name: string;
  groupName: string;
  expression: string;
  timezone: string;
  state: string;
}

export interface ScheduleStatus {
  /** what code says (`cron "0 6 * * *" (Europe/Paris)`, `every 6 h`) */
  schedules: DeployedSchedule[];
  /** the previous fire time by the code's schedule and what became of its call (null: no such call recorded) */
  last: { at: string; callId: string; status: string | null } | null;
  next: string | null;
}

export interface UnitStatus {
  unit: string;
  deployed: boolean;
  specHash: string | null;
  image: string | null;
  revision: number | null;
  service: ServiceCounts | null;
  queues: QueueCounts | null;
  schedule: ScheduleStatus | null;
  /** what could not be read for this unit, each naming the missing permission or resource */
  problems: string[];
}

export async function readUnitStatuses(clients: StatusClients, ref: { app: string; stack: string }, units: UnitRefWithSchedule[], options: { now?: number; onStep?: (done: string) => void } = {}): Promise<UnitStatus[]> {
  const now = options.now ?? Date.now();
  // 1. task definitions (one each; a unit not deployed is reported, not fatal)
  const described = await Promise.all(units.map(async (u) => {
    try {
      const d = await describeUnit(clients.ecs, { app: ref.app, stack: ref.stack, unit: u.unit, slug: u.slug });
      return { u, d, problem: null as string | null };
    } catch (e) {
      if (!(e instanceof AwsAccessError) || e.reason === "credentials" || e.reason === "region") throw e;
      return { u, d: null, problem: e.message };
    } finally {
      options.onStep?.(`${u.unit}: task definition`);
    }
  }));
  const statuses: UnitStatus[] = described.map(({ u, d, problem }) => ({
    unit: u.unit, deployed: d !== null, specHash: d?.deployed.contract.specHash ?? null, image: d?.facts.image ?? null,
    revision: d?.facts.revision ?? null, service: null, queues: null, schedule: null, problems: problem ? [problem] : [],
  }));

  // 2. services, per cluster
  const byCluster = new Map<string, Array<{ status: UnitStatus; service: string }>>();
  for (const [i, { d }] of described.entries()) {
    const target = d?.deployed.transport.scalingTargets[units[i].unit];
    const m = target ? /^service\/([^/]+)\/(.+)$/.exec(target) : null;
    if (!m) continue;
    byCluster.set(m[1], [...(byCluster.get(m[1]) ?? []), { status: statuses[i], service: m[2] }]);
  }
  const { DescribeServicesCommand } = await import("@aws-sdk/client-ecs");
  await Promise.all([...byCluster].flatMap(([cluster, entries]) => chunks(entries, 10).map(async (chunk) => {
    const names = chunk.map((c) => c.service);
    try {
      const out = (await attempt("ecs:DescribeServices", `services ${names.join(", ")} in cluster ${cluster}`, () =>
        clients.ecs.send(new DescribeServicesCommand({ cluster, services: names })))) as {
        services?: Array<{ serviceName?: string; status?: string; desiredCount?: number; runningCount?: number; pendingCount?: number; deployments?: Array<{ status?: string; rolloutState?: string; createdAt?: Date }> }>;
        failures?: Array<{ arn?: string; reason?: string }>;
      };
      for (const c of chunk) {
        const s = out.services?.find((x) => x.serviceName === c.service);
        if (!s) {
          const failure = out.failures?.find((f) => f.arn?.endsWith(`/${c.service}`));
          c.status.problems.push(`ECS service ${c.service} in cluster ${cluster}: ${failure?.reason ?? "not found"}`);
          continue;
        }
        const primary = s.deployments?.find((x) => x.status === "PRIMARY") ?? s.deployments?.[0];
        c.status.service = {
          service: c.service, cluster, status: s.status ?? null, desired: s.desiredCount ?? 0, running: s.runningCount ?? 0,
          pending: s.pendingCount ?? 0, rollout: primary?.rolloutState ?? null,
        };
      }
    } catch (e) {
      if (!(e instanceof AwsAccessError) || e.reason === "credentials") throw e;
      for (const c of chunk) c.status.problems.push(e.message);
    } finally {
      for (const c of chunk) options.onStep?.(`${c.status.unit}: service`);
    }
  })));

  // 3. queues and dead-letter queues
  const { GetQueueAttributesCommand } = await import("@aws-sdk/client-sqs");
  type AttributeName = NonNullable<ConstructorParameters<typeof GetQueueAttributesCommand>[0]["AttributeNames"]>[number];
  const attributes = async (url: string, names: AttributeName[]) => {
    const out = (await attempt("sqs:GetQueueAttributes", `queue ${url}`, () =>
      clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names })))) as { Attributes?: Record<string, string> };
    return (name: string) => Number(out.Attributes?.[name] ?? 0);
  };
  await Promise.all(described.map(async ({ d }, i) => {
    if (!d) return;
    const t = d.deployed.transport;
    try {
      const [queue, dlq] = await Promise.all([
        attributes(t.queueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessagesNotVisible"]),
        attributes(t.dlqUrl, ["ApproximateNumberOfMessages"]),
      ]);
      statuses[i].queues = {
        backlog: queue("ApproximateNumberOfMessages") + queue("ApproximateNumberOfMessagesDelayed"),
        inFlight: queue("ApproximateNumberOfMessagesNotVisible"),
        deadLettered: dlq("ApproximateNumberOfMessages"),
      };
    } catch (e) {
      if (!(e instanceof AwsAccessError) || e.reason === "credentials") throw e;
      statuses[i].problems.push(e.message);
    } finally {
      options.onStep?.(`${units[i].unit}: queues`);
    }
  }));

  // 4. schedules
  await Promise.all(described.map(async ({ u, d }, i) => {
    if (!d || !u.schedule) return;
    try {
      statuses[i].schedule = await readSchedule(clients, u, d.deployed.transport.queueUrl, d.deployed.transport.resultsTable, now);
    } catch (e) {
      if (!(e instanceof AwsAccessError) || e.reason === "credentials") throw e;
      statuses[i].problems.push(e.message);
    } finally {
      options.onStep?.(`${u.unit}: schedule`);
    }
  }));
  return statuses;
}

async function readSchedule(clients: StatusClients, u: UnitRefWithSchedule, queueUrl: string, resultsTable: string, now: number): Promise<ScheduleStatus> {
  const { ListSchedulesCommand, GetScheduleCommand } = await import("@aws-sdk/client-scheduler");
  const queueArn = queueArnOf(queueUrl);
  const found: Array<{ Name?: string; GroupName?: string }> = [];
  let NextToken: string | undefined;
  do {
    const page = (await attempt("scheduler:ListSchedules", `schedules named ${u.slug}-*`, () =>
      clients.scheduler.send(new ListSchedulesCommand({ NamePrefix: `${u.slug}-`, ...(NextToken ? { NextToken } : {}) })))) as {
      Schedules?: Array<{ Name?: string; GroupName?: string; Target?: { Arn?: string } }>;
      NextToken?: string;
    };
    // other stacks' schedules of a unit with the same slug share the prefix: the target tells them apart
    found.push(...(page.Schedules ?? []).filter((s) => s.Target?.Arn === queueArn));
    NextToken = page.NextToken;
  } while (NextToken);
  const schedules: DeployedSchedule[] = [];
  for (const s of found.sort((a, b) => (a.Name ?? "").localeCompare(b.Name ?? ""))) {
    const out = (await attempt("scheduler:GetSchedule", `schedule ${s.Name}`, () =>
      clients.scheduler.send(new GetScheduleCommand({ Name: s.Name, GroupName: s.GroupName ?? "default" })))) as {
      Name?: string; GroupName?: string; ScheduleExpression?: string; ScheduleExpressionTimezone?: string; State?: string;
    };
    schedules.push({ name: out.Name ?? s.Name ?? "", groupName: out.GroupName ?? s.GroupName ?? "default", expression: out.ScheduleExpression ?? "", timezone: out.ScheduleExpressionTimezone ?? "UTC", state: out.State ?? "" });
  }
  const spec = u.schedule!;
  const next = schedules.some((s) => s.state === "ENABLED") && spec.kind === "cron" ? nextRuns(spec, new Date(now), 1)[0]?.toISOString() ?? null : null;
  const previous = spec.kind === "cron" ? new Cron(spec.expression, { timezone: spec.timezone, mode: "5-part", paused: true }).previousRuns(1, new Date(now))[0] ?? null : null;
  let last: ScheduleStatus["last"] = null;
  if (previous) {
    // the scheduled time as EventBridge Scheduler writes it: 2022-03-22T18:59:43Z
    const at = previous.toISOString().replace(/\.\d{3}Z$/, "Z");
    const callId = scheduleCallId(u.name, at);
    const { GetCommand } = await import("@aws-sdk/lib-dynamodb");
    const item = (await attempt("dynamodb:GetItem", `results table ${resultsTable}`, () =>
      clients.ddb.send(new GetCommand({ TableName: resultsTable, Key: { callId }, ProjectionExpression: "callId, #s", ExpressionAttributeNames: { "#s": "status" } })))) as { Item?: { status?: string } };
    last = { at, callId, status: item.Item?.status ?? null };
  }
  return { schedules, last, next };
}

export interface CostSoFar {
  start: string;
  end: string;
  currency: string;
  total: number;
  /** gantry:declaration tag value -> amount ("" for resources without it: shared infrastructure) */
  byDeclaration: Record<string, number>;
  estimated: boolean;
}

/** This month's cost of the resources tagged with the stack's app and stack (Cost Explorer). */
export async function costSoFar(ce: CommandSender, tags: { app: string; stack: string }, now = Date.now()): Promise<CostSoFar> {
  const { GetCostAndUsageCommand } = await import("@aws-sdk/client-cost-explorer");
  const today = new Date(now);
  const start = `${today.toISOString().slice(0, 8)}01`;
  // End is exclusive: tomorrow, so today's (partial) cost counts and Start < End on the 1st
  const end = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 1)).toISOString().slice(0, 10);
  const out = (await attempt("ce:GetCostAndUsage", "Cost Explorer", () => ce.send(new GetCostAndUsageCommand({
    TimePeriod: { Start: start, End: end },
    Granularity: "MONTHLY",
    Metrics: ["UnblendedCost"],
    Filter: {
      And: [
        { Tags: { Key: "gantry:app", Values: [tags.app], MatchOptions: ["EQUALS"] } },
        { Tags: { Key: "gantry:stack", Values: [tags.stack], MatchOptions: ["EQUALS"] } },
      ],
    },
    GroupBy: [{ Type: "TAG", Key: "gantry:declaration" }],
  })))) as {
    ResultsByTime?: Array<{ Estimated?: boolean; Groups?: Array<{ Keys?: string[]; Metrics?: Record<string, { Amount?: string; Unit?: string }> }> }>;
  };
  const byDeclaration: Record<string, number> = {};
  let total = 0;
  let currency = "USD";
  let estimated = false;
  for (const r of out.ResultsByTime ?? []) {
    estimated ||= !!r.Estimated;
    for (const g of r.Groups ?? []) {
      const metric = g.Metrics?.UnblendedCost;
      const amount = Number(metric?.Amount ?? 0);
      currency = metric?.Unit ?? currency;
      // group keys read "gantry:declaration$embed"; "gantry:declaration$" for untagged resources
      const key = (g.Keys?.[0] ?? "").replace(/^gantry:declaration\$/, "");
      byDeclaration[key] = (byDeclaration[key] ?? 0) + amount;
      total += amount;
    }
  }
  return { start, end, currency, total, byDeclaration, estimated };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
