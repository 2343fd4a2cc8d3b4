/**
 * What gantry remembers about a stack, under `.gantry/stacks/<stack>/` in the project:
 *
 * - `plan.json`: the offline plan last synthesized for the stack (`gantry synth --stack S`
 *   writes it with `recordPlan`), carrying the spec and its hash;
 * - `deployment.json`: what `gantry deploy --stack S` put in the cloud (`recordDeployment`):
 *   the spec hash, the image digests the task definitions are pinned to, and the plan's hash.
 *
 * `gantry promote --from S --to T` reads these for S and writes the frozen artifact into T's
 * stack file (`gantry:artifact`). `.gantry/` is not committed: CI keeps it as a build artifact
 * between the deploy and promote jobs (see examples/ci).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { Plan } from "../../provider/plan.ts";
import { canonicalJson, sha256Hex } from "../../synth/hash.ts";
import { Artifact } from "../../provider/artifact.ts";

// the artifact format is the provider's (it applies it); promotion writes and reads it
export { Artifact, DIGEST_REF } from "../../provider/artifact.ts";

export const Deployment = Artifact.omit({ fromStack: true }).extend({ stack: z.string(), deployedAt: z.string().optional() });
export type Deployment = z.infer<typeof Deployment>;

/** Where a deployment sits in its stack's history (see order.ts): `pulumi up`'s update number and the commit. */
export interface DeploymentOrder {
  sequence?: number;
  commit?: string;
}

export function stackDir(root: string, stack: string): string {
  return join(root, ".gantry", "stacks", stack);
}

export function planHash(plan: Plan): string {
  return `sha256:${sha256Hex(canonicalJson(plan))}`;
}

export function recordPlan(root: string, stack: string, plan: Plan): string {
  const dir = stackDir(root, stack);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "plan.json");
  writeFileSync(file, `${JSON.stringify(plan, null, 2)}\n`);
  return file;
}

/** Called by `gantry deploy` after a successful `pulumi up`, with the image digests from the stack outputs. */
export function recordDeployment(root: string, stack: string, plan: Plan, images: Record<string, string>, deployedAt?: string, order: DeploymentOrder = {}): string {
  const record: Deployment = Deployment.parse({ stack, app: plan.app, specHash: plan.specHash, planHash: planHash(plan), images, deployedAt, ...order });
  const dir = stackDir(root, stack);
  mkdirSync(dir, { recursive: true });
  recordPlan(root, stack, plan);
  const file = join(dir, "deployment.json");
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

export function readRecordedPlan(root: string, stack: string): Plan | null {
  const file = join(stackDir(root, stack), "plan.json");
  if (!existsSync(file)) return null;
  const parsed = Plan.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file}: not a valid gantry plan (${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

export function readDeployment(root: string, stack: string): Deployment | null {
  const file = join(stackDir(root, stack), "deployment.json");
  if (!existsSync(file)) return null;
  const parsed = Deployment.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file}: not a deployment record (${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")})`);
  return parsed.data;
}
