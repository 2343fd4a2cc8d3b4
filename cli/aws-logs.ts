/**
 * `gantry logs <app.ts> --stack NAME`: the deployed units' output from CloudWatch Logs
 * (runtime/aws/ops/logs.ts), in time order, each line prefixed with its container (unit and ECS
 * task), secret values masked (runtime/aws/ops/mask.ts). `--follow` polls until Ctrl-C.
 */
import { kebab } from "../provider/aws/names.ts";
import type { Unit } from "../provider/aws/units.ts";
import { UsageError } from "./main.ts";
import type { LogsFlags } from "./commands/logs.ts";
import { formatLogLine } from "./ops-format.ts";
import { readOpsTarget, type OpsTarget } from "./ops-target.ts";
import { observeClients, type ObserveDeps } from "./observe-clients.ts";
import type { LogSource } from "../runtime/aws/ops/logs.ts";

/** without --since: the last ten minutes */
export const DEFAULT_SINCE_MS = 10 * 60_000;

/** `--function F`: the unit with that id, or every unit (variant) of the declaration F. */
export function unitsNamed(target: OpsTarget, name: string): Unit[] {
  const exact = target.units.filter((u) => u.id === name);
  if (exact.length) return exact;
  const byName = target.units.filter((u) => u.name === name);
  if (byName.length) return byName;
  throw new UsageError(`app ${target.spec.app.name} (${target.appLabel}) has no function or class "${name}"; its units: ${target.units.map((u) => u.id).join(", ") || "(none)"}`);
}

export function logGroupOf(app: string, stack: string, unitSlug: string): string {
  return `/gantry/${kebab(app)}/${kebab(stack)}/${unitSlug}`;
}

export async function awsLogs(app: string, flags: LogsFlags, sinceMs: number | undefined, deps: ObserveDeps = {}): Promise<void> {
  const out = deps.out ?? ((t: string) => void process.stdout.write(t));
  const err = deps.err ?? ((t: string) => void process.stderr.write(t));
  if (flags.call !== undefined && !/^[\w./:@+=-]+$/.test(flags.call)) throw new UsageError(`--call: "${flags.call}" is not a call id`);
  const target = await readOpsTarget(app, flags.stack!, flags.region, err, { name: "logs", kubernetes: true });
  if (!target) return;
  if (target.kubernetes) {
    const { kubernetesLogs } = await import("./kubernetes-logs.ts");
    return kubernetesLogs(target, target.kubernetes, flags, sinceMs, { out, err, ...(deps.now ? { now: deps.now } : {}), ...(deps.signal ? { signal: deps.signal } : {}) });
  }
  const units = flags.function !== undefined ? unitsNamed(target, flags.function) : target.units;
  const clients = await observeClients(target.region, deps.clients);
  const now = deps.now?.() ?? Date.now();
  const startTime = sinceMs ?? now - DEFAULT_SINCE_MS;
  const { AwsAccessError } = await import("../runtime/aws/access.ts");
  const { describeUnit } = await import("../runtime/aws/ops/deployed.ts");
  const { stackSecretMask } = await import("../runtime/aws/ops/mask.ts");
  const { readLogs, followLogs } = await import("../runtime/aws/ops/logs.ts");
  const appName = target.spec.app.name;
  try {
    // the task definitions name the log groups and the secrets to mask
    const arns: string[] = [];
    const sources: LogSource[] = [];
    let cannotDescribe: string | null = null;
    for (const unit of units) {
      let logGroup = logGroupOf(appName, target.stack, unit.slug);
      try {
        const { deployed, facts } = await describeUnit(clients.ecs, { app: appName, stack: target.stack, unit: unit.id, slug: unit.slug });
        arns.push(...deployed.transport.secretArns, ...facts.secretArns, ...(deployed.transport.tokenSecretArn ? [deployed.transport.tokenSecretArn] : []));
        logGroup = facts.logGroup ?? logGroup;
      } catch (e) {
        if (!(e instanceof AwsAccessError) || e.reason === "credentials" || e.reason === "region") throw e;
        cannotDescribe ??= e.message;
      }
      sources.push({ label: unit.id, logGroup });
    }
    if (flags.function === undefined && target.units.some((u) => u.endpoints.length)) {
      sources.push({ label: "web", logGroup: logGroupOf(appName, target.stack, "gateway"), optional: true });
    }
    if (cannotDescribe) err(`gantry logs: not masking the values of the stack's Secrets Manager secrets (${cannotDescribe})\n`);
    const masking = await stackSecretMask(clients.secrets, arns, target.secretValues);
    for (const u of masking.unreadable) err(`gantry logs: not masking the values of ${u.arn} in your code's output: ${u.reason}\n`);
    const options = { startTime, mask: masking.mask, ...(flags.call !== undefined ? { filterPattern: `"${flags.call}"` } : {}) };
    const print = (line: { time: number; container: string; text: string }) => out(formatLogLine(line, !!flags.json));

    if (!flags.follow) {
      const lines = await readLogs(clients.logs, sources, { ...options, endTime: now });
      for (const line of lines) print(line);
      if (lines.length === 0) err(`gantry logs: no lines since ${new Date(startTime).toISOString()}${flags.since === undefined ? " (the last 10 min; --since 1h looks further back)" : ""}\n`);
      return;
    }
    const controller = new AbortController();
    const stop = () => controller.abort();
    deps.signal?.addEventListener("abort", stop, { once: true });
    process.on("SIGINT", stop);
    try {
      for await (const batch of followLogs(clients.logs, sources, { ...options, signal: controller.signal, ...(deps.pollMs !== undefined ? { intervalMs: deps.pollMs } : {}) })) {
        for (const line of batch) print(line);
      }
    } finally {
      process.off("SIGINT", stop);
    }
  } catch (e) {
    if (!(e instanceof AwsAccessError)) throw e;
    err(`gantry logs: ${e.message}\n`);
    process.exitCode = 1;
  }
}
