/**
 * `gantry app list [--json]`: the project's apps where it has records of them: every stack under
 * `.gantry/stacks/` (written by gantry synth --stack / gantry deploy) and every `Pulumi.<stack>.yaml`,
 * with the app, target, region, spec hash and when it was deployed; and every running `gantry serve`.
 * Reads local files only (no cloud calls): `gantry status app.ts --stack S` asks AWS.
 */
import type { Command } from "commander";
import type { OpsDeps } from "../ops-target.ts";
import { table } from "../ops-format.ts";

export function register(program: Command): void {
  const app = program.command("app").description("the project's apps: gantry app list");
  app
    .command("list")
    .description("the stacks the project has records of (.gantry/stacks, Pulumi.<stack>.yaml) and the running gantry serve servers")
    .option("--cwd <dir>", "the project directory", ".")
    .option("--json", "print the list as JSON")
    .addHelpText("after", `
Reads local records only, no cloud calls: .gantry/stacks/<stack>/plan.json and deployment.json
(gantry synth --stack / gantry deploy write them), the Pulumi.<stack>.yaml files, and the server
records of running gantry serve processes (.gantry/serve/, or $GANTRY_STATE_DIR/serve/).
For what a stack runs now: gantry status <app.ts> --stack NAME.

Examples:
  gantry app list
  gantry app list --json`)
    .action((flags: { cwd: string; json?: boolean }) => appList(flags));
}

export async function appList(flags: { cwd: string; json?: boolean }, deps: OpsDeps = {}): Promise<void> {
  const out = deps.out ?? ((t: string) => void process.stdout.write(t));
  const { listApps } = await import("../app-list.ts");
  const found = listApps(flags.cwd);
  if (flags.json) {
    out(`${JSON.stringify(found, null, 2)}\n`);
    return;
  }
  if (found.stacks.length === 0 && found.servers.length === 0) {
    out("no records: no stack under .gantry/stacks, no Pulumi.<stack>.yaml, no gantry serve running\n");
    return;
  }
  if (found.stacks.length) {
    const rows = [["STACK", "APP", "TARGET", "REGION", "SPEC HASH", "DEPLOYED"]];
    for (const s of found.stacks) rows.push([s.stack, s.app ?? "-", s.target, s.region ?? "-", s.specHash ? s.specHash.slice(0, 19) : "-", s.deployedAt ?? (s.deployed ? "yes" : "-")]);
    out(table(rows, ""));
  }
  if (found.servers.length) {
    if (found.stacks.length) out("\n");
    const rows = [["SERVING", "APP", "URL", "PID", "SINCE"]];
    for (const s of found.servers) rows.push([s.appFile, s.app, s.url, String(s.pid), s.startedAt]);
    out(table(rows, ""));
  }
}
