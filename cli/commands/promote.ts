/**
 * `gantry promote --from STACK --to STACK`: records the source stack's frozen artifact (spec hash,
 * image digests, plan hash) as `gantry:artifact` in `Pulumi.<to>.yaml`, so the target deploys
 * exactly what the source runs. Refuses (exit 1) when the app changed since the source's plan.
 */
import { readFileSync } from "node:fs";
import { ECRClient } from "@aws-sdk/client-ecr";
import type { Command } from "commander";
import { UsageError } from "../main.ts";
import { analyzeAppFile, AnalyzerUnavailable, formatAnalyzerDiagnostics } from "../../policy/analyze-app.ts";
import { promote, PromotionRefused, PromotionUsageError } from "../../policy/promote/promote.ts";
import { copyArtifactImages, ImageCopyError, targetRegion } from "../../policy/promote/copy-images.ts";
import type { Artifact } from "../../policy/promote/records.ts";
import { readStackConfig } from "../../policy/stack-config.ts";

interface PromoteFlags {
  from: string;
  to: string;
  app?: string;
  cwd?: string;
  dryRun?: boolean;
  targetOutputs?: string;
  allowOlder?: boolean;
  /** false with --no-copy-images */
  copyImages: boolean;
}

export function register(program: Command): void {
  program
    .command("promote")
    .description("promote the frozen artifact (spec hash + image digests) of one stack to the next")
    .requiredOption("--from <stack>", "the stack whose deployment is promoted (e.g. staging)")
    .requiredOption("--to <stack>", "the stack that will deploy it (e.g. prod)")
    .option("--app <file>", "the app file (default: gantry:app from the stack files or Pulumi.yaml)")
    .option("--cwd <dir>", "the project directory (stack files and .gantry/)", ".")
    .option("--dry-run", "check and print, write nothing")
    .option("--target-outputs <file>", "the target's outputs (pulumi stack output --json --stack <to>): refuse an artifact older than the one it runs")
    .option("--allow-older", "promote even when the artifact is older than the one the target runs (a rollback)")
    .option("--no-copy-images", "do not copy the images into the target's ECR repositories: the target pulls from the source's")
    .addHelpText("after", `
Reads .gantry/stacks/<from>/deployment.json and plan.json (written by gantry deploy), or the
gantry:artifact the source stack was itself promoted with, and writes gantry:artifact into
Pulumi.<to>.yaml. The target's gantry:overrides still apply.

Images: each digest is copied into the target's own ECR repository gantry/<app>/<to>/<image id>
(in the target's aws:region and the caller's account; created if missing), same digest, and the
artifact names those copies, so the source's lifecycle policy or destroy cannot remove what the
target runs. Needs AWS credentials that read the source repositories and write the target's.

Order: each deployment records its stack's Pulumi update number; a promoted stack exports the
artifact it runs as its "artifact" output. With --target-outputs, an artifact older than that is
refused (exit 1); gantry deploy makes the same check against the stack before pulumi up.`)
    .action((flags: PromoteFlags) => run(flags));
}

function readOutputs(file: string): { value: unknown; where: string } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`--target-outputs: cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    // an empty file: `pulumi stack output --json` of a stack with no outputs prints {}; a new stack prints nothing
    return { value: text.trim() === "" ? {} : JSON.parse(text), where: file };
  } catch {
    throw new UsageError(`--target-outputs: ${file} is not JSON (expected the output of pulumi stack output --json)`);
  }
}

async function run(flags: PromoteFlags): Promise<void> {
  const targetOutputs = flags.targetOutputs ? readOutputs(flags.targetOutputs) : undefined;
  try {
    const result = await promote({
      root: flags.cwd ?? ".",
      from: flags.from,
      to: flags.to,
      app: flags.app,
      dryRun: flags.dryRun,
      targetOutputs,
      allowOlder: flags.allowOlder,
      ...(flags.copyImages ? { copyImages } : {}),
      analyze: async (file) => {
        const analyzed = await analyzeAppFile(file);
        return { spec: analyzed.spec, errors: analyzed.errors.length ? [formatAnalyzerDiagnostics(analyzed.errors).trimEnd()] : [] };
      },
    });
    const a = result.artifact;
    const images = Object.entries(a.images).map(([id, ref]) => `  ${id}: ${ref}`).join("\n");
    if (result.order) process.stdout.write(`order: ${result.order.message}\n`);
    if (result.copiedFrom) {
      for (const [id, from] of Object.entries(result.copiedFrom)) {
        process.stdout.write(from === a.images[id] ? `image ${id}: already in ${flags.to}'s repository\n` : `copied image ${id}: ${from} -> ${a.images[id]}\n`);
      }
    } else if (!flags.dryRun && !flags.copyImages) {
      process.stdout.write(`images not copied (--no-copy-images): ${flags.to} pulls from the source's repositories\n`);
    }
    process.stdout.write(
      `${flags.dryRun ? "would promote" : "promoted"} ${flags.from} -> ${flags.to}: ${a.app} ${a.specHash}\n` +
        `  plan ${a.planHash} (first deployed to ${a.fromStack}${a.sequence !== undefined ? ` as deployment #${a.sequence}` : ""}${a.commit ? ` from ${a.commit.slice(0, 12)}` : ""})\n${images}\n` +
        `${flags.dryRun ? "would write" : result.createdTargetFile ? "created" : "updated"} ${result.targetFile} (gantry:artifact); ` +
        `gantry deploy --stack ${flags.to} now deploys exactly these digests\n`,
    );
  } catch (err) {
    if (err instanceof PromotionUsageError || err instanceof AnalyzerUnavailable) throw new UsageError(err.message);
    if (err instanceof PromotionRefused || err instanceof ImageCopyError) {
      process.stderr.write(`gantry promote: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}

/** The real copier: ECR clients per region with the default credential chain. */
async function copyImages(artifact: Artifact, target: { stack: string; targetFile: string | null }): Promise<Record<string, string>> {
  const region = targetRegion(target.targetFile ? readStackConfig(target.targetFile) : {});
  if (!region) throw new UsageError(`the images are copied into stack ${target.stack}'s region: set aws:region in Pulumi.${target.stack}.yaml (or AWS_REGION), or pass --no-copy-images`);
  const clients = new Map<string, ECRClient>();
  const ecr = (r: string) => clients.get(r) ?? clients.set(r, new ECRClient({ region: r })).get(r)!;
  try {
    const { images } = await copyArtifactImages(artifact, { app: artifact.app, stack: target.stack, region }, { ecr, fetch: (url) => fetch(url) });
    return images;
  } finally {
    for (const c of clients.values()) c.destroy();
  }
}
