/**
 * `gantry promote --from staging --to prod`: copy the frozen artifact of the source stack (spec
 * hash, image digests, plan hash) into the target's `Pulumi.<to>.yaml` as `gantry:artifact`, so
 * the target deploys exactly what the source ran. Refuses when the app changed since the source's
 * recorded plan, when the source has no deployment to promote, or when the records disagree.
 * Per-stack overrides (`gantry:overrides`) of the target are left as they are and still apply.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { AppSpec } from "../../synth/spec.ts";
import { canonicalJson, specHash } from "../../synth/hash.ts";
import type { Plan } from "../../provider/plan.ts";
import { poolsOf } from "../pools.ts";
import { findStackFile, readStackConfig, stackFileName, writeStackConfigValue } from "../stack-config.ts";
import { checkPromotionOrder, recordedArtifactOf, RecordUnreadable, type OrderVerdict } from "./order.ts";
import { Artifact, planHash, readDeployment, readRecordedPlan, stackDir } from "./records.ts";

export class PromotionRefused extends Error {}
export class PromotionUsageError extends Error {}

export interface AnalyzeResult {
  spec: AppSpec | null;
  /** error diagnostics as printable lines; any makes the app unusable for promotion */
  errors: string[];
}

export interface PromoteOptions {
  /** the project directory: stack files and `.gantry/` live here */
  root: string;
  from: string;
  to: string;
  /** the app file; default: `gantry:app` of the target or source stack, or of Pulumi.yaml */
  app?: string;
  analyze: (appFile: string) => Promise<AnalyzeResult>;
  dryRun?: boolean;
  /**
   * The target stack's outputs (`pulumi stack output --json --stack <to>`): its `artifact` output
   * is what it runs, and an older artifact is refused (order.ts). Not given: no order check here
   * (gantry deploy still checks before pulumi up).
   */
  targetOutputs?: { value: unknown; where: string };
  /** promote even when the artifact is older than what the target runs (a rollback) */
  allowOlder?: boolean;
  /**
   * Copies the artifact's images into the target stack's own repositories (copy-images.ts) and
   * returns the refs the target runs (same digests). Called after every check, never on a dry
   * run. Not given: the target pulls from the source's repositories.
   */
  copyImages?: (artifact: Artifact, target: { stack: string; targetFile: string | null }) => Promise<Record<string, string>>;
}

export interface PromoteResult {
  artifact: Artifact;
  /** the order check against the target's record, when its outputs were given */
  order: OrderVerdict | null;
  /** the source's image refs when they were copied into the target's repositories (artifact.images are the copies) */
  copiedFrom: Record<string, string> | null;
  targetFile: string;
  createdTargetFile: boolean;
  appFile: string;
}

export async function promote(opts: PromoteOptions): Promise<PromoteResult> {
  const root = resolve(opts.root);
  if (opts.from === opts.to) throw new PromotionUsageError(`--from and --to are both "${opts.from}": promote from one stack to another`);

  const { artifact, plan } = sourceArtifact(root, opts.from);
  if (plan) checkImagesCover(plan.spec, artifact, opts.from);

  const appFile = opts.app ? resolve(root, opts.app) : appFromConfig(root, opts.to, opts.from);
  const { spec, errors } = await opts.analyze(appFile);
  if (!spec || errors.length) {
    throw new PromotionRefused(`refusing to promote: ${appFile} does not analyze cleanly (${errors.length} error${errors.length === 1 ? "" : "s"}):\n${errors.join("\n")}`);
  }
  const now = specHash(spec);
  if (now !== artifact.specHash) {
    const what = plan ? describeSpecChanges(plan.spec, spec) : [];
    throw new PromotionRefused(
      `refusing to promote ${opts.from} -> ${opts.to}: the app changed since stack "${opts.from}" was planned ` +
        `(${short(artifact.specHash)} -> ${short(now)})${what.length ? `:\n  - ${what.join("\n  - ")}` : ""}\n` +
        `Deploy the change to "${opts.from}" first (gantry deploy --stack ${opts.from}), then promote what it runs.`,
    );
  }

  let order: OrderVerdict | null = null;
  if (opts.targetOutputs) {
    let recorded;
    try {
      recorded = recordedArtifactOf(opts.targetOutputs.value, opts.targetOutputs.where);
    } catch (err) {
      if (err instanceof RecordUnreadable) throw new PromotionRefused(`refusing to promote: ${err.message}`);
      throw err;
    }
    order = checkPromotionOrder(artifact, recorded, opts.to, opts.allowOlder);
    if (!order.ok) throw new PromotionRefused(`refusing to promote ${opts.from} -> ${opts.to}: ${order.message}`);
  }

  const existing = findStackFile(opts.to, [root]);
  const targetFile = existing ?? join(root, stackFileName(opts.to));
  let promoted = artifact;
  let copiedFrom: Record<string, string> | null = null;
  if (opts.copyImages && !opts.dryRun) {
    const images = await opts.copyImages(artifact, { stack: opts.to, targetFile: existing });
    const same = Object.keys(images).sort().join() === Object.keys(artifact.images).sort().join() &&
      Object.entries(images).every(([id, ref]) => digestOf(ref) === digestOf(artifact.images[id]));
    if (!same) throw new Error(`the image copy returned other images or digests than the artifact's`); // a bug, not a refusal
    promoted = Artifact.parse({ ...artifact, images });
    copiedFrom = artifact.images;
  }
  if (!opts.dryRun) writeStackConfigValue(targetFile, "gantry:artifact", promoted);
  return { artifact: promoted, order, copiedFrom, targetFile, createdTargetFile: !existing, appFile };
}

