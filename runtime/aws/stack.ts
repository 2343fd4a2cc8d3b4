/**
 * Finding a deployed unit from outside its stack, with nothing but AWS credentials: the unit's ECS
 * task definition family is fixed per app, stack and unit (provider/aws/names.ts `taskFamilyName`),
 * and its latest revision's environment is the unit's container contract (runtime/contract.ts):
 * its queue and dead-letter queue, the results table, the payload bucket, every unit's queue and
 * ECS service. One `ecs:DescribeTaskDefinition`, which needs no stack outputs, no Pulumi and no
 * local records, so gantry redrive / stop / start and `Function.fromName(app, fn, { stack })` work
 * from any machine. The contract carries secret ARNs, never secret values.
 */
import { decodeContainerEnv, ContainerContractError, type AwsTransportContract, type ContainerContract } from "../contract.ts";
import { slug, taskFamilyName } from "../../provider/aws/names.ts";
import { AwsAccessError, attempt } from "./access.ts";
import type { CommandSender } from "./clients.ts";
import { EXTERNAL_CALLER } from "./call-keys.ts";
import { callerConfigOf, type AwsCallerConfig } from "./config.ts";

/** the container name in gantry's task definitions (provider/aws/function-service.ts CONTAINER_NAME) */
const CONTAINER_NAME = "main";

export interface UnitRef {
  app: string;
  stack: string;
  /** unit id: function name, class name or variant id */
  unit: string;
  /** the unit's resource slug (provider/aws/units.ts); default: `slug(unit)`, right unless two unit ids share one */
  slug?: string;
}

export interface DeployedUnit {
  unit: string;
  family: string;
  taskDefinitionArn: string;
  contract: ContainerContract;
  transport: AwsTransportContract;
  caller: AwsCallerConfig;
}

/** The unit's task definition family: the ECS name a tool looks a deployed unit up by. */
export function familyOf(ref: UnitRef): string {
  return taskFamilyName(ref.app, ref.stack, ref.slug ?? slug(ref.unit));
}

/** Reads a deployed unit's contract from its latest task definition; AwsAccessError when it cannot. */
export async function describeDeployedUnit(ecs: CommandSender, ref: UnitRef): Promise<DeployedUnit> {
  const family = familyOf(ref);
  const found = await readFamily(ecs, family, () =>
    `${ref.unit} of app ${ref.app} is not deployed in stack ${ref.stack} in this account and region: ECS has no task definition ${family} ` +
      `(deploy it with gantry deploy <app.ts> --stack ${ref.stack}, or check AWS_REGION / the profile)`);
  const { contract } = found;
  if (contract.app !== ref.app || contract.stack !== ref.stack || contract.unit !== ref.unit) {
    throw new AwsAccessError(
      `${found.taskDefinitionArn} runs ${contract.unit} of app ${contract.app}, stack ${contract.stack}, not ${ref.unit} of ${ref.app}, stack ${ref.stack}`,
      "missing",
    );
  }
  return found;
}

/** One family's latest task definition, decoded; `undeployed()` is the message when ECS does not know the family. */
async function readFamily(ecs: CommandSender, family: string, undeployed: () => string): Promise<DeployedUnit> {
  const { DescribeTaskDefinitionCommand } = await import("@aws-sdk/client-ecs");
  let out: { taskDefinition?: { taskDefinitionArn?: string; containerDefinitions?: Array<{ name?: string; environment?: Array<{ name?: string; value?: string }> }> } };
  try {
    out = await attempt("ecs:DescribeTaskDefinition", `task definition family ${family}`, () =>
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family })));
  } catch (err) {
    // ECS answers a family it does not know with ClientException "Unable to describe task definition."
    if (err instanceof Error && err.name === "ClientException") throw new AwsAccessError(undeployed(), "undeployed");
    throw err;
  }
  const def = out.taskDefinition;
  const container = def?.containerDefinitions?.find((c) => c.name === CONTAINER_NAME) ?? def?.containerDefinitions?.[0];
  const env: Record<string, string> = {};
  for (const v of container?.environment ?? []) if (v.name) env[v.name] = v.value ?? "";
  let contract: ContainerContract;
  try {
    contract = decodeContainerEnv(env);
  } catch (err) {
    if (!(err instanceof ContainerContractError)) throw err;
    throw new AwsAccessError(`${def?.taskDefinitionArn ?? family} is not a gantry unit this version can read: ${err.message}`, "missing");
  }
  const arn = def?.taskDefinitionArn ?? family;
  if (contract.transport.kind !== "aws") {
    throw new AwsAccessError(`${arn} runs ${contract.unit} of app ${contract.app}, stack ${contract.stack} over transport ${contract.transport.kind}, not aws`, "missing");
  }
  return {
    unit: contract.unit,
    family,
    taskDefinitionArn: arn,
    contract,
    transport: contract.transport,
    // whoever reads this is outside the stack (Function.fromName, gantry's ops): it calls as `@ext`
    caller: { ...callerConfigOf(contract), caller: EXTERNAL_CALLER },
  };
}

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` -> `arn:aws:sqs:<region>:<account>:<name>` (schedules name their target by ARN). */
export function queueArnOf(queueUrl: string): string {
  const url = new URL(queueUrl);
  const [, account, name] = url.pathname.split("/");
  const region = /^sqs\.([a-z0-9-]+)\./.exec(url.hostname)?.[1] ?? "us-east-1";
  const partition = region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
  return `arn:${partition}:sqs:${region}:${account}:${name}`;
}

/** A deployed app as one of its units' contract describes it: every unit's service and queue. */
export interface DeployedApp {
  /** the unit whose task definition was read */
  via: DeployedUnit;
  units: Array<{ unit: string; resourceId: string; queueUrl: string | undefined }>;
}

/**
 * The deployed app, from the first of `units` (the code's, in order) that is deployed: every task
 * is told every unit's service and queue, so one task definition names them all, including units
 * deployed but since removed from the code.
 */
export async function describeDeployedApp(ecs: CommandSender, ref: { app: string; stack: string; units: Array<{ unit: string; slug?: string }> }): Promise<DeployedApp> {
  const tried: string[] = [];
  for (const u of ref.units) {
    let via: DeployedUnit;
    try {
      via = await describeDeployedUnit(ecs, { app: ref.app, stack: ref.stack, unit: u.unit, slug: u.slug });
    } catch (err) {
      // a unit added to the code since the last deploy: try the next one
      if (err instanceof AwsAccessError && err.reason === "undeployed") {
        tried.push(familyOf({ app: ref.app, stack: ref.stack, unit: u.unit, slug: u.slug }));
        continue;
      }
      throw err;
    }
    const targets = via.caller.scalingTargets ?? {};
    const units = Object.keys(targets).sort().map((unit) => ({ unit, resourceId: targets[unit], queueUrl: via.caller.queues[unit] }));
    if (units.length === 0) throw new AwsAccessError(`${via.taskDefinitionArn} names no ECS services (GANTRY_SCALING_TARGETS): redeploy the stack with this version of gantry`, "missing");
    return { via, units };
  }
  throw new AwsAccessError(
    `app ${ref.app} is not deployed in stack ${ref.stack} in this account and region: ECS has none of its task definitions (${tried.join(", ") || "the app has no units"}); ` +
      `deploy it with gantry deploy <app.ts> --stack ${ref.stack}, or check AWS_REGION / the profile`,
    "undeployed",
  );
}
