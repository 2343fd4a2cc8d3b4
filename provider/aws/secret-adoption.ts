/**
 * A `Secret.fromName` secret still in its recovery window is restored and adopted, not created.
 *
 * `pulumi destroy` deletes the named secret `gantry/<app>/<stack>/<name>` with a 7-day recovery
 * window (its value was written by `gantry secret create`, not by code, so it must not vanish at
 * once). Until the window ends, CreateSecret on that name fails ("You can't create this secret
 * because a secret with this name is already scheduled for deletion"), so recreating the stack
 * within 7 days would fail. At `pulumi up` the program therefore looks the name up first:
 *
 *   missing, or live     declared as usual (a live one is this stack's own: its state has it)
 *   pending deletion     RestoreSecret (value and ARN come back), then declared with the `import`
 *                        option on that ARN: the engine adopts it instead of creating it, and on
 *                        later runs, with the ID already in state, treats it like any resource
 *   another stack's      an error naming the tags that differ (the name is taken)
 *
 * Adoption requires the program's inputs to match the secret as read back; the restored secret
 * keeps the tags and description of its last deployment (the source location may have moved) and
 * the AWS provider reads the recovery window back as its default, so those are ignored on the
 * adopting run only; the next `pulumi up` sets them as usual.
 * `pulumi preview` changes nothing: it warns and shows a create.
 * IAM for whoever runs `pulumi up`: secretsmanager:DescribeSecret and secretsmanager:RestoreSecret
 * on `gantry/<app>/<stack>/*`. A failed lookup (e.g. no DescribeSecret) only warns: the deploy
 * goes on as before, and CreateSecret reports the name if it is taken.
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { findStackSecret, restoreStackSecret, type StackSecretLookup, type StackSecretRef } from "./secret-values.ts";

/** The two calls the program makes on Secrets Manager (a stand-in in tests). */
export interface SecretAccount {
  find(ref: StackSecretRef): Promise<StackSecretLookup>;
  restore(arn: string): Promise<void>;
}

/** Clients from the stack config, as the AWS provider would use them (region, profile). */
export function sdkSecretAccount(options: { region?: string; profile?: string }): SecretAccount {
  const client = new SecretsManagerClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  });
  return {
    find: (ref) => findStackSecret(client, ref),
    restore: (arn) => restoreStackSecret(client, arn),
  };
}

export type SecretAdoption =
  | { kind: "declare" }
  | { kind: "adopt"; arn: string }
  | { kind: "warn"; message: string };

/** Inputs the adopting run leaves as AWS has them (see above). */
export const ADOPTION_IGNORED_INPUTS = ["description", "recoveryWindowInDays", "tags"];

export async function adoptNamedSecret(account: SecretAccount, ref: StackSecretRef, dryRun: boolean): Promise<SecretAdoption> {
  let found: StackSecretLookup;
  try {
    found = await account.find(ref);
  } catch (err) {
    return { kind: "warn", message: `could not look up secret ${ref.name} before declaring it (${(err as Error).message}); if it is still in its recovery window after a pulumi destroy, CreateSecret will fail: grant secretsmanager:DescribeSecret and secretsmanager:RestoreSecret, or run: aws secretsmanager restore-secret --secret-id gantry/${ref.app}/${ref.stack}/${ref.name}` };
  }
  switch (found.status) {
    case "missing":
    case "found":
      return { kind: "declare" };
    case "foreign":
      throw new Error(`secret ${found.name} already exists and is not this stack's (${found.mismatched.map((m) => `${m.key}: ${m.actual ?? "unset"}, expected ${m.expected}`).join("; ")}); delete or rename it, or deploy under another stack name`);
    case "pending-deletion":
      if (dryRun) {
        return { kind: "warn", message: `secret ${found.name} is scheduled for deletion (from an earlier pulumi destroy${found.deletedDate ? `, deleted ${found.deletedDate.toISOString()}` : ""}); pulumi up will restore it, keeping its value, and adopt it instead of creating it` };
      }
      await account.restore(found.arn);
      return { kind: "adopt", arn: found.arn };
  }
}
