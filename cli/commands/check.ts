/**
 * `gantry check <app.ts|plan.json> --stack NAME [--policy-config F]`: the policy pack's functions,
 * offline. Each violation prints as `file:line:col: error|warning POLICY: message`; exit 1 when a
 * mandatory policy is violated (or the app does not analyze), 0 otherwise.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../main.ts";
import { Plan, type PlanResource } from "../../provider/plan.ts";
import type { AppSpec } from "../../synth/spec.ts";
import { specHash } from "../../synth/hash.ts";
import { analyzeAppFile, AnalyzerUnavailable, formatAnalyzerDiagnostics } from "../../policy/analyze-app.ts";
import { loadPolicyConfigFile, PolicyConfigError } from "../../policy/config.ts";
import { costPlan } from "../../policy/cost.ts";
import { defaultPrices } from "../../policy/prices.ts";
import { readRecordedPlan } from "../../policy/promote/records.ts";
import { formatViolation, runPolicies } from "../../policy/run.ts";
import { loadStackSettings } from "../../policy/stack-settings.ts";
import { stackFileDirs } from "../../policy/stack-config.ts";
import type { PlanCost } from "../../provider/plan.ts";

interface CheckFlags {
  stack: string;
  policyConfig?: string;
  format: string;
  /** commander's --no-plan */
  plan: boolean;
}

export function register(program: Command): void {
  program
    .command("check")
    .description("run gantry's policies (GPU spend, security) on an app or a plan, as the Pulumi policy pack would")
    .argument("<input>", "an app file (app.ts) or a plan (plan.json from gantry synth --json)")
    .requiredOption("--stack <name>", "the stack whose policy config applies (gantry:policy in Pulumi.<stack>.yaml)")
    .option("--policy-config <file>", "policy config file (JSON/YAML map, or a Pulumi.<stack>.yaml); replaces gantry:policy")
    .option("--format <format>", "text or json", "text")
    .option("--no-plan", "for an app file: check the spec only, without synthesizing the stack's offline plan")
    .addHelpText("after", `
Config is read from gantry:policy in Pulumi.<stack>.yaml next to the input, else in the working
directory. For an app file the stack's offline plan is synthesized first (as gantry synth does,
no credentials), so per-stack overrides apply and resource checks run; --no-plan skips that. With none, defaults hold: a GPU declaration without maxContainers is a mandatory violation.
Exit codes: 0 no mandatory violation, 1 a mandatory violation (or analysis errors), 2 usage error.`)
    .action((input: string, flags: CheckFlags) => run(input, flags));
}

async function run(input: string, flags: CheckFlags): Promise<void> {
  if (flags.format !== "text" && flags.format !== "json") throw new UsageError(`--format must be text or json, not "${flags.format}"`);
  const file = resolve(input);
  if (!existsSync(file)) throw new UsageError(`${input}: no such file`);

  let settings;
  let rawPolicy;
  try {
    settings = loadStackSettings(flags.stack, stackFileDirs(file));
    rawPolicy = flags.policyConfig ? loadPolicyConfigFile(resolve(flags.policyConfig)) : settings.policy;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  let spec: AppSpec;
  let resources: readonly PlanResource[] = [];
  let cost: PlanCost | null = null;
  const notes: string[] = [];
  if (file.endsWith(".json")) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      throw new UsageError(`${input}: not JSON (${(err as Error).message})`);
    }
    const parsed = Plan.safeParse(raw);
    if (!parsed.success) throw new UsageError(`${input}: not a gantry plan (${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message})`);
    spec = parsed.data.spec;
    resources = parsed.data.resources;
    // the plan's own cost unless the stack prices or usage say otherwise
    cost = settings.usage || settings.prices !== defaultPrices() ? null : parsed.data.cost;
  } else {
    let analyzed;
    try {
      analyzed = await analyzeAppFile(file);
    } catch (err) {
      if (err instanceof AnalyzerUnavailable) throw new UsageError(`${err.message}; check a plan instead: gantry synth ${input} --json --out plan.json && gantry check plan.json --stack ${flags.stack}`);
      throw err;
    }
    if (analyzed.diagnostics.length) process.stderr.write(formatAnalyzerDiagnostics(analyzed.diagnostics));
    if (!analyzed.spec || analyzed.errors.length) {
      process.stderr.write(`gantry check: ${input} has analysis errors; fix them to run the policies\n`);
      process.exitCode = 1;
      return;
    }
    spec = analyzed.spec;
    const plan = flags.plan ? await synthesize(file, flags.stack, notes) : null;
    if (plan) {
      // the stack's view: its overrides applied, every resource of the plan
      spec = plan.spec;
      resources = plan.resources;
    } else {
      // a plan recorded for this stack by `gantry synth --stack` adds the resource checks, if it is of this code
      const recorded = recordedPlan(flags.stack, [process.cwd(), dirname(file)]);
      if (recorded && recorded.specHash === specHash(spec)) resources = recorded.resources;
      else notes.push(`resource checks (EFS encryption, queue timeouts) and stack overrides need the plan: gantry synth ${input} --stack ${flags.stack} --json --out plan.json, then gantry check plan.json`);
    }
  }

  let violations;
  try {
    violations = runPolicies(
      { spec, resources, stack: flags.stack, cost: cost ?? costPlan(spec, resources, { usage: settings.usage, prices: settings.prices }) },
      rawPolicy,
      flags.policyConfig ?? settings.file ?? "policy config",
    );
  } catch (err) {
    if (err instanceof PolicyConfigError) throw new UsageError(err.message);
    throw err;
  }

  const mandatory = violations.filter((v) => v.level === "mandatory").length;
  if (flags.format === "json") {
    process.stdout.write(`${JSON.stringify({ stack: flags.stack, config: flags.policyConfig ?? settings.file, violations }, null, 2)}\n`);
  } else {
    for (const v of violations) process.stdout.write(`${formatViolation(v, input)}\n`);
    for (const n of notes) process.stderr.write(`note: ${n}\n`);
    const advisory = violations.length - mandatory;
    const from = flags.policyConfig ?? settings.file ?? "defaults (no Pulumi." + flags.stack + ".yaml found)";
    process.stderr.write(`${mandatory} error${mandatory === 1 ? "" : "s"}, ${advisory} warning${advisory === 1 ? "" : "s"} (stack ${flags.stack}, policy config: ${from})\n`);
  }
  if (mandatory > 0) process.exitCode = 1;
}

/** `.gantry/stacks/<stack>/plan.json` of the first directory that has a readable one. */
function recordedPlan(stack: string, roots: string[]): Plan | null {
  for (const root of roots) {
    try {
      const plan = readRecordedPlan(root, stack);
      if (plan) return plan;
    } catch (err) {
      process.stderr.write(`note: ignoring ${(err as Error).message}\n`);
    }
  }
  return null;
}

/** The stack's offline plan (mock runtime, no credentials), or null with a note when it cannot be built. */
async function synthesize(file: string, stack: string, notes: string[]): Promise<Plan | null> {
  try {
    const { buildPlan } = await import("../../provider/plan/build.ts");
    const { findProjectRoot } = await import("../../synth/index.ts");
    const root = findProjectRoot(dirname(file));
    // the policies judge this code under the stack's config, even where the stack runs a promoted artifact
    return await buildPlan({ projectRoot: root, stack, app: relative(root, file), ignoreArtifact: true });
  } catch (err) {
    notes.push(`the offline plan could not be built (${(err as Error).message.split("\n")[0]}); checked the spec only`);
    return null;
  }
}
