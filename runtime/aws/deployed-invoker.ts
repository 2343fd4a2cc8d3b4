/**
 * `Function.fromName(app, fn, { stack })` from any Node process: the function's deployed unit is
 * found from its ECS task definition (stack.ts, one ecs:DescribeTaskDefinition), whose contract
 * names the app's queues, results table, payload bucket and services; calls then go through an
 * ordinary AwsInvoker over this process's AWS credentials (the default chain), waking a unit at
 * zero like any caller. One invoker per app, stack and region, made on the first call.
 * `FunctionCall.fromId(id, { app, stack })` takes the unit from the call id (call-keys.ts).
 *
 * What the caller needs is `gantry synth <app.ts> --stack S --caller-policy F` (provider/aws/caller-policy.ts).
 */
import type { Invoker } from "../../sdk/invoker.ts";
import { createClients, type CommandSender } from "./clients.ts";
import { AwsInvoker } from "./invoker.ts";
import { describeDeployedUnit } from "./stack.ts";

export interface DeployedRef {
  app: string;
  stack: string;
  /** unit id: the function's name (or a variant id, `embed[gpu=T4]`) */
  unit: string;
  /** default: AWS_REGION / AWS_DEFAULT_REGION / the profile's */
  region?: string;
  /** for tests: the ECS client that finds the unit, and the clients calls go through */
  clients?: { ecs: CommandSender; sqs: CommandSender; ddb: CommandSender; s3: CommandSender };
}

const invokers = new Map<string, Promise<Invoker>>();

/** The invoker for `ref`'s app and stack; rejects with an AwsAccessError when it cannot be found. */
export function deployedInvoker(ref: DeployedRef): Promise<Invoker> {
  const key = JSON.stringify([ref.region ?? "", ref.app, ref.stack]);
  let invoker = invokers.get(key);
  if (!invoker || ref.clients) {
    invoker = connect(ref);
    if (!ref.clients) invokers.set(key, invoker);
    // a failed lookup (no credentials yet, not deployed yet) is tried again on the next call
    const made = invoker;
    made.catch(() => {
      if (invokers.get(key) === made) invokers.delete(key);
    });
  }
  return invoker;
}

async function connect(ref: DeployedRef): Promise<Invoker> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const region = ref.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const ecs = ref.clients?.ecs ?? new (await import("@aws-sdk/client-ecs")).ECSClient(region ? { region } : {});
  const deployed = await describeDeployedUnit(ecs, { app: ref.app, stack: ref.stack, unit: ref.unit });
  const clients = ref.clients ?? createClients(region && region !== process.env.AWS_REGION ? { ...process.env, AWS_REGION: region } : process.env);
  return new AwsInvoker({ config: deployed.caller, clients: { ...clients, ecs } });
}
