/**
 * Masking for `gantry logs --stack`. The container masks gantry's own log lines, but your code's
 * output goes to CloudWatch as printed; so the reader masks too, with the values it can know:
 * `Secret.fromDict` values from the analysis, and the stack's Secrets Manager secrets (each one's
 * JSON values), read with `secretsmanager:GetSecretValue` when the caller may. A secret it cannot
 * read is reported (the caller prints a warning), never fatal: the logs still print.
 */
import { accessErrorOf } from "../access.ts";
import type { CommandSender } from "../clients.ts";
import { SecretMask } from "../../secret-mask.ts";

export interface StackMask {
  mask(text: string): string;
  /** secrets whose values could not be read, with why */
  unreadable: Array<{ arn: string; reason: string }>;
}

export async function stackSecretMask(secrets: CommandSender, arns: string[], dictValues: Record<string, Record<string, string>>): Promise<StackMask> {
  const mask = new SecretMask();
  for (const values of Object.values(dictValues)) mask.add(Object.values(values));
  const unreadable: StackMask["unreadable"] = [];
  if (arns.length) {
    const { GetSecretValueCommand } = await import("@aws-sdk/client-secrets-manager");
    await Promise.all([...new Set(arns)].sort().map(async (arn) => {
      try {
        const out = (await secrets.send(new GetSecretValueCommand({ SecretId: arn }))) as { SecretString?: string };
        mask.add(valuesOf(out.SecretString));
      } catch (err) {
        const access = accessErrorOf(err, "secretsmanager:GetSecretValue", arn);
        unreadable.push({ arn, reason: access?.message ?? `${(err as Error).name}: ${(err as Error).message}` });
      }
    }));
  }
  return { mask: (text) => mask.mask(text), unreadable };
}

/** A gantry secret is a JSON object of KEY: value; anything else is masked whole. */
function valuesOf(secretString: string | undefined): string[] {
  if (secretString === undefined) return [];
  try {
    const value = JSON.parse(secretString) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) return Object.values(value).filter((v): v is string => typeof v === "string");
  } catch {
    // not JSON
  }
  return [secretString];
}
