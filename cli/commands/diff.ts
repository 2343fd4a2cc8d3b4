/**
 * `gantry diff <base-plan.json> <head-plan.json>` or `gantry diff <preview.json>`: the review of a
 * change as a pull-request comment (markdown, with a hidden tag CI uses to update its comment) or
 * JSON. Flags never change the exit code: a review informs, `gantry check` enforces. A preview
 * that failed (its program threw, or its step list is partial) is reviewed as far as it goes, said
 * so at the top, and exits 3 (EXIT.previewFailed) so CI cannot read it as a clean change.
 */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { EXIT, UsageError } from "../main.ts";
import { diffPlans, diffPreview } from "../../policy/review/diff.ts";
import { renderMarkdown } from "../../policy/review/markdown.ts";
import { DiffInputError, readDiffInput } from "../../policy/review/sides.ts";
import type { Plan } from "../../provider/plan.ts";

interface DiffFlags {
  format: string;
  basePlan?: string;
  headPlan?: string;
  out?: string;
}

export function register(program: Command): void {
  program
    .command("diff")
    .description("review a change: resources added/changed/replaced/removed by declaration, cost delta, GPU/IAM/public/secret flags")
    .argument("<base>", "the base plan (gantry synth --json), or a `pulumi preview --json` output alone")
    .argument("[head]", "the head plan")
    .option("--format <format>", "markdown (a pull-request comment) or json", "markdown")
    .option("--base-plan <file>", "with a preview: the base plan, for costs and declarations")
    .option("--head-plan <file>", "with a preview: the head plan, for costs, declarations and source locations")
    .option("--out <file>", "write to a file instead of stdout")
    .addHelpText("after", `
Examples:
  gantry diff base/plan.json head/plan.json
  pulumi preview --json > preview.json && gantry diff preview.json --head-plan plan.json
The markdown starts with <!-- gantry-diff --> so CI can update one comment per pull request.
Exit codes: 0 reviewed (flags do not fail it), 2 usage errors, 3 the preview failed (error
diagnostics or a partial step list): the review is printed with the failure at the top.`)
    .action((base: string, head: string | undefined, flags: DiffFlags) => run(base, head, flags));
}

function run(basePath: string, headPath: string | undefined, flags: DiffFlags): void {
  if (flags.format !== "markdown" && flags.format !== "json") throw new UsageError(`--format must be markdown or json, not "${flags.format}"`);
  try {
    const base = readDiffInput(basePath);
    let diff;
    if (headPath === undefined) {
      if (base.kind !== "preview") throw new UsageError(`${basePath} is a plan: give the head plan too (gantry diff <base-plan> <head-plan>)`);
      diff = diffPreview(base.preview, { basePlan: optionalPlan(flags.basePlan), headPlan: optionalPlan(flags.headPlan) });
    } else {
      const head = readDiffInput(headPath);
      if (base.kind !== "plan" || head.kind !== "plan") {
        throw new UsageError("two inputs must both be plans; pass a `pulumi preview --json` output alone (with --base-plan/--head-plan)");
      }
      if (flags.basePlan || flags.headPlan) throw new UsageError("--base-plan and --head-plan go with a preview, not with two plans");
      diff = diffPlans(base.plan, head.plan);
    }
    const text = flags.format === "json" ? `${JSON.stringify(diff, null, 2)}\n` : renderMarkdown(diff);
    if (flags.out) writeFileSync(flags.out, text);
    else process.stdout.write(text);
    if (diff.failure) {
      process.stderr.write(`gantry: the preview failed: ${diff.failure.reasons.join("; ")}\n`);
      process.exitCode = EXIT.previewFailed;
    }
  } catch (err) {
    if (err instanceof DiffInputError) throw new UsageError(err.message);
    throw err;
  }
}

function optionalPlan(path: string | undefined): Plan | undefined {
  if (!path) return undefined;
  const input = readDiffInput(path);
  if (input.kind !== "plan") throw new UsageError(`${path} is not a gantry plan`);
  return input.plan;
}
