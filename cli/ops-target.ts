/**
 * What the control verbs (gantry redrive, stop, start) share: the app file read statically into its
 * units (the same units and slugs the AWS provider deploys), the stack's short name and region,
 * and the AWS clients, which tests replace with recording ones.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import type { Unit } from "../provider/aws/units.ts";
import type { CommandSender } from "../runtime/aws/clients.ts";
import type { AppSpec } from "../synth/spec.ts";
import { didYouMean } from "../synth/analyze/suggest.ts";
import { UsageError } from "./main.ts";

export interface OpsClients {
  sqs: CommandSender;
  /** a DynamoDB document client */
  ddb: CommandSender;
  ecs: CommandSender;
  autoscaling: CommandSender;
  scheduler: CommandSender;
}

/** What a test (or an embedding tool) hands a verb instead of the default clients and streams. */
export interface OpsDeps {
  clients?: Partial<OpsClients>;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

export interface OpsTarget {
  spec: AppSpec;
  units: Unit[];
  /** the stack's short name (`org/project/prod` -> `prod`) */
  stack: string;
  region: string | undefined;
  appLabel: string;
  /** `Secret.fromDict` values by secret id, from the analysis (gantry logs masks them) */
  secretValues: Record<string, Record<string, string>>;
  /** the project root (nearest package.json): where .gantry/stacks/<stack>/ records are */
  projectRoot: string;
  /** set when the stack deploys to Kubernetes (`gantry:target: kubernetes`); null: AWS */
  kubernetes: KubernetesStack | null;
}

/** What the control verbs need of a Kubernetes stack: where its objects and its Redis keys are. */
export interface KubernetesStack {
  namespace: string;
  /** the stack's Redis key namespace (runtime/redis/keys.ts) */
  keyNamespace: string;
  /** `gantry:kubernetes.redis.url` of an existing server; null: the Redis the stack runs in its cluster */
  redisUrl: string | null;
}


/**
 * Reads the app (exit 1 with its diagnostics when it has errors: null) and the stack's settings.
 * `verb` names the command; a Kubernetes stack is a usage error unless `kubernetes` says the verb handles it.
 */
export async function readOpsTarget(app: string, stackArg: string, regionFlag: string | undefined, err: (t: string) => void, verb: { name: string; kubernetes?: boolean } = { name: "" }): Promise<OpsTarget | null> {
  const file = resolve(app);
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no such file: ${app}`);
  const stack = stackArg.split("/").pop() ?? "";
  if (!stack) throw new UsageError(`--stack: "${stackArg}" is not a stack name`);
  const { analyzeApp, findProjectRoot, formatDiagnostics, summarizeDiagnostics } = await import("../synth/index.ts");
  const projectRoot = findProjectRoot(dirname(file));
  const analysis = analyzeApp(file, { projectRoot });
  if (!analysis.spec) {
    err(formatDiagnostics(analysis.diagnostics, { color: !!process.stderr.isTTY, cwd: process.cwd() }));
    err(`${summarizeDiagnostics(analysis.diagnostics)}\n`);
    process.exitCode = 1;
    return null;
  }
  const { unitsOf } = await import("../provider/aws/units.ts");
  const { readStackConfig } = await import("../provider/plan/stack-config.ts");
  const config = readStackConfig(projectRoot, stack).values;
  const targetName = config["gantry:target"] ?? "aws";
  let kubernetes: KubernetesStack | null = null;
  if (targetName === "kubernetes") {
    kubernetes = await kubernetesStackOf(analysis.spec.app.name, stack, config["gantry:kubernetes"]);
    if (!verb.kubernetes) {
      throw new UsageError(`stack ${stack} deploys to kubernetes (gantry:target): gantry ${verb.name} works on the aws target for now; on kubernetes, gantry status and gantry redrive read the stack's Redis, and gantry logs, stop and start its API server`);
    }
  } else if (targetName !== "aws") {
    throw new UsageError(`stack ${stack} deploys to ${targetName} (gantry:target); these verbs know the aws and kubernetes targets`);
  }
  const region = regionFlag ?? config["aws:region"];
  return { spec: analysis.spec, units: unitsOf(analysis.spec), stack, region, appLabel: relative(process.cwd(), file), secretValues: analysis.secretValues, projectRoot, kubernetes };
}

/** The namespace and Redis of a Kubernetes stack from its `gantry:kubernetes` config (offline, as the provider names them). */
async function kubernetesStackOf(app: string, stack: string, raw: string | undefined): Promise<KubernetesStack> {
  const { defaultNamespace, keyNamespace } = await import("../provider/kubernetes/names.ts");
  let settings: { namespace?: unknown; redis?: { url?: unknown } } = {};
  try {
    settings = raw ? JSON.parse(raw) : {};
  } catch {
    // a plain string is not settings; gantry synth reports it
  }
  return {
    namespace: typeof settings.namespace === "string" ? settings.namespace : defaultNamespace(app, stack),
    keyNamespace: keyNamespace(app, stack),
    redisUrl: typeof settings.redis?.url === "string" ? settings.redis.url : null,
  };
}

/** The unit `--function` names: a unit id (`Model[gpu=H100]`) or a declaration with one unit. */
export function unitNamed(target: OpsTarget, name: string): Unit {
  const exact = target.units.find((u) => u.id === name);
  if (exact) return exact;
  const byName = target.units.filter((u) => u.name === name);
  if (byName.length === 1) return byName[0];
  const ids = target.units.map((u) => u.id);
  if (byName.length > 1) throw new UsageError(`${name} is deployed as ${byName.length} pools; name one: ${byName.map((u) => u.id).join(", ")}`);
  throw new UsageError(`app ${target.spec.app.name} (${target.appLabel}) has no function or class "${name}"${didYouMean(name, ids)}; its units: ${ids.join(", ") || "(none)"}`);
}

/** The default AWS clients for a region (credentials from the default chain), over any given ones. */
export async function opsClients(region: string | undefined, given: Partial<OpsClients> = {}): Promise<OpsClients> {
  // the SDK warns on Node 20 about its releases of 2027; not for this command's user
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const config = region ? { region } : {};
  const lazy = (make: () => Promise<CommandSender>): CommandSender => {
    let client: Promise<CommandSender> | undefined;
    return { send: async (command: unknown) => (await (client ??= make())).send(command) };
  };
  return {
    sqs: given.sqs ?? lazy(async () => new (await import("@aws-sdk/client-sqs")).SQSClient(config)),
    ddb: given.ddb ?? lazy(async () => {
      const [{ DynamoDBClient }, { DynamoDBDocumentClient }] = await Promise.all([import("@aws-sdk/client-dynamodb"), import("@aws-sdk/lib-dynamodb")]);
      return DynamoDBDocumentClient.from(new DynamoDBClient(config), { marshallOptions: { removeUndefinedValues: true } });
    }),
    ecs: given.ecs ?? lazy(async () => new (await import("@aws-sdk/client-ecs")).ECSClient(config)),
    autoscaling: given.autoscaling ?? lazy(async () => new (await import("@aws-sdk/client-application-auto-scaling")).ApplicationAutoScalingClient(config)),
    scheduler: given.scheduler ?? lazy(async () => new (await import("@aws-sdk/client-scheduler")).SchedulerClient(config)),
  };
}
