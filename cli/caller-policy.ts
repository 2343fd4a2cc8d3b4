/**
 * `gantry synth <app.ts> --stack S --caller-policy F`: the least IAM policy a Node process needs to
 * call F with `Function.fromName(app, "F", { stack: "S" })` (provider/aws/caller-policy.ts), as
 * JSON to attach to the caller's role or user. Offline: the app read statically, the stack's
 * `aws:region` from Pulumi.<stack>.yaml when set.
 */
import { readOpsTarget, unitNamed } from "./ops-target.ts";

export async function printCallerPolicy(app: string, stack: string, name: string, out: (t: string) => void = (t) => process.stdout.write(t)): Promise<void> {
  const target = await readOpsTarget(app, stack, undefined, (t) => process.stderr.write(t), { name: "synth --caller-policy" });
  if (!target) return;
  const unit = unitNamed(target, name);
  const { callerPolicy } = await import("../provider/aws/caller-policy.ts");
  const policy = callerPolicy({ app: target.spec.app.name, stack: target.stack, units: target.units, unit, region: target.region });
  out(`${JSON.stringify(policy, null, 2)}\n`);
}
