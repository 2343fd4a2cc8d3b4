/**
 * Test helpers for `gantry serve`: a copy of the fixture app in a temp project (so a test can edit
 * it), and the real CLI as a child process in its own process group (so a test can send it the
 * terminal's Ctrl-C), with its output collected and waits that fail with that output.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(REPO, "cli/bin.mjs");

/** Default bound of every wait (a test's own timeout is longer). */
export const WAIT_MS = 90_000;

const created: string[] = [];
// removed when the test file's process ends (links into this repository are removed, not followed)
process.on("exit", () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = "gantry-serve-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/**
 * A project in a temp dir holding a copy of fixtures/<name>: a package.json, and node_modules
 * with `gantry` (this repository), zod and hono linked in, as an installed project would have.
 */
export function fixtureProject(name = "app.ts"): { dir: string; appFile: string; markers: string } {
  const dir = tempDir();
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "serve-test-app", private: true, type: "module" }));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(REPO, join(dir, "node_modules", "gantry"), "dir");
  for (const pkg of ["zod", "hono"]) symlinkSync(join(REPO, "node_modules", pkg), join(dir, "node_modules", pkg), "dir");
  const appFile = join(dir, "app.ts");
  copyFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), appFile);
  const markers = join(dir, "markers");
  mkdirSync(markers);
  return { dir, appFile, markers };
}

export function events(markers: string): string[] {
  const file = join(markers, "events");
  return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : [];
}

export interface Served {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** waits until stdout (or stderr) matches; fails with the output so far after `ms` */
  output(pattern: RegExp, options?: { stream?: "stdout" | "stderr"; ms?: number; after?: number }): Promise<RegExpExecArray>;
  /** Ctrl-C as a terminal sends it: SIGINT to the whole process group */
  interrupt(): void;
  /** kills the group (cleanup) */
  kill(): void;
}

export function serve(args: string[], env: Record<string, string | undefined> = {}): Served {
  const child = spawn(process.execPath, [BIN, "serve", ...args], {
    cwd: REPO,
    env: { ...process.env, GANTRY_STATE_DIR: tempDir("gantry-state-"), GANTRY_HOME: tempDir("gantry-home-"), NO_COLOR: "1", GANTRY_TOKEN: undefined, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async output(pattern, { stream = "stdout", ms = WAIT_MS, after = 0 } = {}) {
      const deadline = Date.now() + ms;
      for (;;) {
        const text = (stream === "stdout" ? out : err).slice(after);
        const match = new RegExp(pattern.source, pattern.flags.replace("g", "")).exec(text);
        if (match) return match;
        if (done || Date.now() > deadline) {
          throw new Error(`no ${pattern} in ${stream} ${done ? "(gantry serve exited)" : `within ${ms} ms`}\n--- stdout\n${out}\n--- stderr\n${err}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    interrupt() {
      process.kill(-child.pid!, "SIGINT");
    },
    kill() {
      if (done) return;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    },
  };
}

/** Starts `gantry serve` and waits for its banner: the URL and the printed token. */
export async function serveReady(args: string[], env: Record<string, string | undefined> = {}) {
  const served = serve([...args, "--port", "0"], env);
  const [, url] = await served.output(/ on (http:\/\/127\.0\.0\.1:\d+)\n/);
  await served.output(/Ctrl-C to stop\n/);
  const token = /token: (\S+)  \(generated/.exec(served.stdout())?.[1] ?? null;
  return { ...served, url, token };
}

/** Polls until `check` returns a truthy value; fails with `what` after `ms`. */
export async function until<T>(what: string, check: () => T | Promise<T>, ms = WAIT_MS): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
