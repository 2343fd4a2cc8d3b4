/**
 * A deployed unit as runtime/aws/stack.ts finds it, plus what gantry logs / status read from the
 * same task definition (one `ecs:DescribeTaskDefinition`, its answer taken as it passes): the
 * image it runs, its log group, and the secrets ECS injects key by key.
 */
import type { CommandSender } from "../clients.ts";
import { describeDeployedUnit, type DeployedUnit, type UnitRef } from "../stack.ts";

export interface TaskDefinitionFacts {
  /** `repository@sha256:…` (or a tag, when the stack was deployed from one) */
  image: string | null;
  logGroup: string | null;
  /** the Secrets Manager secrets behind the `secrets` ECS injects (`valueFrom` without its `:KEY::`) */
  secretArns: string[];
  revision: number | null;
}

interface RawContainer {
  name?: string;
  image?: string;
  secrets?: Array<{ name?: string; valueFrom?: string }>;
  logConfiguration?: { options?: Record<string, string> };
}

export async function describeUnit(ecs: CommandSender, ref: UnitRef): Promise<{ deployed: DeployedUnit; facts: TaskDefinitionFacts }> {
  let raw: { taskDefinition?: { revision?: number; containerDefinitions?: RawContainer[] } } | undefined;
  const tap: CommandSender = {
    send: async (command: unknown) => {
      const out = await ecs.send(command);
      raw = out;
      return out;
    },
  };
  const deployed = await describeDeployedUnit(tap, ref);
  const containers = raw?.taskDefinition?.containerDefinitions ?? [];
  const main = containers.find((c) => c.name === "main") ?? containers[0];
  const fromSecrets = (main?.secrets ?? []).map((s) => secretArnOf(s.valueFrom ?? "")).filter((a): a is string => a !== null);
  return {
    deployed,
    facts: {
      image: main?.image ?? null,
      logGroup: main?.logConfiguration?.options?.["awslogs-group"] ?? null,
      secretArns: [...new Set(fromSecrets)],
      revision: raw?.taskDefinition?.revision ?? null,
    },
  };
}

/** `arn:aws:secretsmanager:eu-west-1:123:secret:db-AbC123:PASSWORD::` -> the secret's ARN (its first 7 fields). */
export function secretArnOf(valueFrom: string): string | null {
  const parts = valueFrom.split(":");
  if (parts[0] !== "arn" || parts[2] !== "secretsmanager" || parts.length < 7) return null;
  return parts.slice(0, 7).join(":");
}
