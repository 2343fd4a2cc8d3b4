/** The review commands as a user runs them: output lines and exit codes (0 ok, 1 violations/refusal, 2 usage). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { gpuBase, gpuHead } from "./review/scenarios.ts";

const BIN = fileURLToPath(new URL("../../cli/bin.mjs", import.meta.url));
const PREVIEW = fileURLToPath(new URL("./fixtures/preview.json", import.meta.url));

function gantry(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), "gantry-cli-"));
writeFileSync(join(dir, "base.json"), JSON.stringify(gpuBase()));
writeFileSync(join(dir, "head.json"), JSON.stringify(gpuHead()));
writeFileSync(join(dir, "Pulumi.prod.yaml"), "config:\n  gantry:policy:\n    gpu-budget:\n      monthlyUsd: 10000\n");
writeFileSync(join(dir, "bad.json"), JSON.stringify({ "gpu-budgett": { monthlyUsd: 1 } }));

test("gantry check: the budget policy fails H100 x 20 in prod at the declaration's line (exit 1)", () => {
  const r = gantry(["check", "head.json", "--stack", "prod"], dir);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, 'app.ts:17:1: error gpu-budget: GPU ceiling $100,448/month exceeds the $10,000/month budget of stack "prod": LlamaInference $100,448\n');
  assert.match(r.stderr, /1 error, 0 warnings \(stack prod, policy config: .*Pulumi.prod.yaml\)/);
});

test("gantry check: within budget, or in a stack without a budget, exit 0", () => {
  assert.equal(gantry(["check", "base.json", "--stack", "prod"], dir).code, 0);
  const r = gantry(["check", "head.json", "--stack", "dev"], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /defaults \(no Pulumi.dev.yaml found\)/);
});

test("gantry check: usage errors exit 2 with a clear message", () => {
  const missing = gantry(["check", "nope.json", "--stack", "prod"], dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope.json: no such file/);
  const bad = gantry(["check", "head.json", "--stack", "prod", "--policy-config", "bad.json"], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown policy "gpu-budgett" \(did you mean "gpu-budget"\?\)/);
  assert.equal(gantry(["check", "head.json"], dir).code, 2, "--stack is required");
});

test("gantry diff: markdown with the hidden tag, JSON, previews; a lone plan is a usage error", () => {
  const md = gantry(["diff", "base.json", "head.json"], dir);
  assert.equal(md.code, 0, md.stderr);
  assert.ok(md.stdout.startsWith("<!-- gantry-diff -->\n"));
  assert.match(md.stdout, /GPU spend broadened/);
  const json = JSON.parse(gantry(["diff", "base.json", "head.json", "--format", "json"], dir).stdout);
  assert.equal(json.cost.delta.ceiling, 96776.1);
  const preview = gantry(["diff", PREVIEW], dir);
  assert.equal(preview.code, 0, preview.stderr);
  assert.match(preview.stdout, /IAM broadened/);
  const lone = gantry(["diff", "base.json"], dir);
  assert.equal(lone.code, 2);
  assert.match(lone.stderr, /is a plan: give the head plan too/);
});

test("gantry promote: refuses a stack with no deployment (exit 1); same stacks is a usage error (exit 2)", () => {
  const r = gantry(["promote", "--from", "staging", "--to", "prod", "--app", "app.ts"], dir);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /refusing to promote: stack "staging" has no deployment to promote/);
  assert.equal(gantry(["promote", "--from", "prod", "--to", "prod"], dir).code, 2);
});

test("every review command has --help", () => {
  for (const cmd of ["check", "diff", "promote"]) {
    const r = gantry([cmd, "--help"], dir);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`Usage: gantry ${cmd}`));
  }
});

test("gantry check app.ts: an explicit timeout: 300 counts as set (literal, const, spread, web endpoint, class); only a declaration without one is flagged", () => {
  const app = join(dir, "timeouts");
  mkdirSync(app);
  writeFileSync(join(app, "app.ts"), [
    `import { App, webEndpoint } from "gantry";`,
    `export const app = new App("timeouts");`,
    `const base = { timeout: 300, maxContainers: 1 };`,
    `export const literal = app.function({ timeout: 300, maxContainers: 1 }, async (x: number) => x);`,
    `export const viaConst = app.function(base, async (x: number) => x);`,
    `export const viaSpread = app.function({ ...base, retries: 1 }, async (x: number) => x);`,
    `export const web = app.function({ timeout: 300, maxContainers: 1 }, webEndpoint({ method: "GET" }, async (name: string) => name));`,
    `@app.cls({ timeout: 300, maxContainers: 1 }) export class Model { }`,
    `export const bare = app.function({ maxContainers: 1 }, async (x: number) => x);`,
  ].join("\n"));
  const r = gantry(["check", "app.ts", "--stack", "dev"], app);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, "app.ts:9:14: warning timeouts-set: bare has no timeout (the default 300 s applies); set timeout\n");
});
