/**
 * `gantry status <app.ts> [--stack NAME] [--json]`: what is running. With `--stack`, per unit of
 * the deployed stack: containers desired/running, backlog, in flight, dead-lettered, schedules,
 * the deployed spec hash and images against the code's, and the cost so far this month next to
 * the plan's range (cli/aws-status.ts). Without, the running `gantry serve` of the app: its pools
 * and containers, what they hold, and the schedules' last and next runs.
 * Exit 0; 1 when no server runs / AWS refuses (the message names the permission); 2 usage errors.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../main.ts";
import { formatAge, table } from "../ops-format.ts";
import type { ObserveDeps } from "../observe-clients.ts";
import type { ServeStatus } from "../../runtime/serve/ops.ts";

export interface StatusFlags {
  stack?: string;
  json?: boolean;
  region?: string;
  cost?: boolean;
  /** a kubernetes stack's Redis */
  redisUrl?: string;
}

export const STATUS_IAM = [
  "ecs:DescribeTaskDefinition (to find each unit), ecs:DescribeServices on the units' services",
  "sqs:GetQueueAttributes on the units' queues and dead-letter queues",
  "scheduler:ListSchedules, scheduler:GetSchedule (units with a schedule), dynamodb:GetItem on the results table (the last scheduled run)",
  "ce:GetCostAndUsage (optional: the cost so far; needs the gantry:app and gantry:stack cost allocation tags activated)",
];

export function register(program: Command): void {
  program
    .command("status")
    .description("what is running: containers, backlog, in flight, dead letters, schedules, deployed vs code, cost so far (a deployed stack, or a running gantry serve)")
    .argument("<app>", "the app file, e.g. examples/hello/app.ts")
    .option("--stack <name>", "the deployed stack (without it: the running gantry serve of the app)")
    .option("--json", "print the status as JSON")
    .option("--no-cost", "do not ask Cost Explorer (it charges $0.01 per request)")
    .option("--region <region>", "the AWS region (default: aws:region of Pulumi.<stack>.yaml, then AWS_REGION / the profile)")
    .option("--redis-url <url>", "a kubernetes stack's Redis (default: GANTRY_REDIS_URL, then gantry:kubernetes.redis.url)")
    .addHelpText("after", `
Without --stack, the running \`gantry serve\` of the app answers: each pool (a function, class or
variant; pools of an earlier version finishing after a reload are marked "retiring") with its
containers and the calls they hold, the queued, retrying and failed calls (failed: no attempts
left, what a deployed unit dead-letters), and each schedule's last and next run.

With --stack, AWS credentials (default chain) allowed:
${STATUS_IAM.map((l) => `  ${l}`).join("\n")}

On a kubernetes stack (gantry:target: kubernetes): per unit, the inputs waiting, running, retrying
and dead-lettered in the stack's Redis, as its read-only user gantry-keda (GANTRY_REDIS_USER /
GANTRY_REDIS_PASSWORD; the password is in the Secret redis-user-keda of the stack's namespace).
The Redis the stack runs is reached with kubectl port-forward -n <namespace> svc/redis 6379:6379
and --redis-url redis://127.0.0.1:6379. Containers (each unit's Deployment, desired and ready, and
whether gantry stop holds it) come from the kubeconfig's API server (list deployments.apps and
scaledobjects.keda.sh in the namespace); without one, status says why.

Examples:
  gantry status app.ts
  gantry status app.ts --stack prod
  gantry status app.ts --stack prod --json --no-cost`)
    .action((app: string, flags: StatusFlags) => statusCommand(app, flags));
}

export async function statusCommand(app: string, flags: StatusFlags, deps: ObserveDeps = {}): Promise<void> {
  if (flags.stack !== undefined) {
    const { awsStatus } = await import("../aws-status.ts");
    return awsStatus(app, { ...flags, stack: flags.stack }, deps);
  }
  if (flags.region !== undefined || flags.redisUrl !== undefined) throw new UsageError(`${flags.region !== undefined ? "--region" : "--redis-url"} needs --stack (without it, gantry status reads the local gantry serve)`);
  const out = deps.out ?? ((t: string) => void process.stdout.write(t));
  const err = deps.err ?? ((t: string) => void process.stderr.write(t));
  const { findServer, serverStatus, NoServerError } = await import("../../runtime/serve/ops-client.ts");
  try {
    const status = await serverStatus(findServer(resolve(app)));
    out(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatServeStatus(status));
  } catch (e) {
    if (!(e instanceof NoServerError)) throw e;
    err(`gantry status: ${e.message}\n`);
    process.exitCode = 1;
  }
}

export function formatServeStatus(s: ServeStatus, now = Date.now()): string {
  let text = `${s.app}: gantry serve at ${s.url} (pid ${s.pid}, up ${formatAge(now - Date.parse(s.startedAt))})\n`;
  if (s.pools.length === 0) text += "\n  no containers yet (pools start at the first call, or with minContainers)\n";
  else {
    const rows = [["POOL", "CONTAINERS", "READY", "IN FLIGHT", "QUEUED", "RETRYING", "FAILED"]];
    for (const p of s.pools) {
      rows.push([`${p.pool}${p.retiring ? " (retiring)" : ""}`, String(p.containers.length), String(p.ready), String(p.running), String(p.queued), String(p.retrying), String(p.failed)]);
    }
    text += `\n${table(rows)}`;
    const containers = s.pools.flatMap((p) => p.containers);
    if (containers.length) {
      const crow = [["CONTAINER", "STATE", "PID", "UP", "CALLS"]];
      for (const c of containers) {
        crow.push([c.label, c.state, String(c.pid), c.readyAt === null ? "-" : formatAge(now - c.readyAt), c.calls.join(" ") || "-"]);
      }
      text += `\n${table(crow)}`;
    }
  }
  if (s.schedules.length) {
    const rows = [["SCHEDULE", "ON", "LAST RUN", "NEXT RUN"]];
    for (const j of s.schedules) {
      const last = j.last ? `${j.last.at} ${j.last.ok ? "ok" : "failed"} (${j.last.ms} ms): ${j.last.summary}` : "-";
      rows.push([j.name, j.schedule, last, j.next ?? "-"]);
    }
    text += `\n${table(rows)}`;
  }
  return text;
}
