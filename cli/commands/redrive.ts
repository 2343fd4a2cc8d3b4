/**
 * `gantry redrive <app.ts> --stack NAME --function F [--limit N] [--dry-run]`: dead-lettered
 * inputs of F back on its queue for another try, after a fix (runtime/aws/ops/redrive.ts), printing
 * each one; safe to repeat. The unit is found from its ECS task definition (runtime/aws/stack.ts),
 * so only AWS credentials are needed: no Pulumi, no stack outputs.
 * Exit 0 (also when nothing was dead-lettered), 1 when AWS refuses, 2 on usage errors.
 */
import type { Command } from "commander";
import { UsageError } from "../main.ts";
import { opsClients, readOpsTarget, unitNamed, type OpsDeps } from "../ops-target.ts";
import type { RedriveEntry } from "../../runtime/aws/ops/redrive.ts";

interface RedriveFlags { stack: string; function: string; limit?: string; dryRun?: boolean; region?: string; redisUrl?: string }

export const REDRIVE_IAM = [
  "ecs:DescribeTaskDefinition (to find the unit)",
  "sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility on the unit's dead-letter queue",
  "sqs:SendMessage on the unit's queue",
  "dynamodb:GetItem, dynamodb:DeleteItem on the stack's results table",
  "ecs:DescribeServices, ecs:UpdateService on the unit's service (optional: wakes a unit at zero; else its alarm starts it within minutes)",
];

export function register(program: Command): void {
  program
    .command("redrive")
    .description("move a function's dead-lettered inputs back to its queue for another try (after a fix); safe to repeat")
    .argument("<app>", "the app file, e.g. examples/hello/app.ts")
    .requiredOption("--stack <name>", "the deployed stack")
    .requiredOption("--function <name>", "the function or class (or variant id, e.g. 'Model[gpu=H100]') whose dead-letter queue to drain")
    .option("--limit <n>", "move at most this many inputs")
    .option("--dry-run", "list what would move, change nothing")
    .option("--region <region>", "the AWS region (default: aws:region of Pulumi.<stack>.yaml, then AWS_REGION / the profile)")
    .option("--redis-url <url>", "a kubernetes stack's Redis (default: GANTRY_REDIS_URL, then gantry:kubernetes.redis.url)")
    .addHelpText("after", `
Each dead-lettered input's failed result is cleared first (a worker drops an input whose call
already ended), then its original message goes back on the queue with the same call id, so
FunctionCall.fromId(id).get() returns the new result. The retries start over. Inputs whose call
is pending (already redriven) or cancelled stay; those whose call succeeded meanwhile are deleted.
Running it again moves nothing new.

Needs AWS credentials (default chain) allowed:
${REDRIVE_IAM.map((l) => `  ${l}`).join("\n")}

On a kubernetes stack (gantry:target: kubernetes), the unit's dead stream in the stack's Redis,
as the unit's Redis user gantry-<unit> (GANTRY_REDIS_USER / GANTRY_REDIS_PASSWORD; its password is
in the Secret redis-user-<unit> of the stack's namespace). The Redis the stack runs is reached
with kubectl port-forward -n <namespace> svc/redis 6379:6379 and --redis-url redis://127.0.0.1:6379.

Examples:
  gantry redrive app.ts --stack prod --function embed --dry-run
  gantry redrive app.ts --stack prod --function embed --limit 100`)
    .action((app: string, flags: RedriveFlags) => redriveCommand(app, flags));
}

function limitOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--limit must be a whole number >= 1, not "${raw}"`);
  return n;
}

const when = (ms: number | null) => (ms === null ? "" : `, dead-lettered ${new Date(ms).toISOString().replace(/\.\d+Z$/, "Z")}`);

function line(e: RedriveEntry): string {
  const what = e.error ? `${e.error.name}: ${e.error.message}` : "no error recorded";
  const attempts = e.attempts === null ? "" : `${e.attempts} attempt${e.attempts === 1 ? "" : "s"}`;
  const detail = [attempts, when(e.deadLetteredAt).slice(2)].filter(Boolean).join(", ");
  const head = `  ${e.action.padEnd(10)} ${e.callId ?? `message ${e.messageId}`}`;
  return e.action === "moved" || e.action === "would move"
    ? `${head}  ${what}${detail ? ` (${detail})` : ""}\n`
    : `${head}  ${e.reason}\n`;
}

export async function redriveCommand(app: string, flags: RedriveFlags, deps: OpsDeps = {}): Promise<void> {
  const out = deps.out ?? ((t: string) => process.stdout.write(t));
  const err = deps.err ?? ((t: string) => process.stderr.write(t));
  const limit = limitOf(flags.limit);
  const target = await readOpsTarget(app, flags.stack, flags.region, err, { name: "redrive", kubernetes: true });
  if (!target) return;
  const unit = unitNamed(target, flags.function);
  const clients = await opsClients(target.region, deps.clients);
  const { AwsAccessError } = await import("../../runtime/aws/access.ts");
  const { describeDeployedUnit } = await import("../../runtime/aws/stack.ts");
  const { redrive } = await import("../../runtime/aws/ops/redrive.ts");
  if (target.kubernetes) {
    const { kubernetesRedrive } = await import("../kubernetes-ops.ts");
    const entries = await kubernetesRedrive(target, target.kubernetes, unit, { limit, dryRun: flags.dryRun, redisUrl: flags.redisUrl }, { out, err, line });
    if (entries) summarize(entries, unit.id, flags.dryRun, out);
    return;
  }
  if (flags.redisUrl !== undefined) throw new UsageError(`--redis-url is for kubernetes stacks; stack ${target.stack} deploys to aws`);
  try {
    const deployed = await describeDeployedUnit(clients.ecs, { app: target.spec.app.name, stack: target.stack, unit: unit.id, slug: unit.slug });
    const t = deployed.transport;
    out(`${flags.dryRun ? "dry run: " : ""}${unit.id} of ${target.spec.app.name}, stack ${target.stack}: dead-letter queue ${t.dlqUrl}\n`);
    const entries = await redrive({
      sqs: clients.sqs, ddb: clients.ddb, resultsTable: t.resultsTable, unit: unit.id,
      queueUrl: t.queueUrl, dlqUrl: t.dlqUrl, limit, dryRun: flags.dryRun, onEntry: (e) => out(line(e)),
    });
    const moved = summarize(entries, unit.id, flags.dryRun, out);
    if (moved > 0) await wake(deployed, unit.id, moved, clients.ecs, out);
  } catch (e) {
    if (!(e instanceof AwsAccessError)) throw e;
    err(`gantry redrive: ${e.message}\n`);
    process.exitCode = 1;
  }
}

/** The closing line of a run; returns how many inputs moved. */
function summarize(entries: RedriveEntry[], unit: string, dryRun: boolean | undefined, out: (t: string) => void): number {
  const count = (a: RedriveEntry["action"]) => entries.filter((e) => e.action === a).length;
  const n = (k: number, what = "input") => `${k} ${what}${k === 1 ? "" : "s"}`;
  if (entries.length === 0) {
    out(`no dead-lettered inputs: nothing to move\n`);
    return 0;
  }
  const rest = [count("dropped") && `${count("dropped")} dropped (already succeeded)`, count("skipped") && `${count("skipped")} left in the dead-letter queue`].filter(Boolean).join(", ");
  if (dryRun) {
    out(`would move ${n(count("would move"))} to ${unit}'s queue${rest ? `; ${rest}` : ""} (dry run: nothing changed)\n`);
    return 0;
  }
  out(`moved ${n(count("moved"))} to ${unit}'s queue${rest ? `; ${rest}` : ""}\n`);
  return count("moved");
}

/** Best effort, like every caller's wake: a unit at zero gets the containers the inputs need now. */
async function wake(deployed: import("../../runtime/aws/stack.ts").DeployedUnit, unit: string, inputs: number, ecs: import("../../runtime/aws/clients.ts").CommandSender, out: (t: string) => void): Promise<void> {
  const { wakeTargetsOf } = await import("../../runtime/aws/invoker.ts");
  const { Waker } = await import("../../runtime/aws/waker.ts");
  const targets = wakeTargetsOf(deployed.caller);
  if (!targets[unit]) return;
  let note = "";
  const waker = new Waker({ targets, ecs: async () => ecs, log: (m) => (note = m) });
  await waker.wake(unit, inputs);
  if (note) out(`  ${note}\n`);
}
