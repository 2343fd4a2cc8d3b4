/** `gantry spec` as users run it: a real process, exit codes, stdout and stderr. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { analyzeApp } from "../../synth/index.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const gantry = (...args: string[]) => {
  const r = spawnSync(process.execPath, ["cli/bin.mjs", ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

test("--json prints the spec (2-space indent) and exits 0", () => {
  const r = gantry("spec", "tests/synth/fixtures/full/app.ts", "--json");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${JSON.stringify(analyzeApp(`${ROOT}tests/synth/fixtures/full/app.ts`).spec, null, 2)}\n`);
});

test("the summary names declarations with GPU, scaling, schedules, endpoints and images", () => {
  const r = gantry("spec", "tests/synth/fixtures/full/app.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^app full-surface {2}\(tests\/synth\/fixtures\/full\/app\.ts\)\nspec sha256:[0-9a-f]{64}\n/);
  assert.match(r.stdout, /\n {2}train {2}tests\/synth\/fixtures\/full\/app\.ts:23:14\n {4}gpu H100 > A100-80GB · cpu 4 · memory 16384 MiB · containers 0\.\.8/);
  assert.match(r.stdout, /cron "0 2 \* \* 1-5" Europe\/Paris/);
  assert.match(r.stdout, /GET endpoint \(public\)/);
  assert.match(r.stdout, /variant LlamaInference\[gpu=H100,maxContainers=2\]/);
  assert.match(r.stdout, /img-[0-9a-f]{12} {2}debianSlim node 20 \| apt libgomp1=12\.2\.0-14/);
});

test("an app with errors: every diagnostic with a code frame on stderr, nothing on stdout, exit 1", () => {
  const r = gantry("spec", "tests/synth/fixtures/broken/everything/app.ts", "--json");
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^tests\/synth\/fixtures\/broken\/everything\/app\.ts:8:45: warning GANTRY1800: /);
  assert.match(r.stderr, /\ntests\/synth\/fixtures\/broken\/everything\/app\.ts:11:47: error GANTRY1400: unknown GPU "A10"/);
  assert.match(r.stderr, /> 11 \| export const unknownGpu = app\.function\(\{ gpu: "A10" \}, async \(\) => 1\);\n {5}\| {47}\^{5}\n/);
  assert.match(r.stderr, /\n24 errors, 5 warnings\n$/);
});

test("a file that does not exist is a usage error: exit 2", () => {
  const r = gantry("spec", "does/not/exist.ts");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no such file: does\/not\/exist\.ts/);
});
