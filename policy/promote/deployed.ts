/**
 * The step `gantry deploy` runs after a successful `pulumi up`: record what the stack now runs
 * (`.gantry/stacks/<stack>/deployment.json` and `plan.json`, see records.ts) so that
 * `gantry promote --from <stack>` can hand exactly those digests to the next stack.
 *
 * The plan is the stack's offline plan, built by `gantry synth` in a child process: Pulumi's mock
 * runtime is process-global, and the deploying process has just run the real program.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Plan } from "../../provider/plan.ts";
import { DIGEST_REF, recordDeployment } from "./records.ts";

// the executable is cli/bin.mjs at the package root: two folders up from the sources, three from dist/
const GANTRY_BIN = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "../../cli/bin.mjs" : "../../../cli/bin.mjs", import.meta.url));

/** A stack output as the Automation API returns it (`UpResult.outputs`). */
export interface StackOutput {
  value: unknown;
  secret: boolean;
}

export type PlanSource = (projectRoot: string, app: string, stack: string) => Plan;

export interface DeployedStack {
  projectRoot: string;
  /** the app file, relative to the project root */
  app: string;
  stack: string;
  /** the outputs of `pulumi up` */
  outputs: Record<string, StackOutput>;
  /** the stack's offline plan; default: `gantry synth` in a child process (synthPlanInChild) */
  plan?: PlanSource;
  deployedAt?: string;
  /** `pulumi up`'s update number on this stack (UpResult.summary.version): orders promotions */
  sequence?: number;
  /** the commit deployed (deploymentCommit) */
  commit?: string;
}

export interface RecordedDeployment {
  file: string;
  plan: Plan;
  images: Record<string, string>;
}

/** The deployed stack could not be recorded (nothing was written). */
export class RecordError extends Error {}

/** `gantry synth <app> --stack <stack> --json --out <tmp>` in a child process, in the project root. */
export function synthPlanInChild(projectRoot: string, app: string, stack: string): Plan {
  const dir = mkdtempSync(join(tmpdir(), "gantry-deploy-plan-"));
  const out = join(dir, "plan.json");
  try {
    // stdout (the same JSON) is dropped: a large plan would overflow spawnSync's buffer
    const child = spawnSync(process.execPath, [GANTRY_BIN, "synth", app, "--stack", stack, "--json", "--out", out], {
      cwd: projectRoot,
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    if (child.error) throw new RecordError(`could not run gantry synth: ${child.error.message}`);
    if (child.status !== 0) throw new RecordError(`gantry synth ${app} --stack ${stack} failed (exit ${child.status}):\n${child.stderr.trimEnd()}`);
    const parsed = Plan.safeParse(JSON.parse(readFileSync(out, "utf8")));
    if (!parsed.success) throw new RecordError(`gantry synth ${app} --stack ${stack} wrote an invalid plan (${parsed.error.issues[0]?.message})`);
    return parsed.data;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The commit being deployed: `GITHUB_SHA` in GitHub Actions (the checkout may be detached or
 * shallow), else `git rev-parse HEAD` in the project, else undefined (not a git checkout).
 */
export function deploymentCommit(projectRoot: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env.GITHUB_SHA?.trim().toLowerCase();
  if (fromEnv && /^[0-9a-f]{7,64}$/.test(fromEnv)) return fromEnv;
  const git = spawnSync("git", ["rev-parse", "HEAD"], { cwd: projectRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const head = git.status === 0 ? git.stdout.trim() : "";
  return /^[0-9a-f]{7,64}$/.test(head) ? head : undefined;
}

function output(outputs: Record<string, StackOutput>, key: string): unknown {
  const o = outputs[key];
  if (!o) throw new RecordError(`the stack has no output "${key}" (is it a gantry program?)`);
  if (o.secret) throw new RecordError(`the stack output "${key}" is secret; gantry's outputs never are`);
  return o.value;
}

function sameKeys(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return Object.keys(a).sort().join("\0") === Object.keys(b).sort().join("\0");
}

/**
 * Records a deployment from `pulumi up`'s outputs and the stack's offline plan, after checking
 * that they describe the same thing (app, spec hash, image ids). Throws RecordError otherwise.
 */
export function recordStackDeployment(d: DeployedStack): RecordedDeployment {
  const images = output(d.outputs, "images");
  if (!images || typeof images !== "object" || Array.isArray(images)) throw new RecordError(`the stack output "images" is not a map of image id to digest reference`);
  const refs = images as Record<string, unknown>;
  const bad = Object.entries(refs).filter(([, ref]) => typeof ref !== "string" || !DIGEST_REF.test(ref));
  if (bad.length) throw new RecordError(`the stack output "images" has no digest for ${bad.map(([id, ref]) => `${id} (${JSON.stringify(ref)})`).join(", ")}; expected repository@sha256:<64 hex>`);
  const deployedHash = output(d.outputs, "specHash");
  const deployedApp = output(d.outputs, "app");

  const plan = (d.plan ?? synthPlanInChild)(d.projectRoot, d.app, d.stack);
  const mismatch = (what: string, planned: unknown, deployed: unknown) =>
    new RecordError(`the offline plan of stack "${d.stack}" is not what pulumi up deployed: ${what} ${JSON.stringify(planned)} in the plan, ${JSON.stringify(deployed)} deployed (did the app or its stack config change during the deploy?); deploy again`);
  if (plan.stack !== d.stack) throw mismatch("stack", plan.stack, d.stack);
  if (plan.app !== deployedApp) throw mismatch("app", plan.app, deployedApp);
  if (plan.specHash !== deployedHash) throw mismatch("spec hash", plan.specHash, deployedHash);
  const plannedImages = (plan.outputs.images ?? {}) as Record<string, unknown>;
  if (!sameKeys(plannedImages, refs)) throw mismatch("images", Object.keys(plannedImages).sort(), Object.keys(refs).sort());

  const file = recordDeployment(d.projectRoot, d.stack, plan, refs as Record<string, string>, d.deployedAt ?? new Date().toISOString(), { sequence: d.sequence, commit: d.commit });
  return { file, plan, images: refs as Record<string, string> };
}
