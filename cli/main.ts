/**
 * Command-line entry: `gantry <command>`. Each command lives in `cli/commands/<name>.ts` and exports
 * `register(program)`. Only the command being run is imported (some pull in Pulumi or the AWS SDK,
 * which take seconds to load); `gantry --help` loads them all to list them.
 * Exit codes: 0 ok, 1 diagnostics or policy violations, 2 usage errors, 3 `gantry diff` of a
 * `pulumi preview --json` that failed (error diagnostics or a partial step list).
 */
import { Command, CommanderError } from "commander";
import { readFileSync } from "node:fs";
import { commonJsProblemOf } from "./app-module.ts";

export const EXIT = { ok: 0, diagnostics: 1, usage: 2, previewFailed: 3 } as const;

/** Thrown by commands for a usage error (bad flag combination, missing file): exit 2. */
export class UsageError extends Error {}

type Register = (program: Command) => void;
const COMMANDS: Record<string, () => Promise<{ register: Register }>> = {
  spec: () => import("./commands/spec.ts"),
  run: () => import("./commands/run.ts"),
  serve: () => import("./commands/serve.ts"),
  synth: () => import("./commands/synth.ts"),
  diff: () => import("./commands/diff.ts"),
  check: () => import("./commands/check.ts"),
  deploy: () => import("./commands/deploy.ts"),
  promote: () => import("./commands/promote.ts"),
  secret: () => import("./commands/secret.ts"),
  redrive: () => import("./commands/redrive.ts"),
  stop: () => import("./commands/stop.ts"),
  start: () => import("./commands/start.ts"),
  logs: () => import("./commands/logs.ts"),
  status: () => import("./commands/status.ts"),
  app: () => import("./commands/app.ts"),
};

// gantry's package.json: one folder up from the sources, two from the built dist/cli/
const packageJson = new URL(import.meta.url.endsWith(".ts") ? "../package.json" : "../../package.json", import.meta.url);
const version = (JSON.parse(readFileSync(packageJson, "utf8")) as { version: string }).version;

/** The program with the named commands registered (all of them when `only` is empty). */
export async function buildProgram(only: string[] = []): Promise<Command> {
  const program = new Command("gantry")
    .description("Modal's programming model on your own cloud: run locally, synthesize Pulumi stacks, review and promote")
    .version(version)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  const names = only.length ? only : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]()).register(program);
  return program;
}

/** The command named on the command line, when it is one of ours (`deploy` also registers `preview`). */
function commandOf(argv: string[]): string[] {
  const first = argv.slice(2).find((a) => !a.startsWith("-"));
  if (first === undefined || first === "help") return [];
  if (first === "preview") return ["deploy"];
  return first in COMMANDS ? [first] : [];
}

/** Runs the CLI and returns the exit code (commands set `process.exitCode` for 1). */
export async function main(argv: string[]): Promise<number> {
  const moduleProblem = commonJsProblemOf(argv);
  if (moduleProblem) {
    process.stderr.write(`gantry: ${moduleProblem}\n`);
    return EXIT.usage;
  }
  const program = await buildProgram(commandOf(argv));
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
