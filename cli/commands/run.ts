/**
 * `gantry run <app.ts>[::name] [--entry name] [-- args...]`: runs a local entrypoint, or calls a
 * function or `Class.method` directly (its result printed; see run-entry.ts), on the embedded local
 * runtime. The app is analysed first (diagnostics: exit 1), then imported for its code; every
 * function and class runs in local containers configured from the spec. When the entrypoint
 * returns (or throws, or Ctrl-C, SIGTERM or SIGHUP arrives, or the process that started gantry
 * exits), every container stops and its `@exit` hooks run.
 * Exit codes: 0 the entrypoint succeeded, 1 it threw (or the app has errors), 130 interrupted.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { inspect } from "node:util";
import type { Command } from "commander";
import { analyzeApp, formatDiagnostics, summarizeDiagnostics } from "../../synth/index.ts";
import { setInvoker } from "../../sdk/invoker.ts";
import { LocalRuntime } from "../../runtime/local/runtime.ts";
import { watchParent } from "../../runtime/local/parent-watch.ts";
import { importApp } from "../../runtime/worker/target.ts";
import { UsageError } from "../main.ts";
import { callArguments, formatResult, selectEntry, splitAppArg } from "./run-entry.ts";
import { runPeers } from "../run-peers.ts";

const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

interface RunFlags {
  entry?: string;
  with: string[];
}

export function register(program: Command): void {
  program
    .command("run")
    .description("run a local entrypoint of an app on the embedded local runtime (no cloud, no Docker)")
    .argument("<app>", "the app file, e.g. examples/hello/app.ts; app.ts::square calls the function square")
    .argument("[args...]", "arguments (after --): an entrypoint gets them as a string array; a function or method by name (--x 3) or position, converted by its parameters' types")
    .option("--entry <name>", "the local entrypoint to run (needed when the app has several), or a function or Class.method to call")
    .option("--with <app>", "another app this one calls (Cls.fromName / Function.fromName): run it here too, or use its running gantry serve (repeatable)", (v: string, all: string[]) => [...all, v], [] as string[])
    .addHelpText("after", `
Every function and class runs in local containers (child processes) configured from the app spec:
timeouts, retries, concurrency, batching, autoscaling, volumes (under .gantry/volumes) and secrets
(gantry secret create, .env files, Secret.fromDict). Ctrl-C (or SIGTERM, SIGHUP, or the exit of
the process that started gantry) stops the containers and runs their @exit hooks; a second Ctrl-C
kills them.

Examples:
  gantry run examples/hello/app.ts
  gantry run app.ts --entry backfill -- 2024-01-01 2024-01-31
  gantry run examples/hello/app.ts::square -- 7      (calls square(7), prints the result)
  gantry run app.ts::greet -- --name ada --times 2   (by parameter name, converted by its type)
  gantry run client.ts --with ../server/app.ts       (Cls.fromName("server-app", ...) runs the other app here)

Calls to another app go to a --with app (run here, or its gantry serve when one is running for
that file), else to a running gantry serve of that app in this project; else they fail naming both.

Environment: GANTRY_STATE_DIR (Dicts and Volumes; default .gantry/ in the project root),
GANTRY_HOME (the secret store; default ~/.gantry), GANTRY_LOG_LEVEL (runtime logs; default warn).
Exit codes: 0 success, 1 the entrypoint failed or the app has errors, 2 usage error, 130 Ctrl-C.`)
    .action((app: string, args: string[], flags: RunFlags) => runCommand(app, args, flags));
}

async function runCommand(appWithEntry: string, args: string[], flags: RunFlags): Promise<void> {
  const { file: appArg, entry: fromPath } = splitAppArg(appWithEntry);
  if (fromPath !== undefined && flags.entry !== undefined && fromPath !== flags.entry) {
    throw new UsageError(`${appWithEntry} and --entry ${flags.entry} name different entries: give one`);
  }
  const entryName = fromPath ?? flags.entry;
  if (!existsSync(appArg) || !statSync(appArg).isFile()) throw new UsageError(`no such file: ${appArg}`);
  const appFile = resolve(appArg);
  const color = !!process.stderr.isTTY && !process.env.NO_COLOR;

  const analysis = analyzeApp(appFile);
  if (analysis.diagnostics.length) {
    process.stderr.write(formatDiagnostics(analysis.diagnostics, { color, cwd: process.cwd() }));
    process.stderr.write(`\n${summarizeDiagnostics(analysis.diagnostics)}\n`);
  }
  const spec = analysis.spec;
  if (!spec) {
    process.exitCode = 1;
    return;
  }

  const selected = selectEntry(spec, appArg, entryName);
  if ("missing" in selected) {
    process.stderr.write(selected.missing);
    process.exitCode = 1;
    return;
  }
  const entry = selected.name;
  const callArgs = selected.kind === "entrypoint" ? [] : callArguments(selected.name, selected.params, args);

  const peers = runPeers(appFile, spec.app.name, flags.with, { color });
  if (!peers) {
    process.exitCode = 1;
    return;
  }
  for (const line of peers.lines) process.stderr.write(`${line}\n`);
  const runtime = new LocalRuntime({ spec, appFile, secretValues: analysis.secretValues, peers: peers.resolver });
  peers.attach(runtime);
  const runtimes = [runtime, ...peers.runtimes];
  setInvoker(runtime);

  // Ctrl-C, SIGTERM, a closed terminal (SIGHUP) or the death of the process that started us (a
  // killed `npx` wrapper): stop the containers (their @exit hooks run); a second signal kills them
  let interrupted = false;
  let onInterrupt: () => void = () => {};
  const interruption = new Promise<void>((resolveInterrupt) => (onInterrupt = resolveInterrupt));
  const stopFor = (why: string, hint = " (Ctrl-C again to kill them)") => {
    if (interrupted) {
      process.stderr.write("gantry run: killing the containers\n");
      for (const rt of runtimes) rt.kill();
      process.exit(130);
    }
    interrupted = true;
    process.stderr.write(`\ngantry run: ${why}: stopping the containers and running their @exit hooks${hint}\n`);
    onInterrupt();
  };
  const handler = (signal: NodeJS.Signals) => stopFor(signal === "SIGINT" ? "interrupted" : signal);
  const parentWatch = watchParent((pid) => stopFor(`the process that started gantry (pid ${pid}) exited`, ""), { throughShell: true });
  for (const signal of STOP_SIGNALS) process.on(signal, handler);

  let code = 0;
  try {
    const app = await importApp(appFile, spec.app.name);
    const run = async (): Promise<void> => {
      if (selected.kind !== "entrypoint") {
        const out = formatResult(await runtime.remote(selected.target, callArgs), color && !!process.stdout.isTTY);
        if (out !== undefined) process.stdout.write(`${out}\n`);
        return;
      }
      const declaration = app.entrypoints.find((e) => e.name === entry);
      if (!declaration) throw new Error(`the app module does not export the entrypoint "${entry}"`);
      await declaration.fn(args);
    };
    const outcome = await Promise.race([
      run().then(() => "done" as const),
      interruption.then(() => "interrupted" as const),
    ]);
    if (outcome === "interrupted") code = 130;
  } catch (err) {
    if (interrupted) code = 130;
    else {
      process.stderr.write(`gantry run: ${entry} failed:\n${inspect(err, { colors: color, depth: 4 })}\n`);
      code = 1;
    }
  } finally {
    await Promise.all(runtimes.map((rt) => rt.shutdown()));
    parentWatch.stop();
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
    setInvoker(undefined);
  }
  process.exitCode = code;
  // the entrypoint may leave timers or sockets behind: the run is over all the same
  setTimeout(() => process.exit(code), 1000).unref();
}
