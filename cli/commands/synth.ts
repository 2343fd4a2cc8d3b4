/**
 * `gantry synth <app.ts> [--target NAME] [--stack NAME] [--json] [--out plan.json]`: the offline
 * plan. Runs the same Pulumi program `pulumi up` runs, under Pulumi's mock runtime: no engine, no
 * cloud account, no credentials. Stack config comes from Pulumi.yaml / Pulumi.<stack>.yaml in the
 * project root (the nearest directory with a package.json above the app); `--target` wins over the
 * stack's `gantry:target`. The plan's cost range is the cost model's plan step, passed in here.
 * Exit 1 on analysis or config errors, 2 on usage errors.
 */
import { existsSync, statSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import type { Command } from "commander";
import { costStep } from "../../policy/plan-step.ts";
import { ConfigError, SynthError } from "../../provider/errors.ts";
import { buildPlan, serializePlan } from "../../provider/plan/build.ts";
import { summarizePlan } from "../../provider/plan/summary.ts";
import { analyze, AnalysisError } from "../../provider/run.ts";
import { implementedTargets, knownTargets, lookupTarget } from "../../provider/target.ts";
import { findProjectRoot, formatDiagnostics, summarizeDiagnostics } from "../../synth/index.ts";
import { UsageError } from "../main.ts";

interface SynthFlags { target?: string; stack: string; json?: boolean; out?: string; ignoreArtifact?: boolean; callerPolicy?: string }

/** Refuses a --target the registry does not have, or has not built yet. */
function checkTargetFlag(name: string): void {
  const found = lookupTarget(name);
  const implemented = implementedTargets().join(", ");
  if (found.kind === "not-implemented") throw new UsageError(`--target ${name} is not implemented yet; use --target ${implemented}`);
  if (found.kind === "unknown") throw new UsageError(`--target must be ${orList(found.known)}, not "${name}"`);
}

function orList(names: string[]): string {
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}` : names.join("");
}

export function register(program: Command): void {
  program
    .command("synth")
    .description("the offline plan: every cloud resource the stack would create, with source locations (no credentials needed)")
    .argument("<app>", "the app file, e.g. examples/hello/app.ts")
    .option("--target <target>", `${orList(knownTargets())} (default: the stack's gantry:target, else aws); implemented: ${implementedTargets().join(", ")}`)
    .option("--stack <name>", "the stack whose config applies (Pulumi.<stack>.yaml)", "dev")
    .option("--json", "print the plan as JSON (byte-identical for the same input)")
    .option("--out <file>", "also write the plan as JSON to this file")
    .option("--ignore-artifact", "plan as if the stack had no promoted gantry:artifact (review a change before it reaches staging)")
    .option("--caller-policy <function>", "print instead the least IAM policy (JSON) a Node process needs to call this function or class with Function.fromName / Cls.fromName")
    .addHelpText("after", `
Without --json: a summary per declaration (GPU, instance type, scaling bounds, schedules, endpoints).
Values AWS computes (ids, ARNs, URLs, image digests) are deterministic stand-ins in account
000000000000; secrets print as "[secret]".
With --caller-policy F: the IAM policy for Function.fromName(app, "F", { stack }) callers, e.g.
  gantry synth app.ts --stack prod --caller-policy embed > embed-caller.json`)
    .action((app: string, flags: SynthFlags) => run(app, flags));
}

function report(text: string): void {
  process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
}

async function run(app: string, flags: SynthFlags): Promise<void> {
  if (flags.target !== undefined) checkTargetFlag(flags.target);
  if (!/^[A-Za-z0-9_.-]+$/.test(flags.stack)) throw new UsageError(`--stack "${flags.stack}" is not a valid stack name`);
  if (flags.callerPolicy !== undefined) return (await import("../caller-policy.ts")).printCallerPolicy(app, flags.stack, flags.callerPolicy);
  const file = resolve(app);
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no such file: ${app}`);
  const projectRoot = findProjectRoot(dirname(file));
  const color = !!process.stderr.isTTY && !process.env.NO_COLOR;
  let plan;
  try {
    // analysed here so that its warnings are printed too (an image without Node, unpinned packages)
    const analysis = analyze(projectRoot, relative(projectRoot, file));
    if (analysis.warnings.length) report(formatDiagnostics(analysis.warnings, { color, cwd: process.cwd() }));
    plan = await buildPlan({
      projectRoot, stack: flags.stack, app: relative(projectRoot, file), target: flags.target, ignoreArtifact: flags.ignoreArtifact,
      spec: analysis.spec, secretValues: analysis.secretValues,
    }, [costStep]);
  } catch (err) {
    if (err instanceof AnalysisError) {
      report(formatDiagnostics(err.diagnostics, { color, cwd: process.cwd() }));
      report(summarizeDiagnostics(err.diagnostics));
    } else if (err instanceof ConfigError || err instanceof SynthError) {
      for (const problem of err.problems) report(`error: ${problem}`);
    } else throw err;
    process.exitCode = 1;
    return;
  }
  const json = serializePlan(plan);
  if (flags.out) writeFileSync(flags.out, json);
  process.stdout.write(flags.json ? json : summarizePlan(plan));
}
