/**
 * `gantry run` must not leave containers behind (issue 15, item 3): whether its own process gets
 * SIGTERM, SIGINT (alone, not as a terminal's Ctrl-C to the group) or SIGKILL, or the wrapper that
 * started it (`npx`) is killed, every container exits promptly and runs its `@exit` hooks.
 * Uses cli-app.ts: `hang` holds an input in a Holder container whose @enter/@exit append to a file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fixturePath, tempDir, waitFor } from "../helpers.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(ROOT, "cli/bin.mjs");
const app = fixturePath("cli-app.ts");

/** Running, and not a zombie waiting to be reaped (an orphan's reaper may take its time). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    try {
      process.kill(pid, 0);
      return process.platform !== "linux";
    } catch {
      return false;
    }
  }
}

interface Run {
  /** the process the test signals */
  child: ChildProcess;
  /** the Holder container's pid, once it holds its input */
  container: number;
  dir: string;
  output: () => string;
}

/** Starts `gantry run cli-app.ts --entry hang` through `command` and waits for the container to hold its input. */
async function startHang(command: (args: string[]) => [string, string[]]): Promise<Run> {
  const dir = tempDir();
  const [file, argv] = command(["run", app, "--entry", "hang", "--", dir]);
  const child = spawn(file, argv, {
    cwd: ROOT,
    env: { ...process.env, GANTRY_STATE_DIR: tempDir("gantry-state-"), GANTRY_HOME: tempDir("gantry-home-"), NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const container = Number(await waitFor(() => existsSync(join(dir, "holding")) && readFileSync(join(dir, "holding"), "utf8")));
  return { child, container, dir, output: () => output };
}

const events = (dir: string) => readFileSync(join(dir, "events"), "utf8").trim().split("\n");

/** The container stops and ran @exit (the test's timeout bounds the wait: the input would hold 120 s). */
async function assertStopped(run: Run): Promise<void> {
  await waitFor(() => !running(run.container));
  assert.deepEqual(events(run.dir), [`enter ${run.container}`, `exit ${run.container}`], run.output());
}

/**
 * Not a timing threshold: the held input lasts 120 s, after which even an orphaned run ends and
 * runs @exit; a stop that waits for it is the bug.
 */
const BOUND = { timeout: 90_000 };

const direct = (args: string[]): [string, string[]] => [process.execPath, [BIN, ...args]];

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal} to the gantry process alone stops the containers with their @exit hooks (exit 130)`, BOUND, async () => {
    const run = await startHang(direct);
    const exited = new Promise<number | null>((resolve) => run.child.on("exit", resolve));
    run.child.kill(signal);
    assert.equal(await exited, 130, run.output());
    await assertStopped(run);
  });
}

test("SIGKILL of the gantry process: its containers see the pipe close, run @exit and exit", BOUND, async () => {
  const run = await startHang(direct);
  run.child.kill("SIGKILL");
  await assertStopped(run);
});

test("the death of the process that started gantry stops it and its containers with @exit hooks", BOUND, async () => {
  // a wrapper that starts gantry and is then killed outright, as a killed `npx` or `npm run` leaves it
  const wrapper = `require("child_process").spawn(process.execPath, ${JSON.stringify([BIN])}.concat(process.argv.slice(1)), { stdio: "inherit" });`;
  const run = await startHang((args) => [process.execPath, ["-e", wrapper, ...args]]);
  const gantryPid = Number(readFileSync(`/proc/${run.container}/stat`, "utf8").split(") ")[1].split(" ")[1]);
  run.child.kill("SIGKILL");
  await assertStopped(run);
  await waitFor(() => !running(gantryPid));
  assert.match(run.output(), /the process that started gantry \(pid \d+\) exited: stopping the containers and running their @exit hooks/);
});

test("kill -TERM of `npx gantry run` (npm exec, then sh -c, then gantry) stops the containers with @exit hooks", BOUND, async () => {
  const run = await startHang((args) => ["npx", ["--no-install", "gantry", ...args]]);
  const gantryPid = Number(readFileSync(`/proc/${run.container}/stat`, "utf8").split(") ")[1].split(" ")[1]);
  run.child.kill("SIGTERM");
  await assertStopped(run);
  await waitFor(() => !running(gantryPid));
});

test("kill -9 of `npx gantry run` (its sh -c lives on) still stops gantry and its containers with @exit hooks", BOUND, async () => {
  const run = await startHang((args) => ["npx", ["--no-install", "gantry", ...args]]);
  const gantryPid = Number(readFileSync(`/proc/${run.container}/stat`, "utf8").split(") ")[1].split(" ")[1]);
  run.child.kill("SIGKILL");
  await assertStopped(run);
  await waitFor(() => !running(gantryPid));
});
