/**
 * The gantry Pulumi program: read the stack config, analyse the app statically, apply the
 * stack's overrides and declare the stack. A promoted stack (`gantry:artifact`) must run the very
 * code its source stack ran (same spec hash) and runs its image digests instead of building. `Pulumi.yaml` runs it (provider/program.ts), a user's
 * own repo runs it through `gantry/pulumi`, and `gantry synth` runs it under mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import { resolve } from "node:path";
import { analyzeApp, formatDiagnostics, specHash, type Diagnostic } from "../synth/index.ts";
import type { AppSpec } from "../synth/spec.ts";
import { createAwsApp } from "./aws/index.ts";
import { readGantryConfig, stackFile } from "./config.ts";
import { applyOverrides, ConfigError } from "./overrides.ts";
import { ARTIFACT_KEY, checkArtifactSpec, parseArtifactConfig } from "../policy/promote/artifact.ts";

export interface ProgramOptions {
  /** the app file, relative to the project root; default: stack config `gantry:app` */
  app?: string;
  /** default: the directory of Pulumi.yaml */
  projectRoot?: string;
  /** a spec made elsewhere (tests, benchmarks); skips the analysis */
  spec?: AppSpec;
  secretValues?: Record<string, Record<string, string>>;
  /** called with the spec the stack deploys (overrides applied) and the code's spec hash */
  observe?: (deployed: { spec: AppSpec; specHash: string }) => void;
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

export async function runGantryProgram(options: ProgramOptions = {}): Promise<Record<string, unknown>> {
  const config = readGantryConfig();
  const projectRoot = resolve(options.projectRoot ?? (pulumi.runtime.getRootDirectory() || process.cwd()));
  // paths handed to Pulumi (build contexts, Lambda code) are relative to the project root, which
  // keeps plans machine-independent; Pulumi resolves them against the working directory
  if (process.cwd() !== projectRoot) process.chdir(projectRoot);
  if (config.target !== "aws") throw new ConfigError([`${stackFile()}: gantry:target: "${config.target}" is not implemented yet (aws is)`]);
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
  options.observe?.({ spec, specHash: hash });
  return createAwsApp({
    spec,
    specHash: hash,
    secretValues: analysis.secretValues,
    config,
    projectRoot,
    stack: pulumi.getStack(),
    artifact,
    stackFile: stackFile(),
  });
}
