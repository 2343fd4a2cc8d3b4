/**
 * The gantry Pulumi program, the same for every target: read the stack config (the shared
 * `gantry:` keys, then the target's own settings), analyse the app statically, apply the stack's
 * overrides, check the spec (provider/checks.ts, then the target's validate) and let the target
 * declare the stack (provider/target.ts). A promoted stack (`gantry:artifact`) must run the very
 * code its source stack ran (same spec hash) and runs its image digests instead of building.
 * `Pulumi.yaml` runs it (provider/program.ts), a user's own repo runs it through `gantry/pulumi`,
 * and `gantry synth` runs it under mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import { resolve } from "node:path";
import { analyzeApp, formatDiagnostics, specHash, type Diagnostic } from "../synth/index.ts";
import type { AppSpec } from "../synth/spec.ts";
import { ARTIFACT_KEY, checkArtifactSpec, parseArtifactConfig } from "./artifact.ts";
import { checkSpec } from "./checks.ts";
import { readGantryConfig, StackConfigReader, stackFile } from "./config.ts";
import { ConfigError, SynthError } from "./errors.ts";
import { applyOverrides } from "./overrides.ts";
import { lookupTarget, type LiveAccount, type Target } from "./target.ts";

export interface ProgramOptions {
  /** the app file, relative to the project root; default: stack config `gantry:app` */
  app?: string;
  /** default: the directory of Pulumi.yaml */
  projectRoot?: string;
  /** a spec made elsewhere (tests, benchmarks); skips the analysis */
  spec?: AppSpec;
  secretValues?: Record<string, Record<string, string>>;
  /** called with the spec the stack deploys (overrides applied) and the code's spec hash */
  observe?: (deployed: Deployed) => void;
  /** default: live, as under the Pulumi engine; null offline (provider/plan/build.ts) */
  live?: LiveAccount | null;
}

/** What the program deploys: the spec with overrides applied, the code's hash, the target's name. */
export interface Deployed {
  spec: AppSpec;
  specHash: string;
  target: string;
}

export interface Analysis {
  spec: AppSpec;
  secretValues: Record<string, Record<string, string>>;
}

/** The analysis found errors in user code; `diagnostics` as the analyzer reported them. */
export class AnalysisError extends Error {
  constructor(readonly diagnostics: Diagnostic[], readonly projectRoot: string) {
    super(formatDiagnostics(diagnostics.filter((d) => d.severity === "error"), { color: false, cwd: projectRoot }).trimEnd());
  }
}

/** Runs the static analysis on an app file (relative to the project root). */
export function analyze(projectRoot: string, app: string): Analysis {
  const result = analyzeApp(resolve(projectRoot, app), { projectRoot });
  if (!result.spec) throw new AnalysisError(result.diagnostics, projectRoot);
  return { spec: result.spec, secretValues: result.secretValues };
}

/** The target `gantry:target` names, or a ConfigError saying which names there are. */
function targetOf(name: string, file: string): Target {
  const found = lookupTarget(name);
  if (found.kind === "found") return found.target;
  if (found.kind === "not-implemented") throw new ConfigError([`${file}: gantry:target: "${name}" is not implemented yet (${found.implemented.join(", ")} is)`]);
  throw new ConfigError([`${file}: gantry:target: "${name}" is not one of ${found.known.join(", ")}`]);
}

export async function runGantryProgram(options: ProgramOptions = {}): Promise<Record<string, unknown>> {
  const reader = new StackConfigReader();
  const config = readGantryConfig(reader);
  reader.throwIfProblems();
  const target = targetOf(config.target, reader.file);
  const settings = target.readSettings(reader);
  reader.throwIfProblems();
  const projectRoot = resolve(options.projectRoot ?? (pulumi.runtime.getRootDirectory() || process.cwd()));
  // paths handed to Pulumi (build contexts, Lambda code) are relative to the project root, which
  // keeps plans machine-independent; Pulumi resolves them against the working directory
  if (process.cwd() !== projectRoot) process.chdir(projectRoot);
  const artifact = parseArtifactConfig(pulumi.runtime.getConfig(ARTIFACT_KEY), stackFile());
  let analysis: Analysis;
  if (options.spec) analysis = { spec: options.spec, secretValues: options.secretValues ?? {} };
  else {
    const app = options.app ?? config.app;
    if (!app) throw new ConfigError([`${stackFile()}: gantry:app is not set (pulumi config set gantry:app path/to/app.ts)`]);
    analysis = analyze(projectRoot, app);
  }
  // the hash of the code as analysed, before this stack's overrides: what gantry promote compares
  const hash = specHash(analysis.spec);
  if (artifact) checkArtifactSpec(artifact, hash, pulumi.getStack(), stackFile());
  const spec = applyOverrides(analysis.spec, config.overrides, stackFile());
  const problems = [...checkSpec(spec), ...target.validate(spec, settings)];
  if (problems.length) throw new SynthError(problems);
  options.observe?.({ spec, specHash: hash, target: target.name });
  return target.declare({
    spec,
    specHash: hash,
    secretValues: analysis.secretValues,
    config,
    settings,
    projectRoot,
    stack: pulumi.getStack(),
    artifact,
    stackFile: stackFile(),
    live: options.live === undefined ? { dryRun: pulumi.runtime.isDryRun() } : options.live,
  });
}
