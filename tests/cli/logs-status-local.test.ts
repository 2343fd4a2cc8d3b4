// `gantry logs` and `gantry status` as a user runs them against a running `gantry serve`: the real
// CLI (three processes: the server, a `gantry logs --follow`, one-shot commands), real HTTP, real
// containers. The follower is started before the call and must show the call's output line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fixtureProject, serveReady, tempDir, until, REPO } from "../runtime/serve/harness.ts";

const BIN = join(REPO, "cli/bin.mjs");

function gantry(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

async function run(args: string[], env: Record<string, string>) {
  const p = gantry(args, env);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

test("gantry logs --follow shows a call's output (masked), gantry status the running containers and schedules", { timeout: 240_000 }, async (t) => {
  const project = fixtureProject("ops-app.ts");
  const env = { GANTRY_STATE_DIR: tempDir("gantry-state-"), GANTRY_HOME: tempDir("gantry-home-") };
  const server = await serveReady([project.appFile], env);
  t.after(() => server.kill());

  // before any call: no containers yet, the schedule's next run
  const before = await run(["status", project.appFile], env);
  assert.equal(before.code, 0, before.stderr);
  assert.match(before.stdout, new RegExp(`^serve-ops: gantry serve at ${server.url} \\(pid ${server.child.pid}, up \\d+ s\\)\\n`));
  assert.match(before.stdout, /no containers yet/);
  assert.match(before.stdout, /hourly +every 1 h +- +\d{4}-\d\d-\d\dT/);

  const follower = gantry(["logs", project.appFile, "--follow"], env);
  t.after(() => follower.child.kill("SIGKILL"));
  // (whether its first request comes before or after the call, the line is in what it prints)
  const response = await fetch(`${server.url}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"word":"first"}' });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { word: "first" });

  const line = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[echo#1\] echo first with \[secret\]$/m;
  await until("the call's line in gantry logs --follow", () => line.test(follower.stdout()));
  assert.doesNotMatch(follower.stdout(), /ops-password-2718/);

  // a second call arrives on the same follower
  await fetch(`${server.url}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"word":"second"}' });
  await until("the second call's line", () => /\[echo#1\] echo second with \[secret\]/.test(follower.stdout()));
  assert.ok(follower.stdout().indexOf("echo first") < follower.stdout().indexOf("echo second"), "in the order printed");

  // the running container and its pool
  const status = await run(["status", project.appFile], env);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /POOL +CONTAINERS +READY +IN FLIGHT +QUEUED +RETRYING +FAILED\n +echo +1 +1 +0 +0 +0 +0\n/);
  assert.match(status.stdout, /CONTAINER +STATE +PID +UP +CALLS\n +echo#1 +ready +\d+ +\d+ s +-\n/);
  const json = JSON.parse((await run(["status", project.appFile, "--json"], env)).stdout) as {
    app: string; pools: Array<{ pool: string; retiring: boolean; containers: Array<{ label: string; state: string; pid: number }> }>;
    schedules: Array<{ name: string; next: string | null; last: unknown }>;
  };
  assert.equal(json.app, "serve-ops");
  assert.deepEqual(json.pools.map((p) => [p.pool, p.retiring, p.containers.map((c) => [c.label, c.state])]), [["echo", false, [["echo#1", "ready"]]]]);
  assert.deepEqual(json.schedules.map((s) => [s.name, s.last]), [["hourly", null]]);
  assert.ok(json.schedules[0].next && Date.parse(json.schedules[0].next) > Date.now());

  // one-shot logs: everything kept, filtered by function, JSON lines
  const all = await run(["logs", project.appFile], env);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /\[echo#1\] echo first with \[secret\]\n.*\[echo#1\] echo second with \[secret\]\n/);
  assert.equal((await run(["logs", project.appFile, "--function", "hourly"], env)).stdout, "");
  const lines = (await run(["logs", project.appFile, "--function", "echo", "--json"], env)).stdout.trim().split("\n").map((l) => JSON.parse(l) as { container: string; stream: string; text: string; calls: string[] });
  assert.deepEqual(lines.map((l) => [l.container, l.stream, l.text]), [["echo#1", "stdout", "echo first with [secret]"], ["echo#1", "stdout", "echo second with [secret]"]]);
  assert.equal(lines[0].calls.length, 1, "the call the line was printed in");
  const byCall = await run(["logs", project.appFile, "--call", lines[0].calls[0]], env);
  assert.match(byCall.stdout, /^\S+ \[echo#1\] echo first with \[secret\]\n$/);

  const unknown = await run(["logs", project.appFile, "--function", "nope"], env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /has no function or class "nope" running in gantry serve; its pools: echo/);

  // the server stops: the follower says so and ends; status finds no server (exit 1)
  server.interrupt();
  assert.equal((await server.exited).code, 0, server.stderr());
  assert.equal(await follower.exited, 0, follower.stderr());
  assert.match(follower.stderr(), /gantry serve of .* stopped/);
  const after = await run(["status", project.appFile], env);
  assert.equal(after.code, 1);
  assert.match(after.stderr, /^gantry status: no gantry serve of .*app\.ts is running \(start one with: gantry serve .*; for a deployed app pass --stack NAME\)\n$/);
});
