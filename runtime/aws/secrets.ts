/**
 * Secrets the stack does not inject key by key (a `Secret.fromName` without `requiredKeys`): the
 * container reads each one whole from Secrets Manager at start, before the app is imported, and
 * puts its JSON keys into the environment. The values are handed to the logger's mask; they are
 * never logged.
 */
import { SecretError } from "../errors.ts";

export interface SecretReader {
  /** the secret's string value */
  read(arn: string): Promise<string | undefined>;
}

/** Secrets Manager, imported only when a secret needs loading (it is not on the cold-start path). */
export async function secretsManagerReader(): Promise<SecretReader> {
  type Sdk = typeof import("@aws-sdk/client-secrets-manager");
  // a bundle's lazily loaded CommonJS chunk comes as a default export only
  const m = (await import("@aws-sdk/client-secrets-manager")) as Sdk & { default?: Sdk };
  const { SecretsManagerClient, GetSecretValueCommand } = m.SecretsManagerClient ? m : m.default!;
  const client = new SecretsManagerClient({ region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION });
  return { read: async (arn) => (await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString };
}

/** Loads every secret into `env`; returns the values (for masking). Keys already set are kept. */
export async function loadSecrets(arns: string[], reader: SecretReader, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const values: string[] = [];
  for (const arn of arns) {
    let text: string | undefined;
    try {
      text = await reader.read(arn);
    } catch (err) {
      throw new SecretError(`could not read secret ${arn}: ${(err as Error).name}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text ?? "");
    } catch {
      parsed = null;
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      // do not echo the value: it is the secret
      throw new SecretError(`secret ${arn} does not hold a JSON object of KEY: value pairs (set it with \`gantry secret create NAME KEY=value --stack ...\`)`);
    }
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      const v = typeof value === "string" ? value : JSON.stringify(value);
      values.push(v);
      if (env[key] === undefined) env[key] = v;
    }
  }
  return values;
}
