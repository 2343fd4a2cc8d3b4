/**
 * `gantry logs <app.ts> [--stack NAME] [--function F] [--follow] [--since 1h] [--call ID] [--json]`:
 * the app's container output, merged in time order, each line prefixed with its container as
 * `gantry run` prints it, secret values masked. With `--stack`, from the stack's CloudWatch Logs
 * groups (runtime/aws/ops/logs.ts); without, from the running `gantry serve` of the app (its
 * recent output per container, runtime/serve/log-buffer.ts).
 * Exit 0; 1 when no server runs / AWS refuses (the message names the permission); 2 usage errors.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../main.ts";
import { formatLogLine, parseSince } from "../ops-format.ts";
import type { ObserveDeps } from "../observe-clients.ts";
import { LOGS_RBAC } from "../kubernetes-logs.ts";

export interface LogsFlags {
  stack?: string;
  function?: string;
  follow?: boolean;
  since?: string;
  call?: string;
  json?: boolean;
  region?: string;
}

export const LOGS_IAM = [
  "ecs:DescribeTaskDefinition (to find each unit and its log group)",
  "logs:FilterLogEvents on the units' log groups (/gantry/<app>/<stack>/<unit>)",
];

export function register(program: Command): void {
  program
    .command("logs")
    .description("the app's container logs, merged in time order, secrets masked (a deployed stack, or a running gantry serve)")
    .argument("<app>", "the app file, e.g. examples/hello/app.ts")
    .option("--stack <name>", "the deployed stack (without it: the running gantry serve of the app)")
    .option("--function <name>", "only this function's or class's containers (a variant id like 'Model[gpu=H100]' for one variant)")
    .option("--follow", "keep printing new lines until Ctrl-C")
    .option("--since <when>", "lines from this long ago (90s, 15m, 1h, 2d) or this ISO time (default: deployed 10m; locally all kept)")
    .option("--call <id>", "only lines printed while this call ran (its call id, e.g. from FunctionCall.objectId)")
    .option("--json", "one JSON object per line: time, container, text (and the stream and calls where known)")
    .option("--region <region>", "the AWS region (default: aws:region of Pulumi.<stack>.yaml, then AWS_REGION / the profile)")
    .addHelpText("after", `
Each line is "<time> [<container>] <text>". Locally the container is the pool's (square#1); deployed
it is the unit and its ECS task (square#3f9a1c2e). Secret values are masked as [secret].

Without --stack, the running \`gantry serve\` of the app answers: it keeps the last 1000 lines of
each container (the server record in .gantry/serve/ says where it listens).

With --stack, the lines come from CloudWatch Logs: AWS credentials (default chain) allowed:
${LOGS_IAM.map((l) => `  ${l}`).join("\n")}

On a kubernetes stack (gantry:target: kubernetes), the lines come from the pods' logs through the
API server of your kubeconfig's current context (KUBECONFIG, else ~/.kube/config): each unit's pods
(the container is the unit and the pod name's last part) and the gateway's (web). RBAC in the
stack's namespace: ${LOGS_RBAC.join("; ")}.

Examples:
  gantry logs app.ts --follow
  gantry logs app.ts --stack prod --function embed --since 1h
  gantry logs app.ts --stack prod --call square:main:fc-0b6c2c1e-... --json`)
    .action((app: string, flags: LogsFlags) => logsCommand(app, flags));
}

export async function logsCommand(app: string, flags: LogsFlags, deps: ObserveDeps = {}): Promise<void> {
  const sinceMs = flags.since !== undefined ? parseSince(flags.since, deps.now?.() ?? Date.now()) : undefined;
  if (flags.stack !== undefined) {
    const { awsLogs } = await import("../aws-logs.ts");
    return awsLogs(app, flags, sinceMs, deps);
  }
  if (flags.region !== undefined) throw new UsageError("--region needs --stack (without it, gantry logs reads the local gantry serve)");
  return localLogs(app, flags, sinceMs, deps);
}

async function localLogs(app: string, flags: LogsFlags, sinceMs: number | undefined, deps: ObserveDeps): Promise<void> {
  const out = deps.out ?? ((t: string) => void process.stdout.write(t));
  const err = deps.err ?? ((t: string) => void process.stderr.write(t));
  const file = resolve(app);
  const { findServer, serverLogs, serverStatus, NoServerError } = await import("../../runtime/serve/ops-client.ts");
  const { containerOf } = await import("../../runtime/serve/log-buffer.ts");
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  try {
    const record = findServer(file);
    if (flags.function !== undefined) {
      const pools = (await serverStatus(record)).pools;
      if (!pools.some((p) => containerOf(`${p.pool}#0`, flags.function!))) {
        throw new UsageError(`app ${record.app} has no function or class "${flags.function}" running in gantry serve; its pools: ${[...new Set(pools.map((p) => p.pool))].join(", ") || "(none yet)"}`);
      }
    }
    const query = {
      ...(flags.function !== undefined ? { fn: flags.function } : {}),
      ...(flags.call !== undefined ? { call: flags.call } : {}),
      ...(sinceMs !== undefined ? { sinceMs } : {}),
    };
    const print = (lines: Array<{ time: number; container: string; stream: "stdout" | "stderr"; text: string; calls: string[] }>) => {
      for (const line of lines) out(formatLogLine(line, !!flags.json));
    };
    let answer = await serverLogs(record, query);
    print(answer.lines);
    if (!flags.follow) return;
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    let after = answer.last;
    while (!controller.signal.aborted) {
      try {
        answer = await serverLogs(record, { ...query, after, waitMs: 25_000 }, controller.signal);
      } catch (e) {
        if (controller.signal.aborted) return;
        if (e instanceof NoServerError) {
          err(`gantry logs: gantry serve of ${app} stopped\n`);
          return;
        }
        throw e;
      }
      print(answer.lines);
      after = Math.max(after, answer.last);
    }
  } catch (e) {
    if (!(e instanceof NoServerError)) throw e;
    err(`gantry logs: ${e.message}\n`);
    process.exitCode = 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
