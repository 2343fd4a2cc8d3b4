/**
 * The cloud side of `gantry secret create NAME K=V --stack S`: find the Secrets Manager secret the
 * stack declared for `Secret.fromName(NAME)` (secrets.ts) and write a new value version to it.
 *
 * The secret is found by its deterministic name `gantry/<app>/<stack>/<name>` with DescribeSecret,
 * not with ListSecrets: ListSecrets is eventually consistent (it may miss a secret created in the
 * last minutes, i.e. right after the first deploy) and its filters are prefix matches. Its tags
 * (component.ts) are then checked, so a same-named secret that this stack did not create is never
 * written to. Credentials, region and endpoint come from the AWS SDK's default chain
 * (`AWS_ENDPOINT_URL_SECRETS_MANAGER` points it at a stand-in).
 * IAM: secretsmanager:DescribeSecret and secretsmanager:PutSecretValue on the secret.
 * The program (secret-adoption.ts) also uses these lookups, and RestoreSecret.
 */
import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  RestoreSecretCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { tagsFor } from "./component.ts";
import { tagValue } from "./names.ts";
import { namedSecretName } from "./secrets.ts";

/** Which stack secret: the app's name (`new App(name)`), the stack's short name, the secret's name. */
export interface StackSecretRef {
  app: string;
  stack: string;
  name: string;
}

/** Secrets Manager's limit on a SecretString, in bytes. */
export const MAX_SECRET_BYTES = 65_536;

export function stackSecretName(ref: StackSecretRef): string {
  return namedSecretName(ref.app, ref.stack, ref.name);
}

/** The tags that mark the secret as this stack's `Secret.fromName(name)` (AppSecret's declaration). */
export function expectedTags(ref: StackSecretRef): Record<string, string> {
  return { ...tagsFor({ app: ref.app, stack: ref.stack }, null), "gantry:declaration": tagValue(`secret:${ref.name}`) };
}

/** The value as stored: a JSON object, keys sorted (as the provider writes `gantry:secrets`). */
export function secretString(values: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.keys(values).sort().map((k) => [k, values[k]])));
}

export type StackSecretLookup =
  | { status: "found"; arn: string; name: string; hasValue: boolean }
  | { status: "missing"; name: string }
  | { status: "pending-deletion"; arn: string; name: string; deletedDate: Date | undefined }
  /** a secret of that name exists, but its tags say another app/stack (or no gantry stack) made it */
  | { status: "foreign"; arn: string; name: string; mismatched: Array<{ key: string; expected: string; actual: string | undefined }> };

/** An AWS call failed (credentials, permissions, network, region): the message says which call. */
export class SecretStoreError extends Error {}

export function secretsClient(region?: string): SecretsManagerClient {
  return new SecretsManagerClient(region ? { region } : {});
}

/** The region the client resolved (flag, config, environment or profile), or a SecretStoreError. */
export async function resolvedRegion(client: SecretsManagerClient): Promise<string> {
  try {
    return await client.config.region();
  } catch {
    throw new SecretStoreError("no AWS region: pass --region, set aws:region in the stack config (pulumi config set aws:region us-east-1), or set AWS_REGION");
  }
}

function failure(call: string, err: unknown): SecretStoreError {
  const e = err as { name?: string; message?: string };
  return new SecretStoreError(`${call} failed: ${e.name ?? "Error"}: ${e.message ?? String(err)}`);
}

export async function findStackSecret(client: SecretsManagerClient, ref: StackSecretRef): Promise<StackSecretLookup> {
  const name = stackSecretName(ref);
  let out;
  try {
    out = await client.send(new DescribeSecretCommand({ SecretId: name }));
  } catch (err) {
    if (err instanceof ResourceNotFoundException || (err as { name?: string }).name === "ResourceNotFoundException") return { status: "missing", name };
    throw failure(`DescribeSecret ${name}`, err);
  }
  const arn = out.ARN ?? name;
  const tags = Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
  const mismatched = Object.entries(expectedTags(ref))
    .filter(([key, expected]) => tags[key] !== expected)
    .map(([key, expected]) => ({ key, expected, actual: tags[key] as string | undefined }));
  if (mismatched.length) return { status: "foreign", arn, name, mismatched };
  if (out.DeletedDate) return { status: "pending-deletion", arn, name, deletedDate: out.DeletedDate };
  const hasValue = Object.values(out.VersionIdsToStages ?? {}).some((stages) => stages.includes("AWSCURRENT"));
  return { status: "found", arn, name, hasValue };
}

/** Writes a new version (it becomes AWSCURRENT; the old one stays as AWSPREVIOUS). */
export async function putStackSecretValue(client: SecretsManagerClient, arn: string, values: Record<string, string>): Promise<{ versionId: string | undefined }> {
  try {
    const out = await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: secretString(values) }));
    return { versionId: out.VersionId };
  } catch (err) {
    throw failure(`PutSecretValue ${arn}`, err);
  }
}

/** Cancels a scheduled deletion: the secret, its value and its ARN come back as they were. */
export async function restoreStackSecret(client: SecretsManagerClient, arn: string): Promise<void> {
  try {
    await client.send(new RestoreSecretCommand({ SecretId: arn }));
  } catch (err) {
    throw failure(`RestoreSecret ${arn}`, err);
  }
}
