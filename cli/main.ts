/**
 * Command-line entry: `gantry <command>`. Each command lives in `cli/commands/<name>.ts` and exports
 * `register(program)`. Exit codes: 0 ok, 1 diagnostics or policy violations, 2 usage errors.
 */
import { Command, CommanderError } from "commander";
import { readFileSync } from "node:fs";
import { register as registerSpec } from "./commands/spec.ts";
import { register as registerRun } from "./commands/run.ts";
import { register as registerServe } from "./commands/serve.ts";
import { register as registerSynth } from "./commands/synth.ts";
import { register as registerDiff } from "./commands/diff.ts";
import { register as registerCheck } from "./commands/check.ts";
import { register as registerDeploy } from "./commands/deploy.ts";
import { register as registerPromote } from "./commands/promote.ts";
import { register as registerSecret } from "./commands/secret.ts";

export const EXIT = { ok: 0, diagnostics: 1, usage: 2 } as const;

/** Thrown by commands for a usage error (bad flag combination, missing file): exit 2. */
export class UsageError extends Error {}

const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

export function buildProgram(): Command {
  const program = new Command("gantry")
    .description("Modal's programming model on your own cloud: run locally, synthesize Pulumi stacks, review and promote")
    .version(version)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  for (const register of [registerSpec, registerRun, registerServe, registerSynth, registerDiff, registerCheck,
    registerDeploy, registerPromote, registerSecret]) {
    register(program);
  }
  return program;
}

/** Runs the CLI and returns the exit code (commands set `process.exitCode` for 1). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`gantry: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}
