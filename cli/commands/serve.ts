/**
 * `gantry serve <app.ts> [--port 8000] [--host 127.0.0.1] [--no-watch]`: the local dev server.
 * Serves the app's web endpoints on localhost (URLs printed), fires its schedules, reloads on
 * change without dropping requests in flight. Ctrl-C drains and runs `@exit` hooks (exit 0); a
 * second Ctrl-C kills everything (exit 130). The work is in runtime/serve/.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../main.ts";

interface ServeFlags {
  port: string;
  host: string;
  watch: boolean;
}

export function register(program: Command): void {
  program
    .command("serve")
    .description("local dev server: web endpoints on localhost, schedules firing, reload on change")
    .argument("<app>", "the app file, e.g. examples/web/app.ts")
    .option("--port <port>", "port to listen on (0 picks a free one)", "8000")
    .option("--host <host>", "address to listen on (0.0.0.0 for every interface)", "127.0.0.1")
    .option("--no-watch", "do not reload when the app or the files it imports change")
    .addHelpText("after", `
Every web endpoint, webApp and webServer is served under one address; the URLs are printed.
Private ones take "Authorization: Bearer <token>": the token is GANTRY_TOKEN when set, otherwise a
generated one that is printed with a curl line ready to paste. Functions and classes run in local
containers as with \`gantry run\`; their output is printed prefixed with the container.

Schedules fire on their cron (in its timezone) or period; their next run times are printed.
A change to the app file or a project file it imports reloads the app: requests in flight finish
on the old version while new ones get the new one. A change that does not analyse or import
prints its errors and the last good version keeps serving.

Ctrl-C stops accepting, waits for requests in flight, and stops the containers (their @exit hooks
run); a second Ctrl-C kills them.

Examples:
  gantry serve examples/web/app.ts
  GANTRY_TOKEN=dev-token gantry serve app.ts --port 9000 --no-watch

Environment: GANTRY_TOKEN (the bearer token), GANTRY_STATE_DIR, GANTRY_HOME, GANTRY_LOG_LEVEL (as for gantry run).
Exit codes: 0 stopped with Ctrl-C, 1 the app has errors at start, 2 usage error (bad port, port in use), 130 killed.`)
    .action((app: string, flags: ServeFlags) => serveCommand(app, flags));
}

async function serveCommand(appArg: string, flags: ServeFlags): Promise<void> {
  if (!existsSync(appArg) || !statSync(appArg).isFile()) throw new UsageError(`no such file: ${appArg}`);
  if (!/^\d+$/.test(flags.port) || Number(flags.port) > 65535) throw new UsageError(`--port must be a number from 0 to 65535 (got ${flags.port})`);
  const token = process.env.GANTRY_TOKEN || undefined;
  // the token is the server's: containers and user code do not get it
  delete process.env.GANTRY_TOKEN;

  const { startDevServer } = await import("../../runtime/serve/server.ts");
  const started = await startDevServer({
    appFile: resolve(appArg),
    port: Number(flags.port),
    host: flags.host,
    watch: flags.watch,
    token,
    color: !!process.stderr.isTTY && !process.env.NO_COLOR,
  });
  if (!started.ok) {
    if (started.message) throw new UsageError(started.message);
    process.exitCode = started.exitCode;
    return;
  }
  const server = started.server;

  // Ctrl-C: drain and run @exit hooks; a second one kills
  let code = 0;
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) {
      process.stderr.write("gantry serve: killing the containers\n");
      server.kill();
      process.exit(130);
    }
    interrupted = true;
    void server.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await server.done;
  } catch {
    code = 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  process.exitCode = code;
  // keep-alive sockets or user timers must not hold the process once everything stopped
  setTimeout(() => process.exit(code), 1000).unref();
}
