/**
 * The AWS clients gantry logs and gantry status need on top of the control verbs' (cli/ops-target.ts):
 * CloudWatch Logs, Secrets Manager (to mask secret values in your code's output) and Cost Explorer
 * (its endpoint is in us-east-1 whatever the stack's region). Tests pass recording clients.
 */
import type { CommandSender } from "../runtime/aws/clients.ts";
import { opsClients, type OpsClients, type OpsDeps } from "./ops-target.ts";

export interface ObserveClients extends OpsClients {
  logs: CommandSender;
  secrets: CommandSender;
  costExplorer: CommandSender;
}

export interface ObserveDeps extends Omit<OpsDeps, "clients"> {
  clients?: Partial<ObserveClients>;
  /** the time "now" (tests) */
  now?: () => number;
  /** a TTY progress display on stderr (default: when stderr is a TTY) */
  progress?: boolean;
  /** follow: between polls (tests shorten it) */
  pollMs?: number;
  /** follow: stops the follow (tests; the CLI uses Ctrl-C) */
  signal?: AbortSignal;
}

export async function observeClients(region: string | undefined, given: Partial<ObserveClients> = {}): Promise<ObserveClients> {
  const base = await opsClients(region, given);
  const config = region ? { region } : {};
  const lazy = (make: () => Promise<CommandSender>): CommandSender => {
    let client: Promise<CommandSender> | undefined;
    return { send: async (command: unknown) => (await (client ??= make())).send(command) };
  };
  return {
    ...base,
    logs: given.logs ?? lazy(async () => new (await import("@aws-sdk/client-cloudwatch-logs")).CloudWatchLogsClient(config)),
    secrets: given.secrets ?? lazy(async () => new (await import("@aws-sdk/client-secrets-manager")).SecretsManagerClient(config)),
    costExplorer: given.costExplorer ?? lazy(async () => new (await import("@aws-sdk/client-cost-explorer")).CostExplorerClient({ region: "us-east-1" })),
  };
}
