/**
 * `gantry stop <app.ts> --stack NAME` (and `gantry start`, cli/commands/start.ts): every unit of
 * the deployed app to zero containers with its schedules paused, keeping all state, and back
 * (runtime/aws/ops/stop.ts). The units are found from a task definition (runtime/aws/stack.ts):
 * only AWS credentials are needed. Exit 0 (also when there was nothing to do), 1 when AWS refuses,
 * 2 on usage errors.
 */
import type { Command } from "commander";
import { opsClients, readOpsTarget, type OpsDeps } from "../ops-target.ts";
import type { UnitOutcome } from "../../runtime/aws/ops/stop.ts";
import { STOP_RBAC } from "../kubernetes-stop.ts";

export interface StopFlags { stack: string; region?: string }

export const STOP_IAM = [
  "ecs:DescribeTaskDefinition (to find the units)",
  "ecs:DescribeServices, ecs:UpdateService, ecs:TagResource, ecs:UntagResource on the stack's services (service/<cluster>/*)",
  "application-autoscaling:DescribeScalableTargets, application-autoscaling:RegisterScalableTarget",
  "scheduler:ListSchedules, scheduler:GetSchedule, scheduler:UpdateSchedule on the app's schedules",
  "iam:PassRole on the schedules' roles (UpdateSchedule passes each schedule's role again)",
];

const help = (verb: "stop" | "start") => `
${verb === "stop"
    ? `Per unit: its ECS service is tagged gantry:stopped with what it was (scaling bounds, desired
count, the schedules it had enabled), then its scalable target goes to 0..0, its desired count to
0 (running inputs drain, @exit hooks run) and its schedules are disabled. Nothing else changes:
queues keep their inputs (calls made while stopped wait, callers do not wake the units), and
results, Dicts, Queues, volumes and secrets stay. Running it again changes nothing and keeps the
first record. Undo with gantry start.`
    : `Per unit stopped by gantry stop: its scaling bounds and desired count come back as they were,
the schedules it paused are enabled again, and the gantry:stopped tag is removed last. Inputs that
waited on the queues run. Units not stopped are left alone; running it again changes nothing.`}

Needs AWS credentials (default chain) allowed:
${STOP_IAM.map((l) => `  ${l}`).join("\n")}

On a kubernetes stack (gantry:target: kubernetes): ${verb === "stop"
    ? `every unit's KEDA ScaledObject is paused at 0
replicas (annotation autoscaling.keda.sh/paused-replicas: "0"; web units too) and the stack's
CronJobs are suspended`
    : `the ScaledObjects and CronJobs gantry stop paused are resumed`}, each marked gantry.dev/stopped, through the API server of your
kubeconfig's current context (KUBECONFIG, else ~/.kube/config; exec plugins such as aws eks get-token
run as kubectl runs them). RBAC in the stack's namespace: ${STOP_RBAC.join("; ")}.

Examples:
  gantry ${verb} app.ts --stack staging
  gantry ${verb} app.ts --stack prod --region eu-west-1`;

export function registerVerb(program: Command, verb: "stop" | "start"): void {
  program
    .command(verb)
    .description(verb === "stop"
      ? "scale every unit of a deployed app to zero and pause its schedules, keeping all state (undo: gantry start)"
      : "undo gantry stop: scaling, desired counts and schedules back as they were")
    .argument("<app>", "the app file, e.g. examples/hello/app.ts")
    .requiredOption("--stack <name>", "the deployed stack")
    .option("--region <region>", "the AWS region (default: aws:region of Pulumi.<stack>.yaml, then AWS_REGION / the profile)")
    .addHelpText("after", help(verb))
    .action((app: string, flags: StopFlags) => stopStartCommand(verb, app, flags));
}

export function register(program: Command): void {
  registerVerb(program, "stop");
}

function line(o: UnitOutcome): string {
  const was = o.record && o.action !== "not stopped"
    ? ` (${o.record.min !== undefined ? `scaling ${o.record.min}..${o.record.max}, ` : ""}desired ${o.record.desired}${o.record.schedules.length ? `, schedules ${o.record.schedules.join(", ")}` : ""})`
    : "";
  const changes = o.changes.length ? `: ${o.changes.join("; ")}` : "";
  return `  ${o.unit.padEnd(24)} ${o.action}${was}${changes}\n`;
}

export async function stopStartCommand(verb: "stop" | "start", app: string, flags: StopFlags, deps: OpsDeps = {}): Promise<void> {
  const out = deps.out ?? ((t: string) => process.stdout.write(t));
  const err = deps.err ?? ((t: string) => process.stderr.write(t));
  const target = await readOpsTarget(app, flags.stack, flags.region, err, { name: verb, kubernetes: true });
  if (!target) return;
  if (target.kubernetes) {
    const { kubernetesStopStart } = await import("../kubernetes-stop.ts");
    return kubernetesStopStart(verb, target, target.kubernetes, { out, err });
  }
  const clients = await opsClients(target.region, deps.clients);
  const { AwsAccessError } = await import("../../runtime/aws/access.ts");
  const { describeDeployedApp, queueArnOf } = await import("../../runtime/aws/stack.ts");
  const { stopUnits, startUnits } = await import("../../runtime/aws/ops/stop.ts");
  const name = target.spec.app.name;
  try {
    const deployed = await describeDeployedApp(clients.ecs, { app: name, stack: target.stack, units: target.units.map((u) => ({ unit: u.id, slug: u.slug })) });
    const units = deployed.units.map((u) => ({ unit: u.unit, resourceId: u.resourceId, queueArn: u.queueUrl ? queueArnOf(u.queueUrl) : undefined }));
    out(`${verb === "stop" ? "stopping" : "starting"} ${name}, stack ${target.stack}: ${units.length} unit${units.length === 1 ? "" : "s"}\n`);
    const run = verb === "stop" ? stopUnits : startUnits;
    const outcomes = await run(clients, units, { onUnit: (o) => out(line(o)) });
    const done = outcomes.filter((o) => o.action === (verb === "stop" ? "stopped" : "started")).length;
    const already = outcomes.filter((o) => o.action === (verb === "stop" ? "already stopped" : "not stopped")).length;
    if (verb === "stop") {
      out(`stopped ${done}${already ? `, ${already} already stopped` : ""}; state is kept. Undo: gantry start ${target.appLabel} --stack ${target.stack}\n`);
    } else {
      out(`started ${done}${already ? `, ${already} not stopped` : ""}\n`);
    }
  } catch (e) {
    if (!(e instanceof AwsAccessError)) throw e;
    err(`gantry ${verb}: ${e.message}\n`);
    process.exitCode = 1;
  }
}
