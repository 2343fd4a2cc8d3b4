/**
 * `gantry deploy <app.ts> --stack NAME` and `gantry preview <app.ts> --stack NAME`: `pulumi up` and
 * `pulumi preview` of the gantry program through Pulumi's Automation API (an inline program run in
 * this process, in the project root, with that stack's config). They need the Pulumi CLI on PATH
 * and cloud credentials; `gantry synth` needs neither.
 *
 * A promoted stack (`gantry:artifact`) is checked against the code before Pulumi starts. After a
 * successful `pulumi up`, deploy records what the stack runs (.gantry/stacks/<stack>/), which is
 * what `gantry promote --from <stack>` moves on.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { deploymentCommit, recordStackDeployment, RecordError } from "../../policy/promote/deployed.ts";
import { checkPromotionOrder, recordedArtifactOf, RecordUnreadable } from "../../policy/promote/order.ts";
import { checkStackArtifact } from "../../provider/artifact.ts";
import { ConfigError } from "../../provider/errors.ts";
import { AnalysisError, analyze, runGantryProgram, type Analysis } from "../../provider/run.ts";
import { findProjectRoot, formatDiagnostics, summarizeDiagnostics } from "../../synth/index.ts";
import { UsageError } from "../main.ts";

interface DeployFlags { stack: string; yes?: boolean; allowOlder?: boolean }

const PULUMI_MISSING = `the Pulumi CLI was not found on PATH; gantry deploy/preview drive it through Pulumi's Automation API.
Install it (https://www.pulumi.com/docs/install/, e.g. curl -fsSL https://get.pulumi.com | sh), log in
(pulumi login, or pulumi login --local), and set AWS credentials. For a plan without any of that:
gantry synth <app> --stack <name>`;

/** Whether `pulumi` runs; the Automation API shells out to it for every operation. */
export function pulumiCliAvailable(): boolean {
  const result = spawnSync("pulumi", ["version"], { stdio: "ignore" });
  return !result.error && result.status === 0;
}

export function register(program: Command): void {
  for (const [name, verb] of [["deploy", "pulumi up"], ["preview", "pulumi preview"]] as const) {
    program
      .command(name)
      .description(`${verb} of an app's stack through the Automation API (needs the Pulumi CLI and cloud credentials)`)
      .argument("<app>", "the app file, e.g. examples/hello/app.ts")
      .requiredOption("--stack <name>", "the stack to deploy (created if missing; config from Pulumi.<stack>.yaml)")
      .option("--allow-older", "deploy a promoted artifact older than the one the stack runs (a rollback)")
      .addHelpText("after", `
Runs in the project root (the nearest directory with a package.json above the app) with the stack's
config: gantry:overrides, gantry:network, aws:region, ... See gantry synth for the same plan offline.${name === "deploy" ? `
After pulumi up, records the deployment (spec hash, image digests, plan) in .gantry/stacks/<stack>/
for gantry promote. A stack promoted with gantry:artifact builds no images: it runs the artifact's
digests, and refuses an app whose spec hash is not the artifact's.` : ""}`)
      .action((app: string, flags: DeployFlags) => run(name, app, flags));
  }
}

function projectNameOf(root: string): string {
  const file = join(root, "Pulumi.yaml");
  if (!existsSync(file)) return "gantry";
  return /^name:\s*(\S+)/m.exec(readFileSync(file, "utf8"))?.[1] ?? "gantry";
}

async function run(command: "deploy" | "preview", app: string, flags: DeployFlags): Promise<void> {
  const file = resolve(app);
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no such file: ${app}`);
  if (!pulumiCliAvailable()) throw new UsageError(PULUMI_MISSING);
  const projectRoot = findProjectRoot(dirname(file));
  const rel = relative(projectRoot, file);
  let analysis: Analysis;
  try {
    analysis = analyze(projectRoot, rel); // user-code errors with their locations, before Pulumi starts
  } catch (err) {
    if (!(err instanceof AnalysisError)) throw err;
    process.stderr.write(formatDiagnostics(err.diagnostics, { color: !!process.stderr.isTTY, cwd: process.cwd() }));
    process.stderr.write(`${summarizeDiagnostics(err.diagnostics)}\n`);
    process.exitCode = 1;
    return;
  }
  let artifact;
  try {
    artifact = checkStackArtifact(projectRoot, flags.stack, analysis.spec); // the program refuses the same way, later
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) process.stderr.write(`error: ${problem}\n`);
    process.exitCode = 1;
    return;
  }
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation/index.js");
  // relative paths in the program (build contexts, Lambda code) are relative to the project root
  process.chdir(projectRoot);
  const projectName = projectNameOf(projectRoot);
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: flags.stack, projectName, program: () => runGantryProgram({ app: rel, projectRoot }) },
    {
      workDir: projectRoot,
      ...(existsSync(join(projectRoot, "Pulumi.yaml")) ? {} : { projectSettings: { name: projectName, runtime: "nodejs" as const } }),
    },
  );
  if (artifact) {
    // the stack's own record (its `artifact` output, in the backend): never move it back silently
    let verdict;
    try {
      verdict = checkPromotionOrder(artifact, recordedArtifactOf(await stack.outputs(), `stack ${flags.stack}`), flags.stack, flags.allowOlder);
    } catch (err) {
      if (!(err instanceof RecordUnreadable)) throw err;
      verdict = { ok: false as const, message: err.message };
    }
    if (!verdict.ok) {
      process.stderr.write(`gantry ${command}: ${verdict.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`promotion order: ${verdict.message}\n`);
  }
  const onOutput = (out: string) => process.stdout.write(out);
  if (command === "preview") {
    await stack.preview({ onOutput });
    return;
  }
  const result = await stack.up({ onOutput });
  process.stdout.write(`\noutputs:\n${JSON.stringify(Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value])), null, 2)}\n`);
  try {
    const recorded = recordStackDeployment({
      projectRoot, app: rel, stack: flags.stack, outputs: result.outputs,
      sequence: result.summary.version, commit: deploymentCommit(projectRoot),
    });
    process.stdout.write(`recorded ${relative(process.cwd(), recorded.file)} (${Object.keys(recorded.images).length} image digest${Object.keys(recorded.images).length === 1 ? "" : "s"}); promote it with gantry promote --from ${flags.stack} --to <stack>\n`);
  } catch (err) {
    // the cloud has changed either way: say so rather than fail as if nothing had been deployed
    const why = err instanceof RecordError ? err.message : (err as Error).stack ?? String(err);
    process.stderr.write(`gantry deploy: stack "${flags.stack}" was deployed, but the deployment was not recorded, so it cannot be promoted: ${why}\n`);
    process.exitCode = 1;
  }
}