const digestOf = (ref: string) => ref.slice(ref.lastIndexOf("@") + 1);

/** The source's deployment record (with its plan), or the artifact it was itself promoted with. */
function sourceArtifact(root: string, from: string): { artifact: Artifact; plan: Plan | null } {
  const deployment = readDeployment(root, from);
  const plan = readRecordedPlan(root, from);
  if (deployment) {
    if (!plan) throw new PromotionRefused(`refusing to promote: ${join(stackDir(root, from), "plan.json")} is missing; the deployment record of "${from}" has no plan to go with it`);
    if (planHash(plan) !== deployment.planHash || plan.specHash !== deployment.specHash) {
      throw new PromotionRefused(`refusing to promote: the recorded plan of "${from}" is not the one it deployed (plan ${short(planHash(plan))}, deployed ${short(deployment.planHash)}); deploy "${from}" again`);
    }
    const d = deployment;
    return { artifact: Artifact.parse({ fromStack: from, app: d.app, specHash: d.specHash, planHash: d.planHash, images: d.images, sequence: d.sequence, commit: d.commit }), plan };
  }
  const file = findStackFile(from, [root]);
  const recorded = file ? readStackConfig(file)["gantry:artifact"] : undefined;
  if (recorded !== undefined) {
    const parsed = Artifact.safeParse(recorded);
    if (!parsed.success) throw new PromotionRefused(`refusing to promote: gantry:artifact in ${file} is not valid (${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")})`);
    return { artifact: parsed.data, plan: plan && plan.specHash === parsed.data.specHash ? plan : null };
  }
  throw new PromotionRefused(
    `refusing to promote: stack "${from}" has no deployment to promote (no ${join(".gantry", "stacks", from, "deployment.json")} and no gantry:artifact in ${stackFileName(from)}); deploy it first: gantry deploy --stack ${from}`,
  );
}

function checkImagesCover(spec: AppSpec, artifact: Artifact, from: string): void {
  const missing = spec.images.map((i) => i.id).filter((id) => !artifact.images[id]);
  if (missing.length) throw new PromotionRefused(`refusing to promote: the deployment of "${from}" records no digest for image${missing.length === 1 ? "" : "s"} ${missing.join(", ")}`);
}

function appFromConfig(root: string, ...stacks: string[]): string {
  for (const stack of stacks) {
    const file = findStackFile(stack, [root]);
    const app = file ? readStackConfig(file)["gantry:app"] : undefined;
    if (typeof app === "string") return resolve(root, app);
  }
  const project = join(root, "Pulumi.yaml");
  if (existsSync(project)) {
    const value = readStackConfig(project)["gantry:app"];
    const app = value && typeof value === "object" ? (value as { value?: unknown; default?: unknown }).value ?? (value as { default?: unknown }).default : value;
    if (typeof app === "string") return resolve(root, app);
  }
  throw new PromotionUsageError(`which app? set gantry:app in ${stackFileName(stacks[0])} or pass --app <app.ts>`);
}

/** What differs between two specs, in a reviewer's words (names, never values). */
export function describeSpecChanges(before: AppSpec, after: AppSpec): string[] {
  const out: string[] = [];
  const a = new Map(poolsOf(before).map((p) => [p.id, p]));
  const b = new Map(poolsOf(after).map((p) => [p.id, p]));
  for (const [id, p] of b) {
    const old = a.get(id);
    if (!old) out.push(`new ${p.kind} ${id}`);
    else {
      const keys = Object.keys(p.options).filter((k) => canonicalJson((p.options as Record<string, unknown>)[k]) !== canonicalJson((old.options as Record<string, unknown>)[k]));
      if (keys.length) out.push(`${id}: ${keys.join(", ")} changed`);
    }
  }
  for (const id of a.keys()) if (!b.has(id)) out.push(`${a.get(id)!.kind} ${id} removed`);
  for (const key of ["images", "secrets", "volumes", "dicts", "queues", "entrypoints"] as const) {
    if (canonicalJson(before[key]) !== canonicalJson(after[key])) out.push(`${key} changed`);
  }
  const code = (s: AppSpec) => canonicalJson([...s.functions.map((f) => ({ ...f, options: null, source: null })), ...s.classes.map((c) => ({ ...c, options: null, source: null, variants: c.variants.map((v) => v.id) }))]);
  if (!out.length && code(before) !== code(after)) out.push("function or class signatures, methods or web options changed");
  if (!out.length) out.push("source locations or other details changed");
  return out;
}

function short(hash: string): string {
  return hash.length > 19 ? `${hash.slice(0, 19)}…` : hash;
}
