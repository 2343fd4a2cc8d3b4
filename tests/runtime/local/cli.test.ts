import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fixturePath, isAlive, tempDir, waitFor } from "../helpers.ts";

const BIN = fileURLToPath(new URL("../../../cli/bin.mjs", import.meta.url));

interface Exit { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function gantry(args: string[], env: Record<string, string> = {}, detached = false) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, GANTRY_STATE_DIR: tempDir("gantry-state-"), GANTRY_HOME: tempDir("gantry-home-"), NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<Exit>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exited };
}

const app = fixturePath("cli-app.ts");

test("gantry run calls the entrypoint with the arguments after --", async () => {
  const { code, stdout, stderr } = await gantry(["run", app, "--entry", "main", "--", "5", "x y"]).exited;
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^args: \["5","x y"\]$/m);
  assert.match(stdout, /^square: 25$/m);
});

test("a failing entrypoint exits 1 and prints the remote error with its stack", async () => {
  const { code, stderr } = await gantry(["run", app, "--entry", "fail"]).exited;
  assert.equal(code, 1);
  assert.match(stderr, /gantry run: fail failed:/);
  assert.match(stderr, /TypeError: exploded: on purpose/);
  assert.match(stderr, /fixtures[\\/]cli-app\.ts:\d+:\d+/, "the container's frames");
  assert.match(stderr, /--- called from ---\n\s+at async .*cli-app\.ts:\d+:\d+/, "and the caller's");
});

test("choosing an entrypoint: several need --entry, an unknown one is a usage error", async () => {
  const several = await gantry(["run", app]).exited;
  assert.equal(several.code, 2);
  assert.match(several.stderr, /several local entrypoints: choose one with --entry \(fail, hang, main\)/);
  const unknown = await gantry(["run", app, "--entry", "nope"]).exited;
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /has no local entrypoint, function or class method "nope" \(have: fail, hang, main, explode, square, Holder\.hold\)/);
  const missing = await gantry(["run", "no/such/app.ts"]).exited;
  assert.equal(missing.code, 2);
});

test("an app with analysis errors prints every diagnostic and runs nothing (exit 1)", async () => {
  const { code, stdout, stderr } = await gantry(["run", fixturePath("broken/app.ts")]).exited;
  assert.equal(code, 1);
  assert.match(stderr, /broken[\\/]app\.ts:6:\d+: error GANTRY\d+: .*B300/);
  assert.match(stderr, /broken[\\/]app\.ts:6:\d+: error GANTRY\d+: .*timeout/);
  assert.doesNotMatch(stdout, /must not run/);
});

test("Ctrl-C (SIGINT to the process group) stops the containers and runs their @exit hooks", async () => {
  const dir = tempDir();
  // detached: its own process group, so the signal reaches the CLI and its containers as a terminal's Ctrl-C does
  const { child, exited } = gantry(["run", app, "--entry", "hang", "--", dir], {}, true);
  const pid = Number(await waitFor(() => existsSync(join(dir, "holding")) && readFileSync(join(dir, "holding"), "utf8")));
  process.kill(-child.pid!, "SIGINT");
  const { code, stderr } = await exited;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /stopping the containers and running their @exit hooks/);
  assert.deepEqual(readFileSync(join(dir, "events"), "utf8").trim().split("\n"), [`enter ${pid}`, `exit ${pid}`]);
  assert.equal(isAlive(pid), false);
});

test("gantry secret create writes the local store (mode 0600), list shows keys but never values", async () => {
  const home = tempDir("gantry-home-");
  const dotenv = join(tempDir(), ".env");
  writeFileSync(dotenv, "FROM_FILE=1\nOVERRIDDEN=old\n");
  const created = await gantry(["secret", "create", "api", "TOKEN=abc=def", "OVERRIDDEN=new", "--from-dotenv", dotenv], { GANTRY_HOME: home }).exited;
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /created secret "api" with keys FROM_FILE, OVERRIDDEN, TOKEN/);
  const file = join(home, "secrets", "api.json");
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), { FROM_FILE: "1", OVERRIDDEN: "new", TOKEN: "abc=def" });

  const again = await gantry(["secret", "create", "api", "TOKEN=x"], { GANTRY_HOME: home }).exited;
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists .*--force/);
  const forced = await gantry(["secret", "create", "api", "TOKEN=x", "--force"], { GANTRY_HOME: home }).exited;
  assert.equal(forced.code, 0);

  const list = await gantry(["secret", "list"], { GANTRY_HOME: home }).exited;
  assert.equal(list.stdout, "api  TOKEN\n");

  const bad = await gantry(["secret", "create", "api2", "NOVALUE"], { GANTRY_HOME: home }).exited;
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /"NOVALUE" is not KEY=VALUE/);
});

test("gantry secret create tightens an existing 0777 store directory to 0700 and its files to 0600", async () => {
  const home = tempDir("gantry-home-");
  const dir = join(home, "secrets");
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  writeFileSync(join(dir, "earlier.json"), '{"A":"1"}\n');
  chmodSync(join(dir, "earlier.json"), 0o644);
  const created = await gantry(["secret", "create", "api", "TOKEN=x"], { GANTRY_HOME: home }).exited;
  assert.equal(created.code, 0, created.stderr);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, "earlier.json")).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, "api.json")).mode & 0o777, 0o600);
});

test("a function variant runs in its own pool, with the function's concurrency", async () => {
  const { code, stdout, stderr } = await gantry(["run", fixturePath("fn-variants.ts")]).exited;
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^containers: 1$/m, "the variant's maxContainers: 1");
  const peak = Number(/^peak: (\d+)$/m.exec(stdout)?.[1]);
  assert.ok(peak > 1 && peak <= 4, `one container took several inputs at once (peak ${peak})`);
});

test("gantry run app.ts::fn calls a function directly with the arguments as strings and prints its result", async () => {
  const byPath = await gantry(["run", `${app}::square`, "--", "5"]).exited;
  assert.equal(byPath.code, 0, byPath.stderr);
  assert.equal(byPath.stdout, "25\n");
  const byFlag = await gantry(["run", app, "--entry", "explode", "--", "on purpose"]).exited;
  assert.equal(byFlag.code, 1);
  assert.match(byFlag.stderr, /gantry run: explode failed:[\s\S]*TypeError: exploded: on purpose/);
});

test("gantry run app.ts::Class.method calls a method of a class without required parameters", async () => {
  const { code, stdout, stderr } = await gantry(["run", `${fixturePath("fn-variants.ts")}::Greeter.greet`, "--", "ada"]).exited;
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "{ hello: 'ada' }\n");
  const holder = await gantry(["run", `${app}::Holder.hold`]).exited;
  assert.equal(holder.code, 2);
  assert.match(holder.stderr, /Holder has required parameters \(dir\)/);
  const unknown = await gantry(["run", `${app}::sqare`]).exited;
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no local entrypoint, function or class method "sqare" \(have: .*square.*Holder\.hold/);
});
